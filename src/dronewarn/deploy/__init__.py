"""A node's deployment configuration: one TOML file per node, typed, validated, loaded once."""
