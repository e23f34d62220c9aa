"""The node's outputs to downstream systems: TAK clients and servers (CoT), the ASTERIX CAT062
feed, SAPIENT to a fusion node, the GeoJSON file. Each is built from an ``[[outputs]]`` entry of
node.toml by ``node.outputs``."""
