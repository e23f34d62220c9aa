"""Shared fixtures: the NIGHT-0910 scenario and its simulated world, built once per session."""

from __future__ import annotations

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
