"""A scenario's parties as deployed nodes: one node.toml per node, keys and partner trust.

``node_files`` writes, for each node of a scenario, the configuration a centre would write
for it (``deploy.model.NodeFile``): its identity and plane, a listener per simulated sensor
in that sensor's wire format (radars: ASTERIX over UDP; the counter-drone sensor: SAPIENT
over TCP; acoustic networks: MQTT; citizens: HTTP), its partners with their link endpoints,
zones and sharing policies, and, for a replay, the clock listener the feeder steps.

Who talks to whom: a node's partners (``partners`` in the scenario) get what its ``share``
policy allows; a node that only *receives* from another (it is that one's partner, not the
other way round) still links to it, for acknowledgements and ratings: ``kinds = []``.

``provision_homes`` gives each node its keys in ``DATA_DIR/keys`` and its partners' public
files in ``DATA_DIR/partners/<partner>/``, as duty forces exchange them once beforehand; keys
already there are kept.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from dronewarn.deploy.load import Deployment
from dronewarn.deploy.model import NodeFile
from dronewarn.deploy.policy import PolicySpec
from dronewarn.deploy.zones import GeoJsonZone, Zone
from dronewarn.share.link_service import NodeHome
from dronewarn.share.provisioning import provision, trust
from dronewarn.sim.scenario import (
    AcousticGridSensor,
    AcousticStripSensor,
    AirborneRadarSensor,
    CuasSensor,
    RadarSensor,
    RemoteIdSensor,
    Scenario,
    Sensor,
)
from dronewarn.sim.wire import asterix_source, sapient_node_id

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_udp_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class NodePorts:
    link: int = 0
    api: int = 0
    clock: int = 0
    sensors: Mapping[str, int] = field(default_factory=dict)
    """Per sensor id: the port of its listener (UDP for radars, TCP otherwise)."""


@dataclass(frozen=True)
class PortPlan:
    """Where every node listens; zeros (the default) for nodes run in one process."""

    nodes: Mapping[str, NodePorts] = field(default_factory=dict)
    broker: int = 1883

    def of(self, node_id: str) -> NodePorts:
        return self.nodes.get(node_id, NodePorts())

    @staticmethod
    def free(scenario: Scenario, broker: int) -> PortPlan:
        """Free loopback ports for every node's link, API, clock and sensor listeners."""
        nodes = {}
        for node in scenario.nodes:
            sensors = {
                s.id: free_udp_port()
                if isinstance(s, RadarSensor | AirborneRadarSensor)
                else free_port()
                for s in scenario.sensors
                if s.node == node.id
            }
            nodes[node.id] = NodePorts(free_port(), free_port(), free_port(), sensors)
        return PortPlan(nodes, broker)


def link_peers(scenario: Scenario) -> dict[str, list[str]]:
    """Who links to whom: a node's partners, then the nodes that have it as a partner (acks
    and ratings flow back)."""
    peers: dict[str, list[str]] = {node.id: list(node.partners) for node in scenario.nodes}
    for node in scenario.nodes:
        for partner in node.partners:
            if node.id not in peers[partner]:
                peers[partner].append(node.id)
    return peers


def _sensor(scenario: Scenario, sensor: Sensor, port: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": sensor.id}
    if isinstance(sensor, RadarSensor | AirborneRadarSensor):
        sac, sic = asterix_source(scenario, sensor.id)
        entry |= {
            "kind": "radar" if isinstance(sensor, RadarSensor) else "airborne_radar",
            "format": "asterix",
            "listen": f"udp://{HOST}:{port}",
            "sac": sac,
            "sic": sic,
            "max_range_km": sensor.max_range_km,
            "sigma_range_m": sensor.sigma_range_m,
            "sigma_bearing_deg": sensor.sigma_bearing_deg,
            "revisit_s": sensor.scan_period_s,
            "pd": sensor.pd,
        }
        if isinstance(sensor, RadarSensor):
            entry["position"] = [sensor.site[0], sensor.site[1], sensor.antenna_alt_m]
    elif isinstance(sensor, CuasSensor):
        entry |= {
            "kind": "cuas",
            "format": "sapient",
            "listen": f"tcp://{HOST}:{port}",
            "position": [sensor.site[0], sensor.site[1], sensor.mast_alt_m],
            "max_range_km": sensor.max_range_km,
            "revisit_s": sensor.update_period_s,
            "pd": sensor.pd,
            "sapient_node": sapient_node_id(scenario, sensor.id),
        }
    elif isinstance(sensor, RemoteIdSensor):
        entry |= {
            "kind": "remote_id",
            "format": "odid",
            "listen": f"udp://{HOST}:{port}",
            "max_range_km": sensor.range_km,
            "revisit_s": sensor.update_period_s,
            "pd": sensor.pd,
        }
    elif isinstance(sensor, AcousticStripSensor | AcousticGridSensor):
        spread = sensor.latency_s[1] - sensor.latency_s[0]
        entry |= {
            "kind": "acoustic",
            "format": "mqtt-acoustic",
            "listen": f"mqtt://{HOST}:{port}/{sensor.id}",
            "max_range_km": sensor.radius_km,
            "revisit_s": sensor.report_period_s,
            "pd": sensor.pd,
            "max_reorder_s": spread + sensor.report_period_s + 1.0,
        }
    else:
        entry |= {
            "kind": "sighting",
            "format": "sighting-json",
            "listen": f"http://{HOST}:{port}/sightings",
            "max_range_km": sensor.max_distance_km,
            "max_reorder_s": sensor.delay_s[1] - sensor.delay_s[0] + 60.0,
        }
    return entry


def _zone(scenario: Scenario, zone: Zone) -> dict[str, Any]:
    body = zone.model_dump(mode="json")
    if isinstance(zone, GeoJsonZone):
        body["path"] = str((scenario.source_dir / zone.path).resolve())
    return body


def node_files(
    scenario: Scenario, data_root: Path, plan: PortPlan | None = None, replay: bool = True
) -> dict[str, NodeFile]:
    """One NodeFile per scenario node (module doc); ``DATA_DIR`` is ``data_root/<node>``."""
    plan = plan or PortPlan()
    by_id = {node.id: node for node in scenario.nodes}
    peers = link_peers(scenario)
    out: dict[str, NodeFile] = {}
    for node in scenario.nodes:
        ports = plan.of(node.id)
        mine = [s for s in scenario.sensors if s.node == node.id]
        partners = []
        for peer_id in peers[node.id]:
            peer = by_id[peer_id]
            if peer_id in node.partners:
                policy = node.share.get(peer_id, PolicySpec())
                zones = [_zone(scenario, z) for z in peer.zones]
            else:
                policy, zones = PolicySpec(kinds=[]), []
            partners.append(
                {
                    "name": peer_id,
                    "country": peer.country,
                    "title": peer.name,
                    "url": f"https://{HOST}:{plan.of(peer_id).link}",
                    "zones": zones,
                    "policy": policy.model_dump(mode="json", exclude_defaults=True),
                }
            )
        known = {node.country, *(by_id[p].country for p in peers[node.id])}
        body: dict[str, Any] = {
            "node": {
                "name": node.id,
                "country": node.country,
                "title": node.name,
                "data_dir": str(data_root / node.id),
                "frame_origin": list(node.frame_origin or scenario.frame_origin),
                "map_countries": [c for c in scenario.countries if c not in known],
            },
            "api": {"listen": f"{HOST}:{ports.api}"},
            "link": {"listen": f"{HOST}:{ports.link}", "heartbeat_s": 2.0},
            "sensors": [
                _sensor(
                    scenario,
                    s,
                    plan.broker
                    if isinstance(s, AcousticStripSensor | AcousticGridSensor)
                    else ports.sensors.get(s.id, 0),
                )
                for s in mine
            ],
            "partners": partners,
            "zones": [_zone(scenario, z) for z in node.zones],
            "tracker": {"coast_s": node.track_coast_s},
            "logging": {"format": "json"},
        }
        if replay:
            body["replay"] = {"clock_listen": f"{HOST}:{ports.clock}"}
        out[node.id] = NodeFile.model_validate(body)
    return out


def toml_text(node_file: NodeFile) -> str:
    """The file as TOML, without the keys that hold their defaults."""
    data = node_file.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    data = {"schema_version": node_file.schema_version, **data}
    return tomli_w.dumps(data)


def deployment_of(node_file: NodeFile, folder: Path) -> Deployment:
    """A NodeFile as if loaded from ``folder/node.toml`` (for nodes run in one process)."""
    return Deployment((folder / "node.toml").resolve(), node_file, {})


def provision_homes(files: Mapping[str, NodeFile], folder: Path) -> None:
    """Keys for every node that has none; each trusts its partners' public files."""
    homes = {n: deployment_of(f, folder).data_dir for n, f in files.items()}
    for node_id, home in homes.items():
        if not list(NodeHome(home).keys.glob("*.private.jwk.json")):
            provision(home, node_id, ("localhost", HOST))
    for node_id, node_file in files.items():
        for partner in node_file.partners:
            trust(homes[node_id], NodeHome(homes[partner.name]).keys, partner.name)


def write_configs(files: Mapping[str, NodeFile], folder: Path) -> dict[str, Path]:
    """``folder/<node>.toml`` for each node, after provisioning its home."""
    folder.mkdir(parents=True, exist_ok=True)
    provision_homes(files, folder)
    written = {}
    for node_id, node_file in files.items():
        path = folder / f"{node_id}.toml"
        path.write_text(toml_text(node_file), encoding="utf-8")
        written[node_id] = path
    return written
