"""The decoding behind ``dronewarn decode``: each format's reader over a file and the counts
(imported by the command when it runs; ASTERIX's reader is ``decode_asterix``)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dronewarn.cli.decode import DecodeFormat, guess_format, is_hex
from dronewarn.domain.errors import DecodeError, InputError
from dronewarn.domain.report import GeoPoint, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
from dronewarn.formats.adsb.position import AdsbConfig
from dronewarn.formats.adsb.position import to_report as adsb_report
from dronewarn.formats.asterix.editions import Editions
from dronewarn.formats.report_lines import report_record

if TYPE_CHECKING:
    from dronewarn.sense.cot_input import CotInput
    from dronewarn.sense.sapient_input import SapientInput

Line = dict[str, object]
"""One output line: a Report record, or a decoded record that is not a Report."""
Item = Report | Line | InputError


def _stream_items(path: Path, wire: WireFormat, received_s: float) -> Iterator[Item]:
    stream_input: CotInput | SapientInput
    sensor = SensorConfig(path.stem, SensorKind.CUAS, wire=wire)
    if wire is WireFormat.SAPIENT:
        from dronewarn.sense.sapient_input import SapientInput  # each format its own import

        stream_input = SapientInput(sensor)
    else:
        from dronewarn.sense.cot_input import CotInput

        stream_input = CotInput(sensor)
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
    from dronewarn.formats.adsb.sbs import decode_sbs_line, sbs_position

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
    from dronewarn.formats.adsb.modes import ModeSDecoder

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
    from dronewarn.formats.adsb.readsb import aircraft_positions, decode_aircraft_json

    try:
        document = decode_aircraft_json(path.read_bytes(), max_bytes=config.max_json_bytes)
    except DecodeError as error:
        yield error
        return
    yield from document.errors
    for position in aircraft_positions(document, config):
        yield adsb_report(position, config)


def _odid_items(path: Path) -> Iterator[Item]:
    """Remote ID broadcasts in a capture of radio frames, each dated by its capture time."""
    from dronewarn.formats.remote_id.transport import capture_broadcasts
    from dronewarn.sense.remote_id_input import RemoteIdInput

    rid = RemoteIdInput(SensorConfig(path.stem, SensorKind.REMOTE_ID, wire=WireFormat.ODID))
    errors: list[DecodeError] = []
    for time_s, broadcast in capture_broadcasts(path, errors):
        yield from errors
        errors.clear()
        decoded = rid.decode(broadcast, time_s)
        yield from decoded.reports
        yield from decoded.errors
    yield from errors


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
            from dronewarn.cli.decode_asterix import asterix_items  # ASTERIX files only

            return asterix_items(path, editions, site, reference_s)
        case DecodeFormat.SAPIENT:
            return _stream_items(path, WireFormat.SAPIENT, reference_s)
        case DecodeFormat.COT:
            return _stream_items(path, WireFormat.COT, reference_s)
        case DecodeFormat.SBS:
            return _sbs_items(path, adsb)
        case DecodeFormat.READSB:
            return _readsb_items(path, adsb)
        case DecodeFormat.ODID:
            return _odid_items(path)
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


def nothing_decoded(counts: Counter[str]) -> bool:
    return not any(k == "report" or k.startswith("record:") for k in counts)
