"""Typed node configuration: built once (here from a scenario's defaults), passed down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from dronewarn.assess.lifecycle import AssessConfig
from dronewarn.domain.partner import Partner
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.share.policy import SharingPolicy
from dronewarn.sim.scenario import (
    AcousticGridSensor,
    AcousticStripSensor,
    AirborneRadarSensor,
    CuasSensor,
    PolicySpec,
    RadarSensor,
    Scenario,
    Sensor,
)
from dronewarn.sim.wire import asterix_source, wire_format
from dronewarn.track.tracker import TrackerConfig


@dataclass(frozen=True)
class NodeConfig:
    node_id: str
    country_iso3: str
    name: str
    frame_origin: tuple[float, float]
    partners: tuple[Partner, ...]
    sensors: tuple[SensorConfig, ...]
    tracker: TrackerConfig
    assess: AssessConfig
    policies: Mapping[str, SharingPolicy] = field(default_factory=dict)
    """Per partner id; a partner without one is sent everything."""
    track_frame_s: float = 2.0
    """Reports arriving within one frame are fused together (0: every delivery at once)."""


def sensor_config(sensor: Sensor, scenario: Scenario) -> SensorConfig:
    """What a node needs to know about a simulated sensor, wire format included."""
    config = _sensor_config(sensor)
    if isinstance(sensor, RadarSensor | AirborneRadarSensor):
        config = replace(
            config,
            asterix_source=asterix_source(scenario, sensor.id),
            sigma_range_m=sensor.sigma_range_m,
            sigma_bearing_deg=sensor.sigma_bearing_deg,
        )
    return replace(config, wire=wire_format(sensor))


def _sensor_config(sensor: Sensor) -> SensorConfig:
    if isinstance(sensor, RadarSensor):
        return SensorConfig(
            sensor.id,
            SensorKind.RADAR,
            GeoPoint(sensor.site[0], sensor.site[1], sensor.antenna_alt_m),
            sensor.max_range_km * 1000.0,
            max_reorder_s=sensor.scan_period_s + 1.0,
        )
    if isinstance(sensor, AirborneRadarSensor):
        return SensorConfig(
            sensor.id,
            SensorKind.AIRBORNE_RADAR,
            None,
            sensor.max_range_km * 1000.0,
            max_reorder_s=sensor.scan_period_s + 1.0,
        )
    if isinstance(sensor, CuasSensor):
        return SensorConfig(
            sensor.id,
            SensorKind.CUAS,
            GeoPoint(sensor.site[0], sensor.site[1], sensor.mast_alt_m),
            sensor.max_range_km * 1000.0,
            max_reorder_s=sensor.update_period_s + 1.0,
        )
    if isinstance(sensor, AcousticStripSensor | AcousticGridSensor):
        spread = sensor.latency_s[1] - sensor.latency_s[0]
        return SensorConfig(
            sensor.id,
            SensorKind.ACOUSTIC,
            None,
            sensor.radius_km * 1000.0,
            max_reorder_s=spread + sensor.report_period_s + 1.0,
        )
    return SensorConfig(
        sensor.id,
        SensorKind.SIGHTING,
        None,
        sensor.max_distance_km * 1000.0,
        max_reorder_s=sensor.delay_s[1] - sensor.delay_s[0] + 60.0,
    )


def node_configs(scenario: Scenario) -> dict[str, NodeConfig]:
    """One NodeConfig per scenario node."""
    out: dict[str, NodeConfig] = {}
    by_id = {node.id: node for node in scenario.nodes}
    for node in scenario.nodes:
        sensors = tuple(sensor_config(s, scenario) for s in scenario.sensors if s.node == node.id)
        out[node.id] = NodeConfig(
            node_id=node.id,
            country_iso3=node.country,
            name=node.name,
            frame_origin=node.frame_origin or scenario.frame_origin,
            partners=tuple(
                Partner(p, by_id[p].country, by_id[p].name, tuple(z.id for z in by_id[p].zones))
                for p in node.partners
            ),
            sensors=sensors,
            tracker=TrackerConfig(coast_s=node.track_coast_s),
            assess=AssessConfig(),
            policies={partner: sharing_policy(spec) for partner, spec in node.share.items()},
        )
    return out


def sharing_policy(spec: PolicySpec) -> SharingPolicy:
    """The typed policy of a scenario's ``share`` entry."""
    return SharingPolicy(
        states=None if spec.states is None else frozenset(spec.states),
        classes=None if spec.classes is None else frozenset(spec.classes),
        areas=None if spec.areas is None else frozenset(spec.areas),
        position_precision_deg=spec.position_precision_deg,
        max_per_minute=spec.max_per_minute,
        kinds=None if spec.kinds is None else frozenset(spec.kinds),
        tracks_within_km=spec.tracks_within_km,
        track_period_s=spec.track_period_s,
        delay_s=spec.delay_s,
        track_fields=None if spec.track_fields is None else frozenset(spec.track_fields),
    )
