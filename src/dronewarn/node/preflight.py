"""What ``dronewarn node check`` (and ``node run`` before it starts anything) verifies beyond
the schema: the files a node.toml names exist and read, the node has its keys and its
partners' public files, the countries and zones resolve, listeners do not collide, and
sensors that share a listener can be told apart.

``preflight`` returns the problems (the node cannot run) and notes (it can, but something is
worth knowing), each with its line in the file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from dronewarn.api.accounts import AccountFile
from dronewarn.deploy.endpoints import parse_endpoint
from dronewarn.deploy.load import Deployment, Problem
from dronewarn.deploy.locations import Location, dotted
from dronewarn.deploy.model import CotOutput, SensorFormat
from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.sensor import SensorKind
from dronewarn.node.config import input_channels, node_airspaces, node_config
from dronewarn.node.link_setup import link_config
from dronewarn.share import keys as jwk_keys
from dronewarn.share.trust import PartnerTrust


class _Found:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []

    def problem(self, loc: Location, message: str) -> None:
        self.problems.append(Problem(self.deployment.line(loc), dotted(loc), message))

    def note(self, loc: Location, message: str) -> None:
        self.notes.append(Problem(self.deployment.line(loc), dotted(loc), message))

    def readable(self, loc: Location, name: str | None) -> Path | None:
        if name is None:
            return None
        path = self.deployment.resolve(name)
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            self.problem(loc, f"cannot read {path}: {exc.strerror or exc}")
            return None
        return path

    def attempt(self, loc: Location, check: Callable[[], object]) -> None:
        try:
            check()
        except (DronewarnError, OSError, ValueError) as exc:
            self.problem(loc, str(exc))


def preflight(deployment: Deployment) -> tuple[list[Problem], list[Problem]]:
    found = _Found(deployment)
    file = deployment.file
    _files(found)
    link = link_config(deployment)
    found.attempt(("link",), link.identity)
    for index, files in enumerate(link.partner_files()):
        found.attempt(("partners", index), functools.partial(PartnerTrust.read, files))
    found.attempt(("node",), lambda: node_airspaces(deployment, node_config(deployment)))
    found.attempt(("api", "accounts"), AccountFile(deployment.accounts_path).load)
    _listeners(found)
    for index, sensor in enumerate(file.sensors):
        if sensor.kind is SensorKind.RADAR and sensor.position is None:
            found.note(
                ("sensors", index, "position"),
                "no position: CAT048 plots from this radar would be refused (system tracks, "
                "CAT062, need none)",
            )
        elif sensor.kind is SensorKind.RADAR and sensor.sigma_range_m is None:
            found.note(
                ("sensors", index),
                "no sigma_range_m/sigma_bearing_deg: its CAT048 plots get 70 m and 0.08 deg",
            )
    if file.replay is not None:
        found.note(("replay",), "a feeder drives this node's clock (simulated nights only)")
    return found.problems, found.notes


def _files(found: _Found) -> None:
    file = found.deployment.file
    found.readable(("node", "borders"), file.node.borders)
    found.readable(("api", "tls_cert"), file.api.tls_cert)
    found.readable(("api", "tls_key"), file.api.tls_key)
    for index, sensor in enumerate(file.sensors):
        for key in ("token_file", "tls_cert", "tls_key", "ca_file", "password_file"):
            path = found.readable(("sensors", index, key), getattr(sensor, key))
            secret = path is not None and key in ("token_file", "password_file")
            if secret and path is not None and not path.read_text(errors="replace").strip():
                found.problem(("sensors", index, key), f"{path} is empty")
    for index, output in enumerate(file.outputs):
        if isinstance(output, CotOutput):
            for key in ("tls_cert", "tls_key", "ca_file"):
                found.readable(("outputs", index, key), getattr(output, key))
    for index, partner in enumerate(file.partners):
        for key in ("certificate", "signing_key"):
            for name in getattr(partner, key):
                found.readable(("partners", index, key), name)
        for name in partner.signing_key:
            path = found.deployment.resolve(name)
            found.attempt(
                ("partners", index, "signing_key"), functools.partial(jwk_keys.load_public, path)
            )


def _listeners(found: _Found) -> None:
    file = found.deployment.file
    bound: dict[tuple[str, int], str] = {}

    def claim(proto: str, host_port: str, what: str, loc: Location) -> None:
        port = host_port.rpartition(":")[2]
        if int(port) == 0:
            return
        key = (proto, int(port))
        if key in bound and bound[key] != what:
            found.problem(loc, f"port {port}/{proto} is also {bound[key]}'s")
        bound.setdefault(key, what)

    claim("tcp", file.api.listen, "the operator API", ("api", "listen"))
    claim("tcp", file.link.listen, "the partner link", ("link", "listen"))
    if file.replay is not None:
        claim("tcp", file.replay.clock_listen, "the replay clock", ("replay", "clock_listen"))
    for index, output in enumerate(file.outputs):
        listen = getattr(output, "listen", None)
        if listen is not None:
            served = parse_endpoint(listen, frozenset({"tcp", "tls"}))
            claim("tcp", f"{served.host}:{served.port}", f"output {listen}", ("outputs", index))
    for index, sensor in enumerate(file.sensors):
        if sensor.listen is None:
            continue
        endpoint = sensor.endpoint
        if endpoint.scheme in ("udp", "tcp", "http", "https"):
            proto = "udp" if endpoint.scheme == "udp" else "tcp"
            where = f"{endpoint.host}:{endpoint.port}"
            claim(proto, where, f"listener {endpoint}", ("sensors", index, "listen"))
    by_id = {s.id: (i, s) for i, s in enumerate(file.sensors)}
    for channel in input_channels(file.sensors):
        if len(channel.sensor_ids) < 2:
            continue
        group = [by_id[i][1] for i in channel.sensor_ids]
        loc: Location = ("sensors", by_id[channel.sensor_ids[1]][0], "listen")
        if any(s.format is not SensorFormat.ASTERIX for s in group):
            found.problem(loc, f"{list(channel.sensor_ids)} share a listener: only ASTERIX can")
        elif sum(s.sac is None for s in group) > 1:
            found.problem(
                loc, f"{list(channel.sensor_ids)} share a listener: give each its sac and sic"
            )
        elif len({tuple(sorted(s.editions.items())) for s in group}) > 1:
            found.problem(
                loc, f"{list(channel.sensor_ids)} share a listener but not their editions"
            )
