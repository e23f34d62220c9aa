"""Line numbers for places in a YAML document, so that errors can name file, line and field."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

Path_ = tuple[str | int, ...]


def line_map(text: str) -> dict[Path_, int]:
    """Map each path in the document (keys and list indexes) to its 1-based line.

    A mapping key maps to the line of the key itself, so errors point at the field's name.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Path_, int] = {}
    if root is None:
        return lines

    def walk(node: yaml.Node, path: Path_) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
                # the value's own line is reachable through the key's entry
                lines[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    walk(root, ())
    return lines


def line_of(lines: dict[Path_, int], path: Sequence[str | int]) -> int | None:
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
