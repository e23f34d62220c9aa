"""Node: typed configuration, the composition root, and the multi-node night runner."""
