"""The node.toml schema: every section and key a deployed node reads (docs/deploy.md).

One file describes one node: who it is (``[node]``), where operators reach it (``[api]``),
its partner link (``[link]``), its sensors (``[[sensors]]``), its partners and what each may
receive (``[[partners]]``, ``[partners.policy]``), what it sends to other systems
(``[[outputs]]``), and optional overrides of the tracker and the assessment. Unknown keys
are errors, so a typo is never silently ignored. ``dronewarn node schema`` prints the JSON
Schema of this model.

Addresses are URLs (``deploy.endpoints``); each is checked against what its format can use.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from dronewarn.deploy.endpoints import Endpoint, parse_endpoint, parse_host_port
from dronewarn.deploy.fields import Iso3, LatLon, NodeId, Position, Positive, StrictModel
from dronewarn.deploy.overrides import AssessOverrides, TrackerOverrides
from dronewarn.deploy.policy import PolicySpec
from dronewarn.deploy.zones import Zone
from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.sensor import SensorKind, WireFormat

SCHEMA_VERSION = 1
"""The node.toml layout this dronewarn writes and reads (``schema_version``)."""


class SensorFormat(StrEnum):
    """What a sensor sends, as written in node.toml."""

    ASTERIX = "asterix"
    SAPIENT = "sapient"
    MQTT_ACOUSTIC = "mqtt-acoustic"
    SIGHTING_JSON = "sighting-json"
    COT = "cot"
    SBS = "sbs"
    READSB = "readsb"
    MODES = "modes"
    """Raw Mode S / ADS-B, AVR lines (``*8D4840D6202CC371C32CE0576098;``), port 30002."""
    ODID = "odid"
    """Remote ID: Open Drone ID messages or message packs, one per UDP datagram."""


FORMATS_OF_KIND: MappingProxyType[SensorKind, frozenset[SensorFormat]] = MappingProxyType(
    {
        SensorKind.RADAR: frozenset({SensorFormat.ASTERIX}),
        SensorKind.AIRBORNE_RADAR: frozenset({SensorFormat.ASTERIX}),
        SensorKind.CUAS: frozenset({SensorFormat.SAPIENT, SensorFormat.ASTERIX, SensorFormat.COT}),
        SensorKind.ACOUSTIC: frozenset({SensorFormat.MQTT_ACOUSTIC}),
        SensorKind.SIGHTING: frozenset({SensorFormat.SIGHTING_JSON, SensorFormat.COT}),
        SensorKind.ADSB: frozenset(
            {SensorFormat.SBS, SensorFormat.MODES, SensorFormat.READSB, SensorFormat.ASTERIX}
        ),
        SensorKind.REMOTE_ID: frozenset({SensorFormat.ODID}),
    }
)
LISTEN_SCHEMES: MappingProxyType[SensorFormat, frozenset[str]] = MappingProxyType(
    {
        SensorFormat.ASTERIX: frozenset({"udp"}),
        SensorFormat.SAPIENT: frozenset({"tcp"}),
        SensorFormat.MQTT_ACOUSTIC: frozenset({"mqtt", "mqtts"}),
        SensorFormat.SIGHTING_JSON: frozenset({"http", "https", "path"}),
        SensorFormat.COT: frozenset({"tcp", "udp"}),
        SensorFormat.SBS: frozenset({"tcp"}),
        SensorFormat.MODES: frozenset({"tcp"}),
        SensorFormat.READSB: frozenset(),
        SensorFormat.ODID: frozenset({"udp"}),
    }
)
CONNECT_SCHEMES: MappingProxyType[SensorFormat, frozenset[str]] = MappingProxyType(
    {
        SensorFormat.SBS: frozenset({"tcp"}),
        SensorFormat.MODES: frozenset({"tcp"}),
        SensorFormat.READSB: frozenset({"http", "https"}),
        SensorFormat.COT: frozenset({"tcp", "tls"}),
    }
)
"""Formats a node may read by calling the source (the source is the server)."""


def wire_format(sensor_format: SensorFormat, endpoint: Endpoint) -> WireFormat:
    """The decoder a sensor's messages go through (``sense.sensor_input``)."""
    if sensor_format is SensorFormat.COT:
        return WireFormat.COT_DATAGRAM if endpoint.scheme == "udp" else WireFormat.COT
    return {
        SensorFormat.ASTERIX: WireFormat.ASTERIX,
        SensorFormat.SAPIENT: WireFormat.SAPIENT,
        SensorFormat.MQTT_ACOUSTIC: WireFormat.ACOUSTIC_JSON,
        SensorFormat.SIGHTING_JSON: WireFormat.SIGHTING_JSON,
        SensorFormat.SBS: WireFormat.SBS,
        SensorFormat.MODES: WireFormat.MODES,
        SensorFormat.READSB: WireFormat.READSB,
        SensorFormat.ODID: WireFormat.ODID,
    }[sensor_format]


Port = Annotated[int, Field(ge=0, le=255)]


class NodeSection(StrictModel):
    name: NodeId
    """The node's id: it signs its messages with it and partners name it so."""
    country: Iso3
    """The airspace the node guards, ISO 3166-1 alpha-3 (POL)."""
    data_dir: str = "data"
    """Keys, stores, audit log, accounts (relative to this file)."""
    title: str = ""
    """A name for people (the operator picture's title)."""
    frame_origin: LatLon | None = None
    """Centre of the node's metric plane; default: the middle of its sensors, else of its
    country."""
    borders: str | None = None
    """A GeoJSON file of official borders (features with an ``iso3`` property) that replace
    Natural Earth's for those countries."""
    map_countries: list[Iso3] = Field(default_factory=list)
    """Countries the node knows besides its own and its partners' (drawn on the picture)."""


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_port(value: str) -> str:
    parse_host_port(value)
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]
"""host:port to bind, [v6]:port for IPv6"""


def _address(*schemes: str) -> AfterValidator:
    allowed = frozenset(schemes)

    def check(value: str) -> str:
        parse_endpoint(value, allowed)
        return value

    return AfterValidator(check)


UdpAddress = Annotated[str, _address("udp")]
TcpAddress = Annotated[str, _address("tcp")]
FileOrTcpAddress = Annotated[str, _address("file", "tcp")]
HttpsUrl = Annotated[str, _address("https")]


class _TlsPair(StrictModel):
    """A section with a certificate and its key (PEM files): both or neither."""

    tls_cert: str | None = None
    tls_key: str | None = None

    @model_validator(mode="after")
    def _tls_pair(self) -> Self:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        return self


class ApiSection(_TlsPair):
    """The operator picture and API; with ``tls_cert``/``tls_key``, over HTTPS."""

    listen: HostPort = "127.0.0.1:8080"
    """Where the operator picture and API are served (host:port)."""
    accounts: str | None = None
    """Operator accounts file (default: DATA_DIR/accounts.json; ``dronewarn users``)."""
    session_ttl_s: Positive = 12 * 3600.0


class LinkSection(_TlsPair):
    """The partner link; ``tls_cert``/``tls_key`` default to the newest in DATA_DIR/keys."""

    listen: HostPort = "0.0.0.0:8443"
    """The partner endpoint (mutual TLS): host:port partners call."""
    key: str | None = None
    """The node's private signing JWK (default: the newest in DATA_DIR/keys)."""
    ttl_s: Annotated[float, Field(gt=0, le=86_400)] = 600.0
    heartbeat_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    max_skew_s: Annotated[float, Field(ge=0, le=3600)] = 30.0
    checkpoint_every: Annotated[int, Field(ge=1)] = 100


class SensorEntry(StrictModel):
    """One sensor (or one feed of several, by ASTERIX SAC/SIC)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
    kind: SensorKind
    format: SensorFormat
    listen: str | None = None
    """Where the sensor's messages arrive (udp://, tcp://, mqtt://host:port/NETWORK, http://,
    a path on the API server)."""
    connect: str | None = None
    """Or: the source to call (SBS tcp://host:30003, readsb http://host/data/aircraft.json,
    a TAK server's tcp:// or tls://)."""
    editions: dict[str, str] = Field(default_factory=dict)
    """ASTERIX edition per category, {"48" = "1.31", "62" = "1.20"}; the rest default."""
    sac: Port | None = None
    sic: Port | None = None
    """ASTERIX System Area and Identification Codes (I010) this sensor's records carry.
    Without them the sensor owns whatever arrives on its listener."""
    position: Position | None = None
    """[lat, lon, alt_m] of a fixed sensor (a radar's antenna: its plots are measured from
    here)."""
    max_range_km: Positive | None = None
    sigma_range_m: Positive | None = None
    sigma_bearing_deg: Positive | None = None
    """A radar's measurement errors (CAT048 plots do not carry them)."""
    revisit_s: Positive | None = None
    """How often the sensor looks (radar scan period)."""
    pd: Annotated[float, Field(gt=0, le=1)] | None = None
    """Probability of detection, if known."""
    max_reorder_s: Positive | None = None
    """How far back in time its reports may go before it counts as time going backwards
    (default by kind: revisit + 1 s for radars, 150 s for sightings)."""
    sapient_node: str | None = None
    """The SAPIENT edge node's UUID (default: the first node that registers)."""
    token_file: str | None = None
    """Sightings: a file holding the bearer token every request must carry."""
    tls_cert: str | None = None
    tls_key: str | None = None
    """Sightings over https://: the server's certificate and key."""
    ca_file: str | None = None
    """mqtts:// or tls://: the CA that signed the broker's or server's certificate."""
    username: str | None = None
    password_file: str | None = None
    """MQTT credentials (the password is read from the file)."""
    poll_s: Positive = 1.0
    """readsb: how often aircraft.json is fetched."""

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None, info: ValidationInfo) -> str | None:
        fmt = info.data.get("format")
        if value is None or fmt is None:
            return value
        schemes = LISTEN_SCHEMES[fmt]
        if not schemes:
            raise ValueError(f"a {fmt.value} source is called, not listened to: use connect")
        parse_endpoint(value, schemes)
        return value

    @field_validator("connect")
    @classmethod
    def _connect(cls, value: str | None, info: ValidationInfo) -> str | None:
        fmt = info.data.get("format")
        if value is None or fmt is None:
            return value
        schemes = CONNECT_SCHEMES.get(fmt, frozenset())
        if not schemes:
            raise ValueError(f"a {fmt.value} sensor sends to the node: use listen")
        parse_endpoint(value, schemes)
        return value

    @field_validator("editions")
    @classmethod
    def _editions(cls, value: dict[str, str]) -> dict[str, str]:
        from dronewarn.formats.asterix.editions import parse_editions

        try:
            parse_editions([f"{cat}:{edition}" for cat, edition in value.items()])
        except DronewarnError as exc:  # FieldValueError, UnsupportedError
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.format not in FORMATS_OF_KIND[self.kind]:
            allowed = ", ".join(sorted(f.value for f in FORMATS_OF_KIND[self.kind]))
            article = "an" if self.kind.value[0] in "aeiou" else "a"
            raise ValueError(
                f"{article} {self.kind.value} sensor sends {allowed}, not {self.format.value}"
            )
        if (self.listen is None) == (self.connect is None):
            raise ValueError("give listen (the sensor sends to the node) or connect, not both")
        if (self.sac is None) != (self.sic is None):
            raise ValueError("sac and sic go together")
        if self.editions and self.format is not SensorFormat.ASTERIX:
            raise ValueError("editions are for ASTERIX sensors")
        if self.kind is SensorKind.AIRBORNE_RADAR and self.position is not None:
            raise ValueError("an airborne radar reports its own position (CAT034 I120)")
        https = self.listen is not None and self.listen.startswith("https://")
        if https and (self.tls_cert is None or self.tls_key is None):
            raise ValueError("listen https:// needs tls_cert and tls_key")
        if self.listen is not None and self.listen.startswith("/"):
            taken = ("/api", "/login", "/static", "/vendor", "/healthz", "/readyz", "/metrics")
            if self.listen == "/" or self.listen.startswith(taken):
                raise ValueError(
                    f"{self.listen} is the operator API's own: choose another path, like /sightings"
                )
        return self

    @property
    def endpoint(self) -> Endpoint:
        """The listen or connect address, parsed."""
        fmt = self.format
        if self.listen is not None:
            return parse_endpoint(self.listen, LISTEN_SCHEMES[fmt])
        assert self.connect is not None
        return parse_endpoint(self.connect, CONNECT_SCHEMES[fmt])

    @property
    def wire(self) -> WireFormat:
        return wire_format(self.format, self.endpoint)


class PartnerEntry(StrictModel):
    name: NodeId
    """The partner node's id."""
    country: Iso3
    title: str = ""
    url: HttpsUrl
    """The partner's link endpoint, https://host:port."""
    certificate: list[str] = Field(default_factory=list)
    """The partner's TLS certificate(s) (PEM), besides those in DATA_DIR/partners/NAME/."""
    signing_key: list[str] = Field(default_factory=list)
    """The partner's public signing JWK(s), besides those in DATA_DIR/partners/NAME/."""
    zones: list[Zone] = Field(default_factory=list)
    """The partner's protected zones it wants warnings about besides its country."""
    policy: PolicySpec = Field(default_factory=PolicySpec)
    """What this node shares with the partner."""

    @field_validator("certificate", "signing_key", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class CotOutput(_TlsPair):
    """Tracks and open warnings as Cursor on Target: to a TAK server (``to``: tcp:// or
    tls://), to TAK clients that connect (``listen``: tcp:// or tls://), or to the mesh
    (``to``: udp://239.2.3.1:6969)."""

    kind: Literal["cot"]
    to: str | None = None
    listen: str | None = None
    protocol: Literal["xml", "protobuf"] = "xml"
    """TAK protocol 0 (XML, what every TAK server takes) or 1 (protobuf). ``tls_cert`` and
    ``tls_key`` for tls://: the client certificate the TAK server enrolled, or the server
    certificate TAK clients see."""
    ca_file: str | None = None
    """tls:// to: the CA of the TAK server's certificate. listen tls://: the CA (or the
    certificates) TAK clients' certificates must chain to."""
    period_s: Positive = 2.0
    stale_s: Positive = 30.0

    @model_validator(mode="after")
    def _where(self) -> Self:
        if (self.to is None) == (self.listen is None):
            raise ValueError("give to (a TAK server or the mesh) or listen (for TAK clients)")
        if self.to is not None:
            target = parse_endpoint(self.to, frozenset({"tcp", "tls", "udp"}))
            if target.scheme == "tls" and self.ca_file is None:
                raise ValueError("tls:// needs ca_file: the CA of the TAK server's certificate")
        if self.listen is not None:
            where = parse_endpoint(self.listen, frozenset({"tcp", "tls"}))
            if where.scheme == "tls" and (self.tls_cert is None or self.ca_file is None):
                raise ValueError("listen tls:// needs tls_cert, tls_key and ca_file")
        return self


class Asterix062Output(StrictModel):
    """System tracks as ASTERIX CAT062 over UDP (unicast or multicast) to air-traffic and
    air-defence systems."""

    kind: Literal["asterix062"]
    to: UdpAddress
    sac: Port
    sic: Port
    """The System Area and Identification Codes this node sends as (I010)."""
    edition: str = "1.20"
    period_s: Positive = 4.0

    @field_validator("edition")
    @classmethod
    def _edition(cls, value: str) -> str:
        from dronewarn.formats.asterix.encode062 import cat062_editions

        if value not in cat062_editions():
            raise ValueError(
                f"CAT062 edition {value} is not written (writes {', '.join(cat062_editions())})"
            )
        return value


class SapientOutput(StrictModel):
    """Tracks as SAPIENT DetectionReports and warnings as Alerts, to a SAPIENT fusion node
    (BSI Flex 335 v2.0 over TCP)."""

    kind: Literal["sapient"]
    to: TcpAddress
    node_id: str | None = None
    """This node's SAPIENT UUID (default: one derived from the node's name)."""
    period_s: Positive = 1.0


class GeojsonOutput(StrictModel):
    """The picture (tracks and warnings) as RFC 7946 GeoJSON: a file rewritten every
    ``period_s`` (``file:``), or GeoJSON text sequences (RFC 8142) to a TCP server."""

    kind: Literal["geojson"]
    to: FileOrTcpAddress
    period_s: Positive = 5.0


Output = Annotated[
    CotOutput | Asterix062Output | SapientOutput | GeojsonOutput, Field(discriminator="kind")
]


class ReplaySection(StrictModel):
    """Only for simulated nights: a feeder drives this node's clock (docs/deploy.md)."""

    clock_listen: HostPort
    """host:port where the feeder connects to step the node's clock: a loopback address
    (the clock has no authentication; simulated nights run on one machine)."""

    @field_validator("clock_listen")
    @classmethod
    def _loopback(cls, value: str) -> str:
        host = parse_host_port(value).host
        if host != "localhost" and not _is_loopback(host):
            raise ValueError(f"the replay clock listens on loopback only, not {host}")
        return value

    step_timeout_s: Positive = 10.0
    """How long the node waits for a step's messages before going on without them."""


class LoggingSection(StrictModel):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "text"] = "json"
    """JSON lines on standard output (one event per line), or text for a terminal."""


class NodeFile(StrictModel):
    """A node's configuration file."""

    schema_version: Annotated[int, Field(ge=1)] = SCHEMA_VERSION
    node: NodeSection
    api: ApiSection = Field(default_factory=ApiSection)
    link: LinkSection = Field(default_factory=LinkSection)
    sensors: list[SensorEntry] = Field(default_factory=list)
    partners: list[PartnerEntry] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    """The node's own protected zones (shown on its picture; partners warn about those they
    know)."""
    outputs: list[Output] = Field(default_factory=list)
    tracker: TrackerOverrides = Field(default_factory=TrackerOverrides)
    assess: AssessOverrides = Field(default_factory=AssessOverrides)
    replay: ReplaySection | None = None
    logging: LoggingSection = Field(default_factory=LoggingSection)

    @field_validator("schema_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"written for a newer dronewarn (schema_version {value}; this one reads "
                f"{SCHEMA_VERSION}): upgrade dronewarn"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [s.id for s in self.sensors]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"sensor ids must be unique: {dupes}")
        names = [p.name for p in self.partners]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"partner names must be unique: {dupes}")
        if self.node.name in names:
            raise ValueError(f"{self.node.name} cannot be its own partner")
        zone_ids = [z.id for z in self.zones] + [z.id for p in self.partners for z in p.zones]
        if dupes := sorted({z for z in zone_ids if zone_ids.count(z) > 1}):
            raise ValueError(f"zone ids must be unique: {dupes}")
        countries = {self.node.country, *(p.country for p in self.partners)}
        if clash := sorted(set(zone_ids) & countries):
            raise ValueError(f"zone ids must not be country codes: {clash}")
        codes = [(s.sac, s.sic) for s in self.sensors if s.sac is not None]
        if twice := sorted({c for c in codes if codes.count(c) > 1}, key=str):
            raise ValueError(f"two sensors with the same SAC/SIC {twice}")
        return self
