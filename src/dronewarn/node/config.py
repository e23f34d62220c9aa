"""Typed node configuration, built once from a deployment (node.toml) and passed down.

``node_config`` turns a validated ``Deployment`` into what the node's stages need: its
identity and plane, its sensors (with defaults for the facts a sensor entry leaves out), its
input channels (one per listener: several ASTERIX sensors may share one, told apart by
SAC/SIC), its partners and their sharing policies, the tracker's and the assessment's
settings. ``node_airspaces`` gives the countries and zones it knows, as lon/lat polygons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from shapely.geometry.base import BaseGeometry

from dronewarn.assess.lifecycle import AssessConfig
from dronewarn.deploy.load import Deployment
from dronewarn.deploy.model import SensorEntry
from dronewarn.deploy.overrides import apply
from dronewarn.deploy.policy import sharing_policy
from dronewarn.deploy.zones import GeoJsonZone
from dronewarn.domain.partner import Partner
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
from dronewarn.geo.borders import load_countries, load_geojson_zones
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.zones import airspaces
from dronewarn.share.policy import SharingPolicy
from dronewarn.track.tracker import TrackerConfig

DEFAULT_REVISIT_S: Mapping[SensorKind, float] = MappingProxyType(
    {
        SensorKind.RADAR: 10.0,
        SensorKind.AIRBORNE_RADAR: 5.0,
        SensorKind.CUAS: 1.0,
        SensorKind.ACOUSTIC: 2.0,
        SensorKind.SIGHTING: 60.0,
        SensorKind.ADSB: 1.0,
        SensorKind.REMOTE_ID: 1.0,  # F3411: Location at least once a second
    }
)
"""How often a sensor of each kind reports when its entry does not say (en-route radar scan,
C-UAS update, acoustic tick)."""
REORDER_MARGIN_S: Mapping[SensorKind, float] = MappingProxyType(
    {
        SensorKind.RADAR: 1.0,
        SensorKind.AIRBORNE_RADAR: 1.0,
        SensorKind.CUAS: 1.0,
        SensorKind.ACOUSTIC: 4.0,
        SensorKind.SIGHTING: 90.0,
        SensorKind.ADSB: 4.0,
        SensorKind.REMOTE_ID: 4.0,
    }
)
"""Added to the revisit to allow reports to arrive out of order (acoustic nodes' latencies
spread by seconds, citizens' sightings by minutes)."""


@dataclass(frozen=True)
class InputChannel:
    """One listener's messages: they decode together and may carry several sensors."""

    channel_id: str
    wire: WireFormat
    sensor_ids: tuple[str, ...]


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
    channels: tuple[InputChannel, ...] = ()
    """The wire inputs; empty: one per sensor with a wire format, named by the sensor."""

    def input_channels(self) -> tuple[InputChannel, ...]:
        if self.channels:
            return self.channels
        return tuple(
            InputChannel(s.sensor_id, s.wire, (s.sensor_id,))
            for s in self.sensors
            if s.wire is not None
        )

    def warns(self, partner_id: str) -> bool:
        """Whether the node keeps warning books for a partner (its policy is not link-only)."""
        policy = self.policies.get(partner_id)
        return policy is None or policy.kinds is None or bool(policy.kinds)


def sensor_config(entry: SensorEntry) -> SensorConfig:
    """What a node needs to know about a configured sensor; defaults by kind where the entry
    is silent."""
    revisit_s = entry.revisit_s or DEFAULT_REVISIT_S[entry.kind]
    position = entry.position
    return SensorConfig(
        entry.id,
        entry.kind,
        None
        if position is None
        else GeoPoint(position[0], position[1], position[2] if len(position) == 3 else None),
        None if entry.max_range_km is None else entry.max_range_km * 1000.0,
        max_reorder_s=entry.max_reorder_s or revisit_s + REORDER_MARGIN_S[entry.kind],
        wire=entry.wire,
        asterix_source=None if entry.sac is None or entry.sic is None else (entry.sac, entry.sic),
        asterix_editions=tuple(f"{cat}:{edition}" for cat, edition in entry.editions.items()),
        sigma_range_m=entry.sigma_range_m,
        sigma_bearing_deg=entry.sigma_bearing_deg,
        revisit_s=entry.revisit_s,
        pd=entry.pd,
    )


def input_channels(entries: list[SensorEntry]) -> tuple[InputChannel, ...]:
    """One channel per distinct listen/connect address, named by its first sensor (port 0,
    "any free port", is never shared)."""
    groups: dict[str, list[SensorEntry]] = {}
    for entry in entries:
        endpoint = entry.endpoint
        key = f"{entry.id}:" if endpoint.port == 0 and endpoint.scheme != "path" else str(endpoint)
        groups.setdefault(key, []).append(entry)
    return tuple(
        InputChannel(group[0].id, group[0].wire, tuple(e.id for e in group))
        for group in groups.values()
    )


def frame_origin(deployment: Deployment) -> tuple[float, float]:
    """The configured origin; else the middle of the fixed sensors; else of the country."""
    node = deployment.file.node
    if node.frame_origin is not None:
        return node.frame_origin
    sites = [s.position for s in deployment.file.sensors if s.position is not None]
    if sites:
        return (
            sum(p[0] for p in sites) / len(sites),
            sum(p[1] for p in sites) / len(sites),
        )
    point = load_countries([node.country])[node.country].representative_point()
    return (float(point.y), float(point.x))


def node_config(deployment: Deployment) -> NodeConfig:
    """The node's typed configuration from its deployment file."""
    file = deployment.file
    tracker = apply(TrackerConfig(), file.tracker, skip=frozenset({"frame_s"}))
    frame_s = getattr(file.tracker, "frame_s", None)
    return NodeConfig(
        node_id=file.node.name,
        country_iso3=file.node.country,
        name=file.node.title,
        frame_origin=frame_origin(deployment),
        partners=tuple(
            Partner(p.name, p.country, p.title, tuple(z.id for z in p.zones)) for p in file.partners
        ),
        sensors=tuple(sensor_config(s) for s in file.sensors),
        tracker=tracker,
        assess=apply(AssessConfig(), file.assess),
        policies={p.name: sharing_policy(p.policy) for p in file.partners},
        track_frame_s=2.0 if frame_s is None else float(frame_s),
        channels=input_channels(file.sensors),
    )


def node_airspaces(deployment: Deployment, config: NodeConfig) -> dict[str, BaseGeometry]:
    """The countries (own, partners', ``map_countries``) and zones (own, partners') the node
    knows, lon/lat."""
    file = deployment.file
    official = (
        load_geojson_zones(deployment.resolve(file.node.borders)) if file.node.borders else None
    )
    owned = [(file.node.country, z) for z in file.zones] + [
        (p.country, z) for p in file.partners for z in p.zones
    ]
    resolve = {
        z.path: str(deployment.resolve(z.path)) for _, z in owned if isinstance(z, GeoJsonZone)
    }
    codes = {file.node.country, *(p.country for p in file.partners), *file.node.map_countries}
    return airspaces(LocalFrame(*config.frame_origin), codes, owned, official, resolve)
