"""Scenario files: the documented YAML schema (docs/scenarios.md), validated with pydantic.

A scenario describes a time window, drone types, the drones themselves (explicit, or as
waves and loiter groups that the simulator expands deterministically from the seed),
the sensors and the nodes that own them. ``load_scenario`` turns any mistake into a
``ScenarioError`` naming the file, the line and the field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from dronewarn.deploy.fields import (
    Iso3,
    LatLon,
    Positive,
    Probability,
    Range,
)
from dronewarn.deploy.locations import dotted, line_of, without_union_tags
from dronewarn.deploy.policy import PolicySpec
from dronewarn.deploy.zones import BorderStripZone, CircleZone, GeoJsonZone, Zone
from dronewarn.domain.errors import ScenarioError
from dronewarn.sim.source_map import line_map


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DroneType(_Model):
    speed_kmh: Range
    alt_m: Range
    rcs_m2: Range = (0.01, 0.1)


class Motion(_Model):
    """How drones deviate from their routes."""

    heading_noise_deg: Annotated[float, Field(ge=0, le=45)] = 5.0
    heading_noise_tau_s: Positive = 120.0
    stray_probability: Probability = 0.25
    stray_deg: Range = (10.0, 40.0)
    stray_duration_s: Range = (120.0, 480.0)
    step_s: Positive = 1.0


class Leg(_Model):
    """A final leg shared by ``count`` drones of a wave."""

    to: Annotated[list[LatLon], Field(min_length=1)]
    count: Annotated[int, Field(ge=1)]
    place: str = ""


class Wave(_Model):
    """Drones sharing a route whose crossing of ``cross_into`` falls in ``crossing_window``."""

    id: str
    count: Annotated[int, Field(ge=1)]
    route: Annotated[list[LatLon], Field(min_length=2)]
    cross_into: Iso3
    crossing_window: tuple[AwareDatetime, AwareDatetime]
    legs: list[Leg] = []
    spread_km: Annotated[float, Field(ge=0)] = 5.0

    @model_validator(mode="after")
    def _legs_fit(self) -> Self:
        total = sum(leg.count for leg in self.legs)
        if total > self.count:
            raise ValueError(f"legs hold {total} drones but the wave has count {self.count}")
        if self.crossing_window[0] > self.crossing_window[1]:
            raise ValueError("crossing_window ends before it starts")
        return self


class Box(_Model):
    south_deg: Annotated[float, Field(ge=-90, le=90)]
    north_deg: Annotated[float, Field(ge=-90, le=90)]
    west_deg: Annotated[float, Field(ge=-180, le=180)]
    east_deg: Annotated[float, Field(ge=-180, le=180)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.south_deg >= self.north_deg or self.west_deg >= self.east_deg:
            raise ValueError("box needs south < north and west < east")
        return self


class LoiterGroup(_Model):
    """Distractors wandering inside an area and never entering ``avoid``."""

    id: str
    count: Annotated[int, Field(ge=1)]
    area: Box
    legs: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] = (3, 6)
    avoid: list[Iso3] = []
    avoid_margin_km: Annotated[float, Field(ge=0)] = 5.0


class ExplicitDrone(_Model):
    id: str
    type: str
    launch: AwareDatetime
    speed_kmh: Positive
    alt_m: Positive
    route: Annotated[list[LatLon], Field(min_length=2)]
    heading_noise_deg: Annotated[float, Field(ge=0, le=45)] | None = None
    strays: bool = True


class RadarSensor(_Model):
    id: str
    node: str
    kind: Literal["radar"]
    site: LatLon
    antenna_alt_m: Annotated[float, Field(ge=0)] = 30.0
    scan_period_s: Positive = 10.0
    max_range_km: Positive = 150.0
    sigma_range_m: Positive = 150.0
    sigma_bearing_deg: Positive = 0.3
    pd: Probability = 0.9
    clutter_per_scan: Annotated[float, Field(ge=0)] = 5.0
    latency_s: Annotated[float, Field(ge=0)] = 0.5


class AirborneRadarSensor(_Model):
    id: str
    node: str
    kind: Literal["airborne_radar"]
    orbit_centre: LatLon
    orbit_radius_km: Positive = 25.0
    orbit_period_s: Positive = 900.0
    alt_m: Positive = 6000.0
    scan_period_s: Positive = 5.0
    max_range_km: Positive = 200.0
    sigma_range_m: Positive = 100.0
    sigma_bearing_deg: Positive = 0.5
    pd: Probability = 0.9
    clutter_per_scan: Annotated[float, Field(ge=0)] = 5.0
    latency_s: Annotated[float, Field(ge=0)] = 1.0


class AcousticStripSensor(_Model):
    """Acoustic nodes on a grid filling ``country`` within ``depth_km`` of ``along``."""

    id: str
    node: str
    kind: Literal["acoustic_strip"]
    country: Iso3
    along: Annotated[list[Iso3], Field(min_length=1)]
    depth_km: Positive = 30.0
    spacing_km: Positive = 1.5
    radius_km: Positive = 2.0
    pd: Probability = 0.8
    sigma_bearing_deg: Positive = 10.0
    report_period_s: Positive = 2.0
    latency_s: Range = (2.0, 5.0)


class AcousticGridSensor(_Model):
    """Acoustic nodes on a grid over the part of ``area`` inside ``country``."""

    id: str
    node: str
    kind: Literal["acoustic_grid"]
    country: Iso3
    area: Box
    spacing_km: Positive = 5.0
    radius_km: Positive = 2.0
    pd: Probability = 0.8
    sigma_bearing_deg: Positive = 10.0
    report_period_s: Positive = 2.0
    latency_s: Range = (2.0, 5.0)


class SightingSensor(_Model):
    """Citizen sightings of drones flying over ``country`` (ePPO-style app)."""

    id: str
    node: str
    kind: Literal["sighting"]
    country: Iso3
    rate_per_drone_per_min: Annotated[float, Field(ge=0)] = 0.3
    error_km: Range = (1.0, 5.0)
    delay_s: Range = (30.0, 120.0)
    false_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.1
    max_distance_km: Positive = 4.0


class CuasSensor(_Model):
    """A counter-drone sensor (short-range radar with classifier) reporting over SAPIENT."""

    id: str
    node: str
    kind: Literal["cuas"]
    site: LatLon
    mast_alt_m: Annotated[float, Field(ge=0)] = 15.0
    max_range_km: Positive = 8.0
    update_period_s: Positive = 1.0
    sigma_m: Positive = 25.0
    sigma_alt_m: Positive = 15.0
    pd: Probability = 0.95
    class_accuracy: Probability = 0.85
    """Probability that the reported class is the drone's true type (else UNKNOWN)."""
    latency_s: Annotated[float, Field(ge=0)] = 0.3


Sensor = Annotated[
    RadarSensor
    | AirborneRadarSensor
    | AcousticStripSensor
    | AcousticGridSensor
    | SightingSensor
    | CuasSensor,
    Field(discriminator="kind"),
]


class NodeSpec(_Model):
    id: str
    country: Iso3
    name: str = ""
    partners: list[str] = []
    frame_origin: LatLon | None = None
    track_coast_s: Positive = 60.0
    zones: list[Zone] = []
    share: dict[str, PolicySpec] = {}
    """Per partner id: what this node shares with it."""


class Scenario(_Model):
    name: str
    description: str = ""
    start: AwareDatetime
    end: AwareDatetime
    seed: int = 0
    frame_origin: LatLon
    countries: Annotated[list[Iso3], Field(min_length=1)]
    drone_types: dict[str, DroneType]
    type_mix: dict[str, Probability]
    motion: Motion = Motion()
    waves: list[Wave] = []
    loiter: list[LoiterGroup] = []
    drones: list[ExplicitDrone] = []
    sensors: list[Sensor] = []
    nodes: Annotated[list[NodeSpec], Field(min_length=1)]
    source_path: str = ""
    """Set by the loader: the scenario file, for messages and relative paths inside it."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        unknown = set(self.type_mix) - set(self.drone_types)
        if unknown:
            raise ValueError(f"type_mix names unknown drone types {sorted(unknown)}")
        if self.type_mix and abs(sum(self.type_mix.values()) - 1.0) > 1e-6:
            raise ValueError(f"type_mix must sum to 1, not {sum(self.type_mix.values()):.3f}")
        node_ids = [node.id for node in self.nodes]
        if len(set(node_ids)) != len(node_ids):
            raise ValueError("node ids must be unique")
        for node in self.nodes:
            for partner in node.partners:
                if partner not in node_ids:
                    raise ValueError(f"node {node.id} names unknown partner {partner!r}")
            for partner in node.share:
                if partner not in node.partners:
                    raise ValueError(
                        f"node {node.id} has a sharing policy for non-partner {partner!r}"
                    )
        for sensor in self.sensors:
            if sensor.node not in node_ids:
                raise ValueError(f"sensor {sensor.id} belongs to unknown node {sensor.node!r}")
        ids = [s.id for s in self.sensors]
        if len(set(ids)) != len(ids):
            raise ValueError("sensor ids must be unique")
        known = set(self.countries)
        used = {n.country for n in self.nodes} | {w.cross_into for w in self.waves}
        if used - known:
            raise ValueError(f"countries must list {sorted(used - known)}")
        for drone in self.drones:
            if drone.type not in self.drone_types:
                raise ValueError(f"drone {drone.id} has unknown type {drone.type!r}")
        return self

    @property
    def source_dir(self) -> Path:
        return Path(self.source_path).parent

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_s(self) -> float:
        return self.end.timestamp()


BUILTIN_SCENARIOS = ("night-0910",)


def builtin_path(name: str) -> Path:
    """Path of a scenario shipped with dronewarn."""
    return Path(str(resources.files("dronewarn.sim").joinpath("scenarios", f"{name}.yaml")))


def resolve(name_or_path: str) -> Path:
    """A built-in scenario's name, or a path to a scenario file."""
    if name_or_path in BUILTIN_SCENARIOS:
        return builtin_path(name_or_path)
    return Path(name_or_path)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario; every failure is a ScenarioError with file, line, field."""
    path = resolve(str(name_or_path))
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(shown, None, "", f"cannot read: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
        lines = line_map(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(shown, line, "", f"not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(shown, None, "", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(shown, 1, "", "a scenario must be a YAML mapping")
    try:
        scenario = Scenario.model_validate(data)
        return scenario.model_copy(update={"source_path": str(path)})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = without_union_tags(first["loc"], frozenset({"sensors", "zones"}))
        message = first["msg"]
        if first["type"] == "missing":
            message = "required field is missing"
        elif "input" in first and first["type"] not in ("model_type", "union_tag_invalid"):
            message = f"{message} (got {first['input']!r})"
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more error{'s' if more > 1 else ''})"
        raise ScenarioError(shown, line_of(lines, loc), dotted(loc), message) from None


__all__ = [
    "BorderStripZone",
    "CircleZone",
    "GeoJsonZone",
    "PolicySpec",
    "Scenario",
    "Zone",
    "load_scenario",
]
