"""Option values several commands parse the same way."""

from __future__ import annotations

import typer


def parse_speed(text: str) -> float | None:
    """``--speed``: a positive factor, or ``max`` (None: as fast as possible)."""
    if text.lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither a number nor 'max'") from None
    if speed <= 0:
        raise typer.BadParameter("speed must be positive")
    return speed
