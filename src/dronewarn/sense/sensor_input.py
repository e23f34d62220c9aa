"""One configured sensor's wire input: its payloads in, Reports and typed errors out.

A node holds one ``SensorInput`` per sensor with a wire format (``SensorConfig.wire``). Every
payload, whether a live UDP datagram, an MQTT message, an HTTP body, a chunk of a TCP stream
or the simulator's stand-in for one, goes through ``decode``; the Reports then go through
``Sense.ingest`` like any others. An input keeps what a stream needs across payloads (a
SAPIENT node's registration and site, a moving radar's position from CAT034, a partial TCP
frame) and nothing else.

| wire | one payload is | input (``sense.``) |
|---|---|---|
| asterix | one UDP datagram (data blocks) | ``asterix_input`` |
| sapient | a chunk of the node's TCP stream | ``sapient_input`` |
| cot | a chunk of a TAK stream (TCP or TLS) | ``cot_input`` |
| cot_datagram | one UDP datagram (XML or protocol 1 mesh) | ``cot_input`` |
| acoustic_json | one MQTT message body (a detection or a batch) | ``acoustic_input`` |
| sighting_json | one HTTP request body (a sighting or a list) | ``sighting_input`` |
| sbs | a chunk of SBS/BaseStation text (a line may span chunks) | ``adsb_input`` |
| modes | a chunk of raw Mode S AVR lines (``*hex;``), dated on arrival | ``adsb_input`` |
| readsb | one ``aircraft.json`` document (a poll) | ``adsb_input`` |
| odid | one UDP datagram: an Open Drone ID message or message pack | ``remote_id_input`` |

The decoding itself is the format's package under ``formats``. Each input is its own module,
so a command that reads one format (``dronewarn decode``) imports that format alone; this
module only chooses.

Stream inputs (sapient, cot, sbs, modes) keep a partial message between payloads; ``finish`` reports
what was left unfinished when the stream ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from dronewarn.domain.errors import ConfigError
from dronewarn.domain.sensor import SensorConfig, WireFormat
from dronewarn.sense.acoustic_input import AcousticInput
from dronewarn.sense.adsb_input import ModesInput, ReadsbInput, SbsInput
from dronewarn.sense.asterix_input import AsterixInput
from dronewarn.sense.cot_input import CotInput
from dronewarn.sense.decoded import SensorInput
from dronewarn.sense.remote_id_input import RemoteIdInput
from dronewarn.sense.sapient_input import SapientInput
from dronewarn.sense.sighting_input import SightingInput


def channel_input(sensors: Sequence[SensorConfig]) -> SensorInput:
    """The input of one listener: its sensors share a wire format (several only for ASTERIX,
    told apart by SAC/SIC)."""
    first = sensors[0]
    if len(sensors) > 1:
        if {s.wire for s in sensors} != {WireFormat.ASTERIX}:
            raise ConfigError(
                f"sensors {[s.sensor_id for s in sensors]} share a listener: only ASTERIX "
                "sensors can (told apart by SAC/SIC)"
            )
        return AsterixInput(sensors)
    return sensor_input(first)


def sensor_input(sensor: SensorConfig) -> SensorInput:
    """The input for a sensor's configured wire format."""
    match sensor.wire:
        case WireFormat.ASTERIX:
            return AsterixInput(sensor)
        case WireFormat.SAPIENT:
            return SapientInput(sensor)
        case WireFormat.COT:
            return CotInput(sensor)
        case WireFormat.COT_DATAGRAM:
            return CotInput(sensor, datagrams=True)
        case WireFormat.ACOUSTIC_JSON:
            return AcousticInput(sensor)
        case WireFormat.SIGHTING_JSON:
            return SightingInput(sensor)
        case WireFormat.SBS:
            return SbsInput(sensor)
        case WireFormat.MODES:
            return ModesInput(sensor)
        case WireFormat.READSB:
            return ReadsbInput(sensor)
        case WireFormat.ODID:
            return RemoteIdInput(sensor)
        case _:
            raise ConfigError(f"sensor {sensor.sensor_id}: no wire input for {sensor.wire}")
