"""The decoding behind ``dronewarn decode``: each format's reader over a file, the counts, the
ASTERIX edition hints (imported by the command when it runs)."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import TextIO

from dronewarn.cli.decode import DecodeFormat, guess_format, is_hex
from dronewarn.domain.errors import DecodeError, InputError
from dronewarn.domain.report import GeoPoint, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
from dronewarn.formats.adsb.modes import ModeSDecoder
from dronewarn.formats.adsb.position import AdsbConfig
from dronewarn.formats.adsb.position import to_report as adsb_report
from dronewarn.formats.adsb.readsb import aircraft_positions, decode_aircraft_json
from dronewarn.formats.adsb.sbs import decode_sbs_line, sbs_position
from dronewarn.formats.asterix.decoder import AsterixBatch, DecodePlan, decode_datablocks
from dronewarn.formats.asterix.edition_guess import (
    Detection,
    EditionHint,
    detect_editions,
    edition_hints,
)
from dronewarn.formats.asterix.editions import Editions
from dronewarn.formats.asterix.records import PositionRecord
from dronewarn.formats.asterix.reports import (
    AsterixSensorConfig,
    reports_from_batch,
)
from dronewarn.formats.capture import read_capture
from dronewarn.sense.sensor_input import CotInput, SapientInput
from dronewarn.sim.output import report_record

Line = dict[str, object]
"""One output line: a Report record, or a decoded record that is not a Report."""
Item = Report | Line | InputError


class _AsterixReader:
    """ASTERIX payloads -> Reports, one sensor per SAC/SIC met (all at ``site`` if given)."""

    def __init__(self, editions: Editions, site: GeoPoint | None) -> None:
        self._plan = DecodePlan.for_editions(editions)
        self._editions = editions
        self._site = site
        self._sensors: dict[tuple[int, int], AsterixSensorConfig] = {}

    def read(self, payload: bytes, reference_s: float, source: str) -> Iterator[Item]:
        batch = decode_datablocks(payload, self._plan, reference_s=reference_s)
        yield from batch.errors
        yield from self._service(batch)
        records: list[PositionRecord] = [
            *batch.cat048,
            *batch.cat062,
            *batch.cat021,
            *batch.cat015,
            *batch.cat010,
            *batch.cat020,
            *batch.cat001,
        ]
        for record in records:
            if record.sac is not None and record.sic is not None:
                self._sensor(record.sac, record.sic)
        if self._site is None and (batch.cat048 or batch.cat001):  # plots need the radar site
            for plot in batch.cat048:
                yield {"record": "cat048", "source": source, **asdict(plot)}
            for old in batch.cat001:
                yield {"record": "cat001", "source": source, **asdict(old)}
            batch = replace(batch, cat048=(), cat001=())
        reports, errors = reports_from_batch(batch, self._sensors.values(), source=source)
        yield from reports
        yield from errors

    def _service(self, batch: AsterixBatch) -> Iterator[Line]:
        for message in batch.cat034:
            yield {"record": "cat034", **asdict(message)}
        for status in batch.status:
            yield {"record": f"cat{status.category:03d}", **asdict(status)}

    def _sensor(self, sac: int, sic: int) -> None:
        if (sac, sic) not in self._sensors:
            self._sensors[sac, sic] = AsterixSensorConfig(
                f"asterix:{sac}/{sic}", sac, sic, site=self._site, editions=self._editions
            )


def _asterix_items(
    path: Path, editions: Editions, site: GeoPoint | None, reference_s: float
) -> Iterator[Item]:
    reader = _AsterixReader(editions, site)
    errors: list[DecodeError] = []
    captured_payloads = read_capture(path, errors=errors)
    while True:
        try:
            captured = next(captured_payloads)
        except StopIteration:
            break
        except DecodeError as error:  # the capture ends badly: what came before stands
            errors.append(error)
            break
        yield from errors
        errors.clear()
        when = captured.timestamp_s if captured.timestamp_s is not None else reference_s
        yield from reader.read(captured.payload, when, captured.source)
    yield from errors


def _stream_items(path: Path, wire: WireFormat, received_s: float) -> Iterator[Item]:
    sensor = SensorConfig(path.stem, SensorKind.CUAS, wire=wire)
    stream_input = SapientInput(sensor) if wire is WireFormat.SAPIENT else CotInput(sensor)
    with path.open("rb") as handle:
        while chunk := handle.read(65_536):
            decoded = stream_input.decode(chunk, received_s)
            yield from decoded.reports
            yield from decoded.errors
    yield from stream_input.finish().errors  # a message the file ends inside


def _line_items(path: Path, decode: Callable[[bytes], Iterator[Item]]) -> Iterator[Item]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield from decode(line.rstrip(b"\r\n"))


def _sbs_items(path: Path, config: AdsbConfig) -> Iterator[Item]:
    def decode(line: bytes) -> Iterator[Item]:
        try:
            position = sbs_position(decode_sbs_line(line, clock_zone=config.sbs_clock_zone))
        except DecodeError as error:
            yield error
            return
        if position is not None:
            yield adsb_report(position, config)

    return _line_items(path, decode)


def _modes_items(path: Path, config: AdsbConfig, received_s: float) -> Iterator[Item]:
    decoder = ModeSDecoder(config)

    def decode(line: bytes) -> Iterator[Item]:
        fields = [f.strip().strip(b'"') for f in line.split(b",")]
        message = next((f for f in fields if len(f) in (14, 28) and is_hex(f)), fields[0])
        time_s = received_s
        if len(fields) > 1:
            try:
                time_s = float(fields[0])
            except ValueError:
                yield DecodeError("the first field is not a time", data=line, field="time")
                return
        try:
            position = decoder.decode(message, time_s)
        except DecodeError as error:
            yield error
            return
        if position is not None:
            yield adsb_report(position, config)

    return _line_items(path, decode)


def _readsb_items(path: Path, config: AdsbConfig) -> Iterator[Item]:
    try:
        document = decode_aircraft_json(path.read_bytes(), max_bytes=config.max_json_bytes)
    except DecodeError as error:
        yield error
        return
    yield from document.errors
    for position in aircraft_positions(document, config):
        yield adsb_report(position, config)


def decode_items(
    path: Path,
    fmt: DecodeFormat,
    editions: Editions,
    site: GeoPoint | None,
    reference_s: float,
) -> Iterator[Item]:
    """Everything a file holds, in file order: Reports, other records, and errors."""
    if fmt is DecodeFormat.AUTO:
        with path.open("rb") as handle:
            fmt = guess_format(handle.read(512), path.name)
    adsb = AdsbConfig(path.stem)
    match fmt:
        case DecodeFormat.ASTERIX | DecodeFormat.PCAP:
            return _asterix_items(path, editions, site, reference_s)
        case DecodeFormat.SAPIENT:
            return _stream_items(path, WireFormat.SAPIENT, reference_s)
        case DecodeFormat.COT:
            return _stream_items(path, WireFormat.COT, reference_s)
        case DecodeFormat.SBS:
            return _sbs_items(path, adsb)
        case DecodeFormat.READSB:
            return _readsb_items(path, adsb)
        case _:
            return _modes_items(path, adsb, reference_s)


def run_decode(
    path: Path,
    fmt: DecodeFormat,
    editions: Editions,
    site: GeoPoint | None,
    reference_s: float,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> Counter[str]:
    """Print the file's lines to ``out`` and errors to ``err``; the counts by kind.

    OSError (the file cannot be read) propagates: the command's one failure.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    counts: Counter[str] = Counter()
    for item in decode_items(path, fmt, editions, site, reference_s):
        if isinstance(item, InputError):
            counts[f"error:{item.kind}"] += 1
            offset = getattr(item, "offset", None)
            field = getattr(item, "field", "")
            where = "".join(
                (
                    f" at offset {offset}" if offset is not None else "",
                    f" [{field}]" if field else "",
                )
            )
            print(f"{item.kind}: {item}{where}", file=err)
        elif isinstance(item, Report):
            counts["report"] += 1
            print(json.dumps(report_record(item), default=str), file=out)
        else:
            counts[f"record:{item['record']}"] += 1
            print(json.dumps(item, default=str), file=out)
    return counts


def _sample(path: Path, sample: int) -> list[tuple[bytes, float]]:
    """The first ``sample`` payloads of an ASTERIX recording with their capture times."""
    payloads: list[tuple[bytes, float]] = []
    errors: list[DecodeError] = []
    try:
        for captured in read_capture(path, errors=errors):
            payloads.append((captured.payload, captured.timestamp_s or time.time()))
            if len(payloads) >= sample:
                break
    except DecodeError:
        pass
    return payloads


def asterix_hints(path: Path, editions: Editions, sample: int = 200) -> list[EditionHint]:
    """Edition hints from the first ``sample`` payloads of an ASTERIX recording."""
    return edition_hints(_sample(path, sample), editions)


def detect_asterix_editions(path: Path, editions: Editions, sample: int = 200) -> Detection:
    """The editions of the categories ``editions`` does not fix, detected on the first
    ``sample`` payloads (``edition_guess.detect_editions``)."""
    if all(category in editions.explicit for category in editions):
        return Detection(editions, ())
    return detect_editions(_sample(path, sample), editions)


def nothing_decoded(counts: Counter[str]) -> bool:
    return not any(k == "report" or k.startswith("record:") for k in counts)
