"""The operator API: REST, a live stream of picture deltas, login and roles (FastAPI)."""
