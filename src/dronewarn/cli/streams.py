"""Where the commands write: results on stdout, progress and messages on stderr."""

from __future__ import annotations

from rich.console import Console


def stderr_console() -> Console:
    """A console on standard error (progress, messages), separate from results on stdout."""
    return Console(stderr=True)
