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
    remote_id: bool = False
    """Drones of this type broadcast Remote ID (ASTM F3411): registered civil drones, heard by
    ``remote_id`` receivers and never to be warned about."""


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


TypeMix = dict[str, Probability]
"""Drone type name -> share of the drones (summing to 1)."""

Window = tuple[AwareDatetime, AwareDatetime]


class Wave(_Model):
    """Drones sharing a route.

    * ``cross_into`` with ``crossing_window``: they enter that country, each at a moment drawn
      from the window (the launch is solved for it);
    * ``cross_into`` with ``turn_back_km`` and ``crossing_window``: they fly the route toward
      that country and turn back ``turn_back_km`` before its border, each at a moment drawn
      from the window, then fly home (they never enter it);
    * no ``cross_into``, a ``launch_window``: they fly the route (along a border, say),
      launched at moments drawn from the window.
    """

    id: str
    count: Annotated[int, Field(ge=1)]
    route: Annotated[list[LatLon], Field(min_length=2)]
    cross_into: Iso3 | None = None
    crossing_window: Window | None = None
    turn_back_km: Annotated[float, Field(gt=0)] | None = None
    launch_window: Window | None = None
    type_mix: TypeMix | None = None
    """This wave's drone types (default: the scenario's ``type_mix``)."""
    legs: list[Leg] = []
    spread_km: Annotated[float, Field(ge=0)] = 5.0

    @model_validator(mode="after")
    def _legs_fit(self) -> Self:
        total = sum(leg.count for leg in self.legs)
        if total > self.count:
            raise ValueError(f"legs hold {total} drones but the wave has count {self.count}")
        if self.cross_into is None:
            if self.launch_window is None:
                raise ValueError("a wave needs cross_into with crossing_window, or a launch_window")
            if self.crossing_window is not None or self.turn_back_km is not None:
                raise ValueError("crossing_window and turn_back_km need cross_into")
        elif self.crossing_window is None:
            raise ValueError("a wave with cross_into needs its crossing_window")
        elif self.launch_window is not None:
            raise ValueError(
                "a wave has a crossing_window (cross_into) or a launch_window, not both"
            )
        for window in (self.crossing_window, self.launch_window):
            if window is not None and window[0] > window[1]:
                raise ValueError("a window ends before it starts")
        return self

    @property
    def crosses(self) -> bool:
        """Whether the wave's drones are meant to enter ``cross_into``."""
        return self.cross_into is not None and self.turn_back_km is None


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
    type_mix: TypeMix | None = None
    """This group's drone types (default: the scenario's ``type_mix``)."""
    launch_window: Window | None = None
    """When the group's drones are launched (default: over the whole night, each drone's
    flight ending by the scenario's end)."""


class ExplicitDrone(_Model):
    id: str
    type: str
    launch: AwareDatetime
    speed_kmh: Positive
    alt_m: Positive
    route: Annotated[list[LatLon], Field(min_length=2)]
    heading_noise_deg: Annotated[float, Field(ge=0, le=45)] | None = None
    strays: bool = True


class Outage(_Model):
    """A time when a sensor sends nothing (a radar down for maintenance, a jammed network)."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("an outage must end after it starts")
        return self


class _SensorModel(_Model):
    outages: list[Outage] = []
    """Times when the sensor sends nothing."""


class RadarSensor(_SensorModel):
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


class AirborneRadarSensor(_SensorModel):
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


class AcousticStripSensor(_SensorModel):
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


class AcousticGridSensor(_SensorModel):
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


class SightingSensor(_SensorModel):
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


class CuasSensor(_SensorModel):
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


class RemoteIdSensor(_SensorModel):
    """Remote ID receivers (Wi-Fi and Bluetooth, ASTM F3411 broadcast) at ``sites``: every
    ``update_period_s`` each receiver hears the broadcasting drones within ``range_km`` with
    probability ``pd``; a drone reports its own GNSS position, off by ``sigma_m``."""

    id: str
    node: str
    kind: Literal["remote_id"]
    sites: Annotated[list[LatLon], Field(min_length=1)]
    range_km: Positive = 3.0
    update_period_s: Positive = 1.0
    pd: Probability = 0.9
    sigma_m: Positive = 5.0
    sigma_alt_m: Positive = 10.0
    latency_s: Annotated[float, Field(ge=0)] = 0.2


Sensor = Annotated[
    RadarSensor
    | AirborneRadarSensor
    | AcousticStripSensor
    | AcousticGridSensor
    | SightingSensor
    | CuasSensor
    | RemoteIdSensor,
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
    type_mix: TypeMix = {}
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
        mixes = [("type_mix", self.type_mix)]
        mixes += [(f"waves[{w.id}].type_mix", w.type_mix) for w in self.waves if w.type_mix]
        mixes += [(f"loiter[{g.id}].type_mix", g.type_mix) for g in self.loiter if g.type_mix]
        for where, mix in mixes:
            unknown = set(mix) - set(self.drone_types)
            if unknown:
                raise ValueError(f"{where} names unknown drone types {sorted(unknown)}")
            if mix and abs(sum(mix.values()) - 1.0) > 1e-6:
                raise ValueError(f"{where} must sum to 1, not {sum(mix.values()):.3f}")
        groups: list[Wave | LoiterGroup] = [*self.waves, *self.loiter]
        if not self.type_mix and any(g.type_mix is None for g in groups):
            raise ValueError("type_mix is empty: give one, or a type_mix on every wave and group")
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
        used = {n.country for n in self.nodes} | {w.cross_into for w in self.waves if w.cross_into}
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
        elif first["type"] == "value_error":
            message = message.removeprefix("Value error, ")
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
