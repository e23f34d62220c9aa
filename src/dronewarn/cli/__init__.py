"""The dronewarn command line (Typer + rich)."""

from dronewarn.cli.app import main

__all__ = ["main"]
