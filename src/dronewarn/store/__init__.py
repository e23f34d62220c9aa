"""Store: what a node keeps. SQLite (WAL) by default."""
