"""Fixtures for the format tests: where the shared real captures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "samples"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """``$DRONEWARN_SAMPLES`` or ``../shared/samples`` next to the repository; skip if absent.

    The captures are other people's data: tests read them where they are, never copied in.
    """
    path = Path(os.environ.get("DRONEWARN_SAMPLES", _DEFAULT))
    if not path.is_dir():
        pytest.skip(f"real captures not found at {path} (set DRONEWARN_SAMPLES)")
    return path
