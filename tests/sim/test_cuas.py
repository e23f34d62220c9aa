"""The counter-drone sensor emulator: reach, accuracy and classification."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dronewarn.domain.report import ObjectClass, PositionMeasurement
from dronewarn.geo.geodesic import distance_m
from dronewarn.harness.in_process import simulate_scenario
from dronewarn.sim.scenario import CuasSensor, load_scenario

SCENARIO = Path(__file__).parents[1] / "data" / "every-format.yaml"


def test_cuas_locates_drones_within_reach_with_configured_error() -> None:
    world = simulate_scenario(load_scenario(SCENARIO))
    sensor = next(s for s in world.scenario.sensors if isinstance(s, CuasSensor))
    truth = world.truth.by_id()
    errors, classes = [], []
    reports = [r for d in world.deliveries if d.sensor_id == sensor.id for r in d.reports]
    assert len(reports) > 50
    for report in reports:
        m = report.measurement
        assert isinstance(m, PositionMeasurement)
        assert report.class_hint is not None
        # the report is near one of the drones at its time, and within the sensor's reach
        lat, lon = m.point.lat_deg, m.point.lon_deg
        nearest = min(
            float(distance_m(lat, lon, *map(float, d.latlon_at(report.time_s))))
            for d in truth.values()
            if d.active(report.time_s)
        )
        errors.append(nearest)
        classes.append(report.class_hint.object_class)
        assert float(distance_m(sensor.site[0], sensor.site[1], lat, lon)) < 8_300
    # horizontal error of a 25 m sigma per axis: Rayleigh, mean 25 * sqrt(pi / 2) = 31 m
    assert 25.0 < float(np.mean(errors)) < 38.0
    right = sum(c is ObjectClass.GERBERA for c in classes) / len(classes)
    assert 0.75 < right < 0.95  # class_accuracy 0.85
