"""Places in a configuration document: dotted field paths and the lines they sit on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Location = tuple[str | int, ...]
"""A field's path from the document's root: keys and list indexes."""


def line_of(lines: Mapping[Location, int], path: Sequence[str | int]) -> int | None:
    """The line of the longest prefix of ``path`` that the document contains."""
    for end in range(len(path), -1, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None


def dotted(path: Sequence[str | int]) -> str:
    """``('waves', 0, 'count')`` -> ``'waves[0].count'``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def without_union_tags(loc: Sequence[str | int], tagged: frozenset[str]) -> list[str | int]:
    """Drop the discriminator pydantic puts in locations of the lists of tagged unions named
    in ``tagged``: ``sensors[3].radar.pd`` -> ``sensors[3].pd``."""
    out: list[str | int] = []
    for index, part in enumerate(loc):
        if index >= 2 and loc[index - 2] in tagged and isinstance(loc[index - 1], int):
            continue
        out.append(part)
    return out
