"""Real ASTERIX recordings, record by record against an independent decoder.

The corpus is ``bench/corpus.toml``: one entry per recording that someone published (the
repository, commit and path it came from, its licence, its SHA-256 and what it holds). The
recordings themselves are other people's files and are not in this repository: they are read
from the directories given with ``--dir`` (default ``$DRONEWARN_CORPUS``, then ``../corpus``
and ``../shared/samples`` beside the repository), each entry's ``file`` relative to one of
them, and a file whose SHA-256 differs from the manifest's is reported, not read.

For each recording:

* dronewarn reads it as ``dronewarn decode`` does: the recording format recognised
  (``formats.capture``, a recorder's framing by ``formats.asterix.wrapping``), the editions of
  categories the entry does not fix detected from the first payloads
  (``formats.asterix.edition_guess``), every data block decoded, and the Reports built
  (without a radar site, so CAT048/CAT001 plots stay records);
* the peer, CroatiaControl's C++ ``asterix-decoder`` 0.7.11 (its own virtual environment,
  ``.venv-asterix-peer``, made by ``./run test``), decodes every data block dronewarn found,
  each on its own (``tests/formats/peer/asterix_peer_decode.py --blocks``);
* records are paired by their octets (both decoders say where each record starts and ends),
  and each field both read is compared: SAC/SIC, time, track number, position (polar,
  Cartesian or WGS-84), flight level, Mode 3/A, aircraft address, message type.

Printed per recording: records read by dronewarn and by the peer, pairs, fields compared and
disagreeing, records only one read, the errors dronewarn counted, and any Report outside the
physical limits (``domain.limits``; none may be). Exit status 1 when a field disagrees or a
Report is implausible; ``--json`` saves the table.

    ./run bench corpus [--dir DIR ...] [--json bench/results-corpus.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from dronewarn.domain.errors import DecodeError
from dronewarn.domain.limits import MAX_ALT_M, MIN_ALT_M
from dronewarn.domain.report import PositionMeasurement, Report
from dronewarn.formats.asterix.datablock import split_datablocks, walk_record
from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.edition_guess import detect_editions
from dronewarn.formats.asterix.editions import parse_editions
from dronewarn.formats.asterix.reports import AsterixSensorConfig, reports_from_batch
from dronewarn.formats.capture import read_capture

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "bench" / "corpus.toml"
PEER_SCRIPT = ROOT / "tests" / "formats" / "peer" / "asterix_peer_decode.py"
DETECTION_SAMPLE = 200
"""Payloads edition detection reads (as ``dronewarn decode``)."""

Getter = Callable[[Any], Any]
"""A value of a dronewarn record, in the peer's unit."""


@dataclass(frozen=True, slots=True)
class Field:
    """One compared field: where the peer has it, how to get it from dronewarn's record, and
    the largest difference that still agrees (half the coarser LSB of the two decoders)."""

    name: str
    peer: tuple[str, ...]
    ours: Getter
    tolerance: float = 0.0


NM_M = 1852.0


def _attr(name: str, scale: float = 1.0) -> Getter:
    def get(record: Any) -> Any:
        value = getattr(record, name, None)
        return None if value is None else value / scale if scale != 1.0 else value

    return get


def _hex(name: str) -> Getter:
    def get(record: Any) -> Any:
        value = getattr(record, name, None)
        return None if value is None else f"{value:06X}"

    return get


_SOURCE = (Field("SAC", ("I010", "SAC"), _attr("sac")), Field("SIC", ("I010", "SIC"), _attr("sic")))
_WGS84 = 1e-6  # degrees: the coarsest LSB in use, 180/2^23 = 2.1e-5, is far above any disagreement
_TIME = 1.0 / 256  # half of 1/128 s

FIELDS: dict[int, tuple[Field, ...]] = {
    48: (
        *_SOURCE,
        Field("time", ("I140", "ToD"), _attr("time_of_day_s"), _TIME),
        Field("range", ("I040", "RHO"), _attr("range_m", NM_M), 1.0 / 512),
        Field("azimuth", ("I040", "THETA"), _attr("azimuth_deg"), 360.0 / 2**17),
        Field("mode3a", ("I070", "Mode3A"), _attr("mode3a_code")),
        Field("flight_level", ("I090", "FL"), _attr("flight_level_ft", 100.0), 0.125),
        Field("track_number", ("I161", "Tn"), _attr("track_number")),
        Field("address", ("I220", "ACAddr"), _hex("aircraft_address")),
    ),
    62: (
        *_SOURCE,
        Field("time", ("I070", "ToT"), _attr("time_of_track_s"), _TIME),
        Field("lat", ("I105", "Lat"), _attr("lat_deg"), _WGS84),
        Field("lon", ("I105", "Lon"), _attr("lon_deg"), _WGS84),
        Field("x", ("I100", "X"), _attr("x_m"), 0.25),
        Field("y", ("I100", "Y"), _attr("y_m"), 0.25),
        Field("vx", ("I185", "Vx"), _attr("vx_mps"), 0.125),
        Field("vy", ("I185", "Vy"), _attr("vy_mps"), 0.125),
        Field("track_number", ("I040", "TrkN"), _attr("track_number")),
        # asterix-decoder gives CAT062's measured flight level in feet
        Field("flight_level", ("I136", "MFL"), _attr("measured_flight_level_ft"), 12.5),
    ),
    21: (
        *_SOURCE,
        Field("lat", ("I130", "Lat"), _attr("lat_deg"), 1e-5),
        Field("lon", ("I130", "Lon"), _attr("lon_deg"), 1e-5),
        Field("address", ("I080", "TAddr"), _hex("target_address")),
        Field("flight_level", ("I145", "FL"), _attr("flight_level_ft", 100.0), 0.125),
    ),
    34: (
        *_SOURCE,
        Field("message_type", ("I000", "MsgTyp"), _attr("message_type")),
        Field("time", ("I030", "ToD"), _attr("time_of_day_s"), _TIME),
        Field("sector", ("I020", "Azi"), _attr("sector_azimuth_deg"), 360.0 / 2**9),
    ),
    1: (
        *_SOURCE,
        Field("range", ("I040", "RHO"), _attr("range_m", NM_M), 1.0 / 256),
        Field("azimuth", ("I040", "THETA"), _attr("azimuth_deg"), 360.0 / 2**17),
        Field("flight_level", ("I090", "FL"), _attr("flight_level_ft", 100.0), 0.125),
    ),
    10: (
        *_SOURCE,
        Field("time", ("I140", "ToD"), _attr("time_of_day_s"), _TIME),
        Field("lat", ("I041", "Lat"), _attr("lat_deg"), 1e-6),
        Field("lon", ("I041", "Lon"), _attr("lon_deg"), 1e-6),
        Field("x", ("I042", "X"), _attr("x_m"), 0.5),
        Field("y", ("I042", "Y"), _attr("y_m"), 0.5),
        Field("track_number", ("I161", "TrkNb"), _attr("track_number")),
    ),
    20: (
        *_SOURCE,
        Field("time", ("I140", "ToD"), _attr("time_of_day_s"), _TIME),
        Field("lat", ("I041", "Lat"), _attr("lat_deg"), 1e-6),
        Field("lon", ("I041", "Lon"), _attr("lon_deg"), 1e-6),
        Field("track_number", ("I161", "TrkNb"), _attr("track_number")),
    ),
}
for _status, _time_item in ((2, "I030"), (63, "I030"), (65, "I030"), (19, "I140"), (4, "I020")):
    FIELDS[_status] = (*_SOURCE, Field("time", (_time_item, "ToD"), _attr("time_of_day_s"), _TIME))


PEER_LACKS = frozenset({(62, "0.17")})
"""Editions asterix-decoder 0.7.11 has no definition for (it reads CAT062 as 1.18): records of
these are counted as read by dronewarn alone, never compared."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One recording of the manifest."""

    file: str
    source: str
    licence: str
    sha256: str
    holds: str
    editions: tuple[str, ...] = ()


@dataclass
class Result:
    """What one recording gave."""

    file: str
    status: str = "read"
    editions: str = ""
    dronewarn_records: int = 0
    peer_records: int = 0
    pairs: int = 0
    compared: Counter[str] = field(default_factory=Counter)
    disagreements: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    only_dronewarn: Counter[int] = field(default_factory=Counter)
    only_peer: Counter[int] = field(default_factory=Counter)
    peer_lacks: Counter[int] = field(default_factory=Counter)
    """Records of an edition the peer has no definition for (``PEER_LACKS``)."""
    errors: Counter[str] = field(default_factory=Counter)
    reports: int = 0
    implausible_reports: int = 0
    peer_crashes: int = 0
    """Blocks the peer crashed on (a crash loses that block's records)."""

    def row(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "editions": self.editions,
            "dronewarn_records": self.dronewarn_records,
            "peer_records": self.peer_records,
            "pairs": self.pairs,
            "fields_compared": sum(self.compared.values()),
            "fields_disagreeing": sum(self.disagreements.values()),
            "disagreements": dict(self.disagreements),
            "examples": self.examples[:5],
            "only_dronewarn": {f"{k:03d}": v for k, v in sorted(self.only_dronewarn.items())},
            "only_peer": {f"{k:03d}": v for k, v in sorted(self.only_peer.items())},
            "peer_lacks_edition": {f"{k:03d}": v for k, v in sorted(self.peer_lacks.items())},
            "errors": dict(self.errors),
            "reports": self.reports,
            "implausible_reports": self.implausible_reports,
            "peer_crashes": self.peer_crashes,
        }


def load_manifest(path: Path) -> list[Entry]:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Entry(
            file=item["file"],
            source=item["source"],
            licence=item["licence"],
            sha256=item["sha256"],
            holds=item.get("holds", ""),
            editions=tuple(item.get("editions", ())),
        )
        for item in document["recording"]
    ]


def _find(entry: Entry, dirs: Iterable[Path]) -> Path | None:
    for directory in dirs:
        candidate = directory / entry.file
        if candidate.is_file():
            return candidate
    return None


@dataclass
class _OurRecord:
    category: int
    octets: bytes
    record: Any


def _ours(path: Path, entry: Entry, result: Result) -> tuple[list[bytes], list[_OurRecord]]:
    """The data blocks of the recording and dronewarn's records with their octets."""
    errors: list[Any] = []
    payloads: list[tuple[bytes, float]] = []
    try:
        for captured in read_capture(path, errors=errors):
            payloads.append((captured.payload, captured.timestamp_s or 0.0))
    except DecodeError as error:  # the recording ends badly: what came before stands
        errors.append(error)
    for error in errors:
        result.errors[f"capture:{error.kind}"] += 1
    editions = parse_editions(list(entry.editions))
    detection = detect_editions(payloads[:DETECTION_SAMPLE], editions)
    editions = detection.editions
    result.editions = " ".join(f"{c:03d}:{e}" for c, e in sorted(editions.chosen().items()))
    lacking = {c for c, e in editions.items() if (c, str(e)) in PEER_LACKS}
    plan = DecodePlan.for_editions(editions)
    sensors: dict[tuple[int, int], AsterixSensorConfig] = {}
    blocks: list[bytes] = []
    records: list[_OurRecord] = []
    for payload, when in payloads:
        batch = decode_datablocks(payload, plan, reference_s=when)
        for error in batch.errors:
            result.errors[error.kind] += 1
        for record in (*batch.cat048, *batch.cat062, *batch.cat021, *batch.cat010):
            key = (record.sac or 0, record.sic or 0)
            if key not in sensors:
                sensors[key] = AsterixSensorConfig(
                    f"asterix:{key[0]}/{key[1]}", key[0], key[1], editions=editions
                )
        # no radar site: plots (CAT048, CAT001) stay records, as in ``dronewarn decode``
        located = replace(batch, cat048=(), cat001=())
        reports, report_errors = reports_from_batch(located, sensors.values(), source=path.name)
        for error in report_errors:
            result.errors[error.kind] += 1
        result.reports += len(reports)
        result.implausible_reports += sum(not _plausible(r) for r in reports)
        found, _ = split_datablocks(payload)
        by_offset = {
            r.offset: r
            for r in (
                *batch.cat048, *batch.cat034, *batch.cat062, *batch.cat021, *batch.cat015,
                *batch.cat010, *batch.cat001, *batch.cat020, *batch.status,
            )
        }  # fmt: skip
        for block in found:
            blocks.append(payload[block.offset : block.end])
            starts = sorted(o for o in by_offset if block.records_start <= o < block.end)
            if block.category in lacking:
                result.peer_lacks[block.category] += len(starts)
                continue
            for start, end in zip(starts, [*starts[1:], block.end], strict=False):
                last = _record_end(payload, start, block.end, plan, block.category)
                end = min(end, last)
                records.append(_OurRecord(block.category, payload[start:end], by_offset[start]))
    return blocks, records


def _record_end(data: bytes, start: int, end: int, plan: DecodePlan, category: int) -> int:
    """Where the record at ``start`` ends, by its edition's length rules (``end`` if unknown)."""
    found = plan.category(category)
    if found is None or found.layout is None:
        return end
    try:
        return walk_record(data, start, end, found.layout)[0]
    except DecodeError:
        return end


def _plausible(report: Report) -> bool:
    """Within the physical limits: a position on the Earth at an altitude that can be flown,
    and every number finite."""
    m = report.measurement
    if isinstance(m, PositionMeasurement):
        p = m.point
        if not (-90.0 <= p.lat_deg <= 90.0 and -180.0 <= p.lon_deg <= 180.0):
            return False
        if p.alt_m is not None and not MIN_ALT_M <= p.alt_m <= MAX_ALT_M:
            return False
    return all(math.isfinite(v) for v in _numbers(asdict(m)))


def _numbers(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    return []


def _peer(python: Path, blocks: list[bytes], result: Result) -> list[dict[str, Any]]:
    """The peer's records of every block; a block it crashes on (the C++ decoder segfaults on
    some) is counted in ``result.peer_crashes`` and the peer goes on after it."""
    with tempfile.NamedTemporaryFile(suffix=".blocks", delete=False) as handle:
        for block in blocks:
            handle.write(len(block).to_bytes(4, "big") + block)
    records: list[dict[str, Any]] = []
    skip = 0
    try:
        while skip < len(blocks):
            done = subprocess.run(
                [str(python), str(PEER_SCRIPT), "--blocks", handle.name, str(skip)],
                capture_output=True,
                text=True,
                check=False,
                timeout=1800,
            )
            last = skip - 1
            for line in done.stdout.splitlines():
                answer = json.loads(line)
                records.extend(answer.get("records", []))
                last = answer["block"]
            if done.returncode == 0:
                break
            result.peer_crashes += 1
            skip = last + 2  # after the block it crashed on
    finally:
        Path(handle.name).unlink()
    return records


def _peer_value(items: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = items
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _agrees(ours: Any, theirs: Any, tolerance: float) -> bool:
    if isinstance(ours, str) or isinstance(theirs, str):
        return str(ours).strip().upper() == str(theirs).strip().upper()
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return bool(ours) == bool(theirs)
    return abs(float(ours) - float(theirs)) <= tolerance + 1e-9 * max(1.0, abs(float(theirs)))


def compare(ours: list[_OurRecord], peer: list[dict[str, Any]], result: Result) -> None:
    """Pair the records by their octets and compare the fields both read."""
    waiting: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for record in peer:
        waiting[record["category"], record["hex"].upper()].append(record)
    result.dronewarn_records = len(ours) + sum(result.peer_lacks.values())
    result.peer_records = len(peer)
    for mine in ours:
        queue = waiting.get((mine.category, mine.octets.hex().upper()))
        if not queue:
            result.only_dronewarn[mine.category] += 1
            continue
        theirs = queue.pop(0)
        result.pairs += 1
        for spec in FIELDS.get(mine.category, _SOURCE):
            value = spec.ours(mine.record)
            other = _peer_value(theirs["items"], spec.peer)
            if value is None or other is None:
                continue
            name = f"{mine.category:03d}.{spec.name}"
            result.compared[name] += 1
            if not _agrees(value, other, spec.tolerance):
                result.disagreements[name] += 1
                if len(result.examples) < 20:
                    result.examples.append(f"{name}: dronewarn {value!r}, peer {other!r}")
    for (category, _), left in waiting.items():
        if left and category not in result.peer_lacks:  # the peer's misreads of an edition
            result.only_peer[category] += len(left)  # it lacks are not records it read


def _peer_python() -> Path | None:
    configured = os.environ.get("DRONEWARN_ASTERIX_PEER")
    path = Path(configured) if configured else ROOT / ".venv-asterix-peer" / "bin" / "python"
    return path if path.is_file() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, action="append", default=None)
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    dirs: list[Path] = args.dir or [
        *([Path(os.environ["DRONEWARN_CORPUS"])] if os.environ.get("DRONEWARN_CORPUS") else []),
        ROOT.parent / "corpus",
        ROOT.parent / "shared" / "samples",
    ]
    python = _peer_python()
    console = Console(stderr=True)
    if python is None:
        console.print("no peer decoder: run ./run test once (it makes .venv-asterix-peer)")
        return 2
    entries = load_manifest(args.manifest)
    results: list[Result] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("recordings", total=len(entries))
        for entry in entries:
            result = Result(entry.file)
            results.append(result)
            path = _find(entry, dirs)
            if path is None:
                result.status = "missing"
            elif hashlib.sha256(path.read_bytes()).hexdigest() != entry.sha256:
                result.status = "changed"
            else:
                blocks, ours = _ours(path, entry, result)
                compare(ours, _peer(python, blocks, result), result)
            progress.advance(task)
    _print(results, Console(width=max(160, Console().width)))
    if args.json:
        args.json.write_text(json.dumps([r.row() for r in results], indent=2) + "\n")
    read = [r for r in results if r.status == "read"]
    bad = [r for r in read if r.disagreements or r.implausible_reports]
    return 1 if bad or not read else 0


def _print(results: list[Result], console: Console) -> None:
    table = Table(
        title="ASTERIX corpus: dronewarn against asterix-decoder 0.7.11, record by record"
    )
    for column in (
        "recording", "editions", "dronewarn", "peer", "pairs", "fields", "disagree",
        "only dronewarn", "only peer", "peer lacks edition", "peer crashed", "reports",
        "implausible",
    ):  # fmt: skip
        table.add_column(column, overflow="fold")
    for r in results:
        if r.status != "read":
            table.add_row(r.file, r.status, *[""] * 11)
            continue
        table.add_row(
            r.file,
            r.editions or "defaults",
            str(r.dronewarn_records),
            str(r.peer_records),
            str(r.pairs),
            str(sum(r.compared.values())),
            str(sum(r.disagreements.values())),
            " ".join(f"{c:03d}:{n}" for c, n in sorted(r.only_dronewarn.items())),
            " ".join(f"{c:03d}:{n}" for c, n in sorted(r.only_peer.items())),
            " ".join(f"{c:03d}:{n}" for c, n in sorted(r.peer_lacks.items())),
            str(r.peer_crashes or ""),
            str(r.reports),
            str(r.implausible_reports),
        )
    console.print(table)
    read = [r for r in results if r.status == "read"]
    pairs = sum(r.pairs for r in read)
    fields = sum(sum(r.compared.values()) for r in read)
    wrong = sum(sum(r.disagreements.values()) for r in read)
    console.print(
        f"{len(read)} of {len(results)} recordings read; {pairs} record pairs; "
        f"{fields} fields compared, {wrong} disagree; "
        f"{sum(r.implausible_reports for r in read)} implausible Reports"
    )
    for r in read:
        for example in r.examples[:3]:
            console.print(f"  {r.file}: {example}", highlight=False)


if __name__ == "__main__":
    sys.exit(main())
