"""Line numbers of the tables and keys of a TOML document, so errors can name the line.

``tomllib`` gives values, not positions. This reads the document's structure line by line,
the way TOML 1.0 defines it: ``[table]`` and ``[[array.of.tables]]`` headers (each
``[[x]]`` adds an element to ``x``; a header below it, like ``[x.policy]``, belongs to that
last element), ``key = value`` and dotted ``a.b = value`` lines, and multi-line strings and
arrays that it skips over. A path inside an inline table or an array value maps to the line
of its key. It is only ever used on a document ``tomllib`` has already accepted.
"""

from __future__ import annotations

import re

from dronewarn.deploy.locations import Location

_KEY_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=\s*(.*)$")
_PART = re.compile(_KEY_PART)


def _names(dotted: str) -> list[str]:
    out = []
    for match in _PART.finditer(dotted):
        part = match.group(0)
        if part[0] in "\"'":
            part = part[1:-1]
        out.append(part)
    return out


def _opens_multiline(value: str) -> str | None:
    """The closing delimiter when ``value`` starts a value that continues on later lines."""
    for quote in ('"""', "'''"):
        if value.startswith(quote) and value.count(quote) == 1:
            return quote
    if value.startswith("["):
        depth = 0
        in_string: str | None = None
        for char in value:
            if in_string:
                if char == in_string:
                    in_string = None
            elif char in "\"'":
                in_string = char
            elif char == "#":
                break
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
        if depth > 0:
            return "]"
    return None


def toml_lines(text: str) -> dict[Location, int]:
    """Map each table, array element and key path of the document to its 1-based line."""
    lines: dict[Location, int] = {}
    arrays: dict[Location, int] = {}  # array-of-tables path -> elements so far
    current: Location = ()
    closing: str | None = None
    depth = 0

    def resolve(names: list[str]) -> Location:
        path: Location = ()
        for name in names:
            path = (*path, name)
            if path in arrays:
                path = (*path, arrays[path] - 1)
        return path

    for number, raw in enumerate(text.splitlines(), start=1):
        if closing is not None:
            if closing == "]":
                depth += raw.count("[") - raw.count("]")
                if depth <= 0:
                    closing = None
            elif closing in raw:
                closing = None
            continue
        header = _HEADER.match(raw)
        if header:
            names = _names(header.group(2))
            if header.group(1) == "[[":
                base = (*resolve(names[:-1]), names[-1])
                arrays[base] = arrays.get(base, 0) + 1
                lines.setdefault(base, number)
                current = (*base, arrays[base] - 1)
            else:
                current = resolve(names)
            lines[current] = number
            continue
        key_line = _KEY_LINE.match(raw)
        if key_line:
            path = current
            for name in _names(key_line.group(1)):
                path = (*path, name)
                lines.setdefault(path, number)
            value = key_line.group(2).strip()
            closing = _opens_multiline(value)
            if closing == "]":
                depth = value.count("[") - value.count("]")
    return lines
