"""Line numbers for places in a YAML document, so that errors can name file, line and field."""

from __future__ import annotations

import yaml

from dronewarn.deploy.locations import Location


def line_map(text: str) -> dict[Location, int]:
    """Map each path in the document (keys and list indexes) to its 1-based line.

    A mapping key maps to the line of the key itself, so errors point at the field's name.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Location, int] = {}
    if root is None:
        return lines

    def walk(node: yaml.Node, path: Location) -> None:
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
