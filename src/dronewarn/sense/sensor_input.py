"""One configured sensor's wire input: its payloads in, Reports and typed errors out.

A node holds one ``SensorInput`` per sensor with a wire format (``SensorConfig.wire``). Every
payload, whether a live UDP datagram, an MQTT message, an HTTP body, a chunk of a TCP stream
or the simulator's stand-in for one, goes through ``decode``; the Reports then go through
``Sense.ingest`` like any others. An input keeps what a stream needs across payloads (a
SAPIENT node's registration and site, a moving radar's position from CAT034, a partial TCP
frame) and nothing else.

| wire | one payload is | decoded by |
|---|---|---|
| asterix | one UDP datagram (data blocks) | ``formats.asterix.decoder`` |
| sapient | a chunk of the node's TCP stream | ``formats.sapient`` |
| cot | a chunk of a TAK stream (TCP or TLS) | ``formats.cot.decode`` |
| cot_datagram | one UDP datagram (XML or protocol 1 mesh) | ``formats.cot.decode`` |
| acoustic_json | one MQTT message body (a detection or a batch) | ``formats.acoustic`` |
| sighting_json | one HTTP request body (a sighting or a list) | ``formats.sighting`` |
| sbs | a chunk of SBS/BaseStation text (lines; a line may span chunks) | ``formats.adsb.sbs`` |
| modes | a chunk of raw Mode S AVR lines (``*hex;``), dated on arrival | ``formats.adsb.modes`` |
| readsb | one ``aircraft.json`` document (a poll) | ``formats.adsb.readsb`` |

Stream inputs (sapient, cot, sbs, modes) keep a partial message between payloads; ``finish`` reports
what was left unfinished when the stream ends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from dronewarn.domain.errors import (
    ConfigError,
    DecodeError,
    FieldValueError,
    ImplausibleValueError,
    InputError,
    UnknownSensorError,
)
from dronewarn.domain.limits import RANGE_MARGIN
from dronewarn.domain.report import GeoPoint, Report
from dronewarn.domain.sensor import SensorConfig, WireFormat
from dronewarn.formats.acoustic import AcousticConfig, decode_payload
from dronewarn.formats.acoustic import to_report as acoustic_report
from dronewarn.formats.adsb.modes import ModeSDecoder
from dronewarn.formats.adsb.position import AdsbConfig
from dronewarn.formats.adsb.position import to_report as adsb_report
from dronewarn.formats.adsb.readsb import AircraftJsonFeed
from dronewarn.formats.adsb.sbs import decode_sbs_line, sbs_position
from dronewarn.formats.asterix.cat034 import Cat034Message
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.decoder import AsterixBatch, DecodePlan, decode_datablocks
from dronewarn.formats.asterix.edition_guess import detect_editions, edition_hints
from dronewarn.formats.asterix.editions import parse_editions
from dronewarn.formats.asterix.plausibility import implausible
from dronewarn.formats.asterix.records import PositionRecord
from dronewarn.formats.asterix.reports import (
    AsterixSensorConfig,
    NotAMeasurementError,
    is_measurement,
    plot_report,
    reports_from_batch,
)
from dronewarn.formats.asterix.status import AsterixStatus
from dronewarn.formats.cot.decode import decode_datagram
from dronewarn.formats.cot.event import CotEvent
from dronewarn.formats.cot.reports import cot_report
from dronewarn.formats.cot.stream import CotStreamSplitter
from dronewarn.formats.sapient.convert import (
    NodeContext,
    SapientConfig,
    detection_to_report,
    status_site,
)
from dronewarn.formats.sapient.framing import Deframer
from dronewarn.formats.sapient.messages import (
    SapientDetection,
    SapientRegistration,
    SapientStatus,
    decode_message,
)
from dronewarn.formats.sighting import SightingConfig, decode_sightings
from dronewarn.formats.sighting import to_report as sighting_report

HINT_SAMPLE = 50
"""Failing ASTERIX payloads kept to tell which edition would read them."""
DETECT_AFTER = 5
"""Failing payloads of a feed before its editions are first detected (then after 10, 20...)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one payload gave: the Reports, and an error for each part that did not decode."""

    reports: tuple[Report, ...]
    errors: tuple[InputError, ...]


class SensorInput(Protocol):
    """A sensor's payloads -> Reports. ``received_s`` is when the payload arrived (UTC s)."""

    sensor_id: str

    def decode(self, payload: bytes, received_s: float) -> Decoded: ...


class AsterixInput:
    """An ASTERIX feed: CAT048 plots (with CAT034), CAT062, CAT021 or CAT015 records, of one
    sensor or of several sharing one listener (a multicast group carrying several radars),
    told apart by their SAC/SIC (I010). A sensor configured without SAC/SIC takes every
    record no other sensor claims.

    A radar without a configured site (an airborne one) is placed by the position its CAT034
    service messages carry (I034/120): each plot takes the last position sent before it.
    """

    def __init__(self, sensors: SensorConfig | Sequence[SensorConfig]) -> None:
        group = [sensors] if isinstance(sensors, SensorConfig) else list(sensors)
        if not group:
            raise ConfigError("an ASTERIX input needs at least one sensor")
        editions = {s.asterix_editions for s in group}
        if len(editions) > 1:
            raise ConfigError(
                f"sensors {[s.sensor_id for s in group]} share a listener but not their "
                "ASTERIX editions: one feed is decoded with one set of editions"
            )
        chosen = parse_editions(group[0].asterix_editions)
        self.sensor_id = group[0].sensor_id
        self._plan = DecodePlan.for_editions(chosen)
        self._configs: dict[tuple[int, int], AsterixSensorConfig] = {}
        self._wildcard: AsterixSensorConfig | None = None
        for sensor in group:
            sac, sic = sensor.asterix_source or (0, 0)
            base = AsterixSensorConfig(
                sensor.sensor_id, sac, sic, site=sensor.site, editions=chosen
            )
            config = replace(
                base,
                sigma_range_m=sensor.sigma_range_m or base.sigma_range_m,
                sigma_azimuth_deg=sensor.sigma_bearing_deg or base.sigma_azimuth_deg,
                max_range_m=None
                if sensor.max_range_m is None
                else sensor.max_range_m * RANGE_MARGIN,
            )
            if sensor.asterix_source is None:
                if self._wildcard is not None:
                    raise ConfigError(
                        f"sensors {self._wildcard.sensor_id} and {sensor.sensor_id} share a "
                        "listener and neither names its SAC/SIC: give each sac and sic"
                    )
                self._wildcard = config
            else:
                self._configs[(sac, sic)] = config
        self._moving_sites: dict[tuple[int, int], GeoPoint] = {}
        self._editions = chosen
        self.failing: deque[tuple[bytes, float]] = deque(maxlen=HINT_SAMPLE)
        """Recent payloads with records that did not decode, for ``edition_hint``."""
        self._recent: deque[tuple[bytes, float]] = deque(maxlen=HINT_SAMPLE)
        """Recent payloads, failing or not: what edition detection weighs."""
        self.decoded_records = 0
        self.failed_payloads = 0
        self._status: dict[tuple[int, int | None, int | None], AsterixStatus] = {}
        self.detected: tuple[str, ...] = ()
        """What edition detection chose for the categories nobody configured (node health)."""
        self._detect_at = DETECT_AFTER

    def edition_hint(self) -> str:
        """When records keep failing: which edition would read them ("" when none would
        do better, or nothing fails); and what was detected."""
        said = list(self.detected)
        if self.failed_payloads >= HINT_SAMPLE // 5 and self.failing:
            hints = edition_hints(list(self.failing), self._editions)
            said += [h.describe(option=False) for h in hints if h.better]
        return "; ".join(said)

    def source_status(self) -> list[dict[str, object]]:
        """The latest status or service message of each source on this feed (CAT002, 019,
        023, 025, 063, 065; CAT004 safety-net messages): what the sources say about
        themselves, for the channel's health."""
        return [
            {
                "category": category,
                "sac": sac,
                "sic": sic,
                "time_of_day_s": status.time_of_day_s,
                "message_type": status.message_type,
            }
            for (category, sac, sic), status in sorted(
                self._status.items(), key=lambda item: str(item[0])
            )
        ]

    def _detect(self) -> None:
        """Records of a category whose edition nobody configured keep failing: decode the
        failing payloads with each edition and switch to the one that reads them (module
        ``formats.asterix.edition_guess``); a configured edition is never overridden."""
        self._detect_at = self.failed_payloads * 2  # look again later, less and less often
        detection = detect_editions(list(self._recent), self._editions)
        if detection.switched:
            self._editions = detection.editions
            self._plan = DecodePlan.for_editions(detection.editions)
            self._configs = {
                code: replace(config, editions=detection.editions)
                for code, config in self._configs.items()
            }
            if self._wildcard is not None:
                self._wildcard = replace(self._wildcard, editions=detection.editions)
            self.detected = (*self.detected, *detection.describe())
            self.failing.clear()

    def _count_failure(
        self, payload: bytes, received_s: float, batch: AsterixBatch, refused: list[InputError]
    ) -> None:
        """A payload whose records failed to decode or were implausible is kept as evidence
        for edition detection and hints."""
        self._recent.append((payload, received_s))
        if not (batch.errors or any(isinstance(e, ImplausibleValueError) for e in refused)):
            return
        self.failed_payloads += 1
        self.failing.append((payload, received_s))
        undetermined = any(c not in self._editions.explicit for c in self._editions)
        if undetermined and self.failed_payloads >= self._detect_at:
            self._detect()

    def _configs_for(self, batch: AsterixBatch) -> dict[tuple[int, int], AsterixSensorConfig]:
        """The configured sources, plus the wildcard sensor as each unclaimed SAC/SIC."""
        if self._wildcard is None:
            return self._configs
        found = dict(self._configs)
        records: list[PositionRecord | Cat034Message] = [
            *batch.cat048,
            *batch.cat034,
            *batch.cat062,
            *batch.cat021,
            *batch.cat015,
            *batch.cat010,
            *batch.cat020,
            *batch.cat001,
        ]
        for record in records:
            code = (record.sac, record.sic)
            if code[0] is not None and code[1] is not None and code not in found:
                found[(code[0], code[1])] = replace(self._wildcard, sac=code[0], sic=code[1])
        return found

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        batch = decode_datablocks(payload, self._plan, reference_s=received_s)
        errors: list[InputError] = list(batch.errors)
        self.decoded_records += batch.records
        for status in batch.status:
            self._status[(status.category, status.sac, status.sic)] = status
        configs = self._configs_for(batch)
        placed = all(c.site is not None for c in configs.values())
        if placed or (not batch.cat048 and not batch.cat034):
            reports, refused = reports_from_batch(batch, configs.values())
            self._count_failure(payload, received_s, batch, refused)
            return Decoded(tuple(reports), (*errors, *refused))
        # a moving radar: plots and service messages in payload order
        ordered: list[Cat048Plot | Cat034Message] = sorted(
            (*batch.cat048, *batch.cat034), key=lambda record: record.offset
        )
        reports = []
        for record in ordered:
            if record.sac is None or record.sic is None:
                errors.append(
                    FieldValueError(
                        "record without its data source", offset=record.offset, field="I010"
                    )
                )
                continue
            code = (record.sac, record.sic)
            config = configs.get(code)
            if config is None:
                known = ", ".join(f"{a}/{b}" for a, b in sorted(configs))
                errors.append(
                    UnknownSensorError(
                        f"record from SAC/SIC {record.sac}/{record.sic} on {self.sensor_id}'s "
                        f"input ({known})"
                    )
                )
            elif isinstance(record, Cat034Message):
                if record.source_lat_deg is not None and record.source_lon_deg is not None:
                    self._moving_sites[code] = GeoPoint(
                        record.source_lat_deg, record.source_lon_deg, record.source_height_m
                    )
            elif (site := config.site or self._moving_sites.get(code)) is None:
                errors.append(
                    FieldValueError(
                        f"{config.sensor_id}: a plot before any CAT034 position of the radar",
                        offset=record.offset,
                        field="I034/120",
                    )
                )
            elif not is_measurement(record):
                errors.append(
                    NotAMeasurementError(
                        "CAT048 record measures no target (no detection, simulated or test)",
                        offset=record.offset,
                        field="I048/020",
                    )
                )
            elif (
                refusal := implausible(
                    48, record, config.editions[48], max_range_m=config.max_range_m
                )
            ) is not None:
                errors.append(refusal)
            else:
                try:
                    located = replace(config, site=site)
                    reports.append(plot_report(record, located, reference_s=received_s))
                except FieldValueError as error:
                    errors.append(error)
        others = replace(batch, cat048=(), cat034=())
        more, refused = reports_from_batch(others, configs.values())
        self._count_failure(payload, received_s, batch, [*errors, *refused])
        return Decoded((*reports, *more), (*errors, *refused))


class SapientInput:
    """One SAPIENT edge node's TCP stream: registration first, then status and detections.

    The live server (``sense.sapient_server``) does the same per connection and answers the
    node; this input reads a stream that needs no answers (a capture, the simulator).
    """

    def __init__(self, sensor: SensorConfig, config: SapientConfig | None = None) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = config or SapientConfig()
        self._deframer = Deframer(self._config.max_message_bytes)
        self._context = NodeContext(sensor.sensor_id, sensor.site)
        self._node_id: str | None = None
        self._lost = 0
        """Octets of the stream before the current deframer (kept for error offsets)."""

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        errors: list[InputError] = []
        try:
            frames = self._deframer.feed(payload)
        except DecodeError as error:
            # the stream's framing is lost: a live server drops the connection; start over
            # (offsets go on counting from where the stream was)
            self._lost += self._deframer.offset
            self._deframer = Deframer(self._config.max_message_bytes)
            return Decoded((), (error,))
        reports: list[Report] = []
        for offset, frame in frames:
            try:
                message = decode_message(frame, offset=self._lost + offset)
                content = message.content
                if isinstance(content, SapientRegistration):
                    self._register(message.node_id, content)
                elif self._node_id is None or message.node_id != self._node_id:
                    errors.append(
                        UnknownSensorError(
                            f"{self.sensor_id}: {message.kind} from unregistered SAPIENT node "
                            f"{message.node_id}"
                        )
                    )
                elif isinstance(content, SapientStatus):
                    site = status_site(content, self._config)
                    if site is not None:
                        self._context = replace(self._context, site=site)
                elif isinstance(content, SapientDetection):
                    conversion = detection_to_report(message, content, self._context, self._config)
                    if conversion.report is not None:
                        reports.append(conversion.report)
            except DecodeError as error:
                errors.append(error)
        return Decoded(tuple(reports), tuple(errors))

    def finish(self) -> Decoded:
        """A frame cut short at the end of the stream, as an error."""
        try:
            self._deframer.check_complete()
        except DecodeError as error:
            error.offset = self._lost + (error.offset or 0)
            return Decoded((), (error,))
        return Decoded((), ())

    def _register(self, node_id: str, registration: SapientRegistration) -> None:
        if registration.problems:
            raise FieldValueError(
                f"{self.sensor_id}: registration refused: {'; '.join(registration.problems)}",
                field="registration",
            )
        self._node_id = node_id
        self._context = replace(self._context, velocity_units=registration.velocity_units)


class CotInput:
    """CoT from a TAK stream, or (``datagrams``) one event per UDP datagram with nothing kept
    between datagrams (a damaged one costs only itself); air events become position Reports."""

    def __init__(self, sensor: SensorConfig, *, datagrams: bool = False) -> None:
        self.sensor_id = sensor.sensor_id
        self._datagrams = datagrams
        self._splitter = CotStreamSplitter()

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        if self._datagrams:
            try:
                items: list[CotEvent | DecodeError] = [decode_datagram(payload)]
            except DecodeError as error:
                items = [error]
        else:
            items = self._splitter.feed(payload)
        return self._reports(items)

    def finish(self) -> Decoded:
        """What the stream left unfinished (an event cut short), as errors."""
        return self._reports([] if self._datagrams else self._splitter.close())

    def _reports(self, items: Iterable[CotEvent | DecodeError]) -> Decoded:
        reports: list[Report] = []
        errors: list[InputError] = []
        for item in items:
            if isinstance(item, CotEvent):
                report = cot_report(item, self.sensor_id)
                if report is not None:
                    reports.append(report)
            else:
                errors.append(item)
        return Decoded(tuple(reports), tuple(errors))


class AcousticInput:
    """An acoustic network's MQTT messages (the listener has checked each topic)."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = AcousticConfig(
            sensor.sensor_id, sensor.sensor_id, default_radius_m=sensor.max_range_m or 2000.0
        )

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        config = self._config
        try:
            decoded = decode_payload(
                payload, max_bytes=config.max_payload_bytes, max_batch=config.max_batch
            )
        except DecodeError as error:
            return Decoded((), (error,))
        reports = tuple(
            acoustic_report(d, config, f"mqtt:{config.network}/{d.node_id}")
            for d in decoded.detections
        )
        return Decoded(reports, decoded.errors)


class SightingInput:
    """Citizen sightings as the HTTP endpoint receives them (rate limits apply there)."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = SightingConfig(sensor.sensor_id)

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        try:
            sightings = decode_sightings(payload, self._config, received_s)
        except DecodeError as error:
            return Decoded((), (error,))
        return Decoded(tuple(sighting_report(s, self._config) for s in sightings), ())


class _Lines:
    """Complete lines of a text stream; a partial one waits for the next chunk (bounded)."""

    def __init__(self, max_line_bytes: int, what: str) -> None:
        self._max = max_line_bytes
        self._what = what
        self._partial = b""

    def feed(self, payload: bytes) -> tuple[list[bytes], list[InputError]]:
        *lines, self._partial = (self._partial + payload).split(b"\n")
        errors: list[InputError] = []
        if len(self._partial) > self._max:
            errors.append(
                FieldValueError(
                    f"{self._what} line longer than {self._max} octets",
                    data=self._partial[:64],
                    field="line",
                )
            )
            self._partial = b""
        return [line.rstrip(b"\r") for line in lines if line.strip()], errors

    @property
    def waiting(self) -> bool:
        return bool(self._partial.strip())


class SbsInput:
    """SBS/BaseStation text (port 30003): complete lines decode, a partial one waits."""

    MAX_LINE_BYTES = 1024

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = AdsbConfig(sensor.sensor_id)
        self._lines = _Lines(self.MAX_LINE_BYTES, "an SBS")

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        lines, errors = self._lines.feed(payload)
        reports: list[Report] = []
        for line in lines:
            try:
                message = decode_sbs_line(line, clock_zone=self._config.sbs_clock_zone)
            except DecodeError as error:
                errors.append(error)
                continue
            position = sbs_position(message)
            if position is not None:
                reports.append(adsb_report(position, self._config))
        return Decoded(tuple(reports), tuple(errors))

    def finish(self) -> Decoded:
        """A last line without its line end still counts."""
        if not self._lines.waiting:
            return Decoded((), ())
        return self.decode(b"\n", 0.0)


class ModesInput:
    """Raw Mode S / ADS-B in AVR lines (``*hex;``, dump1090/readsb port 30002), as they arrive.

    AVR lines carry no time: each message is dated by its arrival (``received_s``). One
    ``ModeSDecoder`` per stream keeps the CPR pairs and what each aircraft declared (emitter
    category, NACp), so positions come as soon as an even/odd pair agrees.
    """

    MAX_LINE_BYTES = 256

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = AdsbConfig(sensor.sensor_id)
        self._decoder = ModeSDecoder(self._config)
        self._lines = _Lines(self.MAX_LINE_BYTES, "a Mode S")
        self._received_s = 0.0

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        self._received_s = received_s
        lines, errors = self._lines.feed(payload)
        reports: list[Report] = []
        for line in lines:
            try:
                position = self._decoder.decode(line, received_s)
            except DecodeError as error:
                errors.append(error)
                continue
            if position is not None:
                reports.append(adsb_report(position, self._config))
        return Decoded(tuple(reports), tuple(errors))

    def finish(self) -> Decoded:
        """A last line without its line end still counts (dated by the last arrival)."""
        if not self._lines.waiting:
            return Decoded((), ())
        return self.decode(b"\n", self._received_s)


class ReadsbInput:
    """readsb/dump1090 ``aircraft.json`` polls: each position reported once."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._feed = AircraftJsonFeed(AdsbConfig(sensor.sensor_id))

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        try:
            reports, errors = self._feed.update(payload)
        except DecodeError as error:
            return Decoded((), (error,))
        return Decoded(tuple(reports), errors)


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
        case _:
            raise ConfigError(f"sensor {sensor.sensor_id}: no wire input for {sensor.wire}")
