"""Where in a JSON document a validation error is: pydantic's location as a readable path.

The JSON inputs (acoustic detections, sightings, aircraft.json) validate with pydantic and
name the offending field in their ``DecodeError``s this way: ``("lat",)`` -> ``lat``,
``(3, "conf")`` -> ``[3].conf``, ``()`` -> ``$`` (the document itself).
"""

from __future__ import annotations


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a path (module doc)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "$"
