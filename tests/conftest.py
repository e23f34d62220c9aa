"""Shared fixtures: the NIGHT-0910 scenario and its simulated world, built once per session,
and where the real captures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries
from dronewarn.geo.frame import LocalFrame
from dronewarn.harness.in_process import SimulatedScenario, simulate_scenario
from dronewarn.sim.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def night() -> Scenario:
    return load_scenario("night-0910")


@pytest.fixture(scope="session")
def night_world(night: Scenario) -> SimulatedScenario:
    return simulate_scenario(night)


@pytest.fixture(scope="session")
def region() -> AirspaceMap:
    """Poland, Belarus, Ukraine and Lithuania around the Bug river."""
    return AirspaceMap(LocalFrame(51.8, 23.5), load_countries(["POL", "BLR", "UKR", "LTU"]))


_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
"""The real captures shared beside the repository (``../shared/samples``)."""


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """``$DRONEWARN_SAMPLES`` or ``../shared/samples`` next to the repository; skip if absent.

    The captures are other people's data: tests read them where they are, never copied in.
    """
    path = Path(os.environ.get("DRONEWARN_SAMPLES", _SAMPLES))
    if not path.is_dir():
        pytest.skip(f"real captures not found at {path} (set DRONEWARN_SAMPLES)")
    return path
