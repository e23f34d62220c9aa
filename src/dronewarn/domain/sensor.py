"""SensorConfig: what a node knows about one of its sensors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dronewarn.domain.report import GeoPoint


class SensorKind(StrEnum):
    RADAR = "radar"
    AIRBORNE_RADAR = "airborne_radar"
    ACOUSTIC = "acoustic"
    SIGHTING = "sighting"
    CUAS = "cuas"
    ADSB = "adsb"
    REMOTE_ID = "remote_id"
    """Remote ID receivers (ASTM F3411 broadcast over Wi-Fi and Bluetooth): cooperative drones."""


class WireFormat(StrEnum):
    """How a sensor's messages reach the node (docs/formats.md)."""

    ASTERIX = "asterix"
    """EUROCONTROL ASTERIX data blocks (CAT048 + CAT034, CAT062, CAT021, CAT015) over UDP."""
    SAPIENT = "sapient"
    """BSI Flex 335 v2.0 protobuf messages, 4-byte little-endian length prefixed, over TCP."""
    COT = "cot"
    """Cursor on Target over a TCP/TLS stream: TAK protocol 0 (XML) or 1 (protobuf)."""
    COT_DATAGRAM = "cot_datagram"
    """Cursor on Target over UDP (the mesh, 239.2.3.1:6969): one event per datagram."""
    ACOUSTIC_JSON = "acoustic_json"
    """dronewarn's compact acoustic-node detection schema, over MQTT."""
    SIGHTING_JSON = "sighting_json"
    """Citizen sightings as JSON, over HTTP."""
    SBS = "sbs"
    """ADS-B as SBS/BaseStation lines."""
    READSB = "readsb"
    """ADS-B as readsb/dump1090 aircraft.json."""
    MODES = "modes"
    """ADS-B as raw Mode S messages, one ``*hex;`` (AVR) line each (dump1090/readsb port 30002)."""
    ODID = "odid"
    """Open Drone ID (ASTM F3411 / ASD-STAN EN 4709-002) broadcast messages over UDP: each
    datagram one 25-octet message or a message pack, as a receiver heard it."""


@dataclass(frozen=True, slots=True)
class SensorConfig:
    """A sensor as configured at a node.

    ``site`` is a fixed sensor's position; a moving one (airborne radar) reports its own.
    ``max_reorder_s`` is how far back in time a report from this sensor may go relative to
    the newest one already seen before it counts as time going backwards (sightings arrive
    minutes late by nature; a radar's plots within one scan are a few seconds apart).
    """

    sensor_id: str
    kind: SensorKind
    site: GeoPoint | None = None
    max_range_m: float | None = None
    max_reorder_s: float = 5.0
    wire: WireFormat | None = None
    """What the sensor sends; None: the node is handed Reports (tests, the track CLI)."""
    asterix_source: tuple[int, int] | None = None
    """ASTERIX SAC/SIC the sensor's records carry (I010)."""
    asterix_editions: tuple[str, ...] = ()
    """ASTERIX editions to read this sensor with, as "CAT:EDITION" ("48:1.31"); the rest default."""
    sigma_range_m: float | None = None
    sigma_bearing_deg: float | None = None
    """A radar's measurement errors, for formats (CAT048) whose plots do not carry them."""
    revisit_s: float | None = None
    """How often the sensor looks (a radar's scan period), when declared."""
    pd: float | None = None
    """Its probability of detection, when declared."""
