"""Coverage-guided fuzzing of every decoder with atheris: 100,000 inputs each, by default.

Each target runs in its own process under libFuzzer (atheris), seeded with real captures from
../shared/samples (or $DRONEWARN_SAMPLES) and with messages dronewarn's own encoders write.
An input passes when the decoder returns (records, errors) or raises a ``DecodeError``; any
other exception is a crash, and an input that runs longer than ``--timeout-s`` is a hang.
libFuzzer stops at the first crash or hang and saves the input under ``--artifacts``.

    ./run bench fuzz [--runs 100000] [--target asterix] [--timeout-s 10]

Prints a table (runs, time, inputs per second, crashes, hangs, typed errors by kind) and writes
bench/results-fuzz.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = Path(os.environ.get("DRONEWARN_SAMPLES", HERE.parents[1] / "shared" / "samples"))
TARGETS = (
    "asterix",
    "asterix_libasterix",
    "capture",
    "sapient",
    "cot_xml",
    "cot_stream",
    "acoustic",
    "sighting",
    "adsb_json",
    "adsb_sbs",
    "adsb_modes",
    "remote_id",
)
T0_S = 1_757_458_800.0  # 2025-09-09T23:00:00Z


# ---------------------------------------------------------------- targets (child process)


def _seeds_asterix() -> list[bytes]:
    from dronewarn.formats.capture import read_capture

    seeds: list[bytes] = []
    for name in ("asterix.pcap", "cat_034_048.pcap", "cat_062_065.pcap", "cat21_re.ast"):
        path = SAMPLES / "asterix" / name
        if path.exists():
            seeds.extend(p.payload for p in list(read_capture(path))[:40])
    for name in ("cat048.raw", "cat034.raw", "cat062cat065.raw"):
        path = SAMPLES / "asterix" / name
        if path.exists():
            seeds.append(path.read_bytes())
    return seeds


def _seeds_capture() -> list[bytes]:
    seeds = []
    for folder in ("asterix", "odid"):
        for path in sorted((SAMPLES / folder).glob("*.pcap*")):
            data = path.read_bytes()
            seeds.append(data[:4096])
    return seeds


def _seeds_sapient() -> list[bytes]:
    from dronewarn.domain.report import (
        ClassHint,
        GeoPoint,
        ObjectClass,
        PositionMeasurement,
        Report,
    )
    from dronewarn.formats.sapient.encode import detection_message, sensor_registration_message
    from dronewarn.formats.sapient.framing import encode_message as frame

    node = "0f8c2b3e-9a41-4c55-8a0e-2d5b6f7a8c9d"
    out = [frame(sensor_registration_message(node, "fuzz radar", T0_S))]
    for k in range(5):
        report = Report(
            "fuzz",
            T0_S + k,
            PositionMeasurement(GeoPoint(52.0 + k / 100, 23.5, 300.0 + k), 25.0, 15.0),
            ClassHint(list(ObjectClass)[k], 0.8),
        )
        out.append(out[0] + frame(detection_message(report, node, object_key=f"o{k}")))
    return out


def _seeds_cot() -> list[bytes]:
    from dronewarn.domain.report import GeoPoint, ObjectClass
    from dronewarn.domain.track import TrackState, TrackStatus
    from dronewarn.formats.cot.encode import encode
    from dronewarn.formats.cot.event import TakProtocol
    from dronewarn.formats.cot.tracks import CotOutConfig, track_event

    seeds = []
    sample = SAMPLES / "cot" / "mitre_globalhawk_cot.xml"
    if sample.exists():
        seeds.append(sample.read_bytes())
    cov = (900.0, 0.0, 0.0, 0.0, 0.0, 400.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 4.0)
    state = TrackState(
        "T1", T0_S, TrackStatus.CONFIRMED, 0.0, 0.0, -30.0, -10.0, cov,
        GeoPoint(52.1, 23.6, 900.0), 0.9, 10, object_class=ObjectClass.GERBERA,
    )  # fmt: skip
    event = track_event(state, CotOutConfig("PL"), T0_S)
    assert event is not None
    for protocol in TakProtocol:
        seeds.append(encode(event, protocol))
        seeds.append(encode(event, protocol, mesh=True))
    return seeds


def _seeds_acoustic() -> list[bytes]:
    from dronewarn.formats.acoustic import (
        AcousticClass,
        AcousticDetection,
        encode_batch,
        encode_detection,
    )

    detections = [
        AcousticDetection(1, f"n{k:05d}", 51.5 + k / 100, 23.6, int(T0_S * 1000) + k, 0.8,
                          AcousticClass.UNKNOWN, None, 45.0 * k, 10.0, 2000.0)
        for k in range(3)
    ]  # fmt: skip
    return [encode_detection(detections[0]), encode_batch(detections)]


def _seeds_sighting() -> list[bytes]:
    from datetime import UTC, datetime

    from dronewarn.formats.sighting import Sighting, encode_sightings

    one = Sighting(1, "citizen-1", 50.9, 24.1, 280.0, 15.0,
                   datetime.fromtimestamp(T0_S, tz=UTC), 180.0, 1500.0)  # fmt: skip
    return [encode_sightings([one]), encode_sightings([one, one])]


def _seeds_adsb_json() -> list[bytes]:
    doc = {
        "now": T0_S,
        "messages": 100,
        "aircraft": [
            {"hex": "4ca2d6", "flight": "RYR1AB  ", "lat": 52.1, "lon": 21.0, "alt_baro": 35000,
             "alt_geom": 35500, "gs": 450.0, "track": 270.0, "seen_pos": 0.5, "category": "A3",
             "nac_p": 9},
            {"hex": "~0a0b0c", "lat": 51.0, "lon": 23.0, "alt_baro": "ground", "seen_pos": 1.0},
        ],
    }  # fmt: skip
    return [json.dumps(doc).encode()]


def _seeds_adsb_sbs() -> list[bytes]:
    return [
        b"MSG,3,1,1,4CA2D6,1,2025/09/09,23:00:00.000,2025/09/09,23:00:00.000,,35000,,,52.1,21.0,,,0,0,0,0",
        b"MSG,4,1,1,4CA2D6,1,2025/09/09,23:00:00.000,2025/09/09,23:00:00.000,,,450,270,,,64,,,,,0",
        b"MSG,1,1,1,4CA2D6,1,2025/09/09,23:00:00.000,2025/09/09,23:00:00.000,RYR1AB,,,,,,,,,,,0",
    ]  # fmt: skip


def _seeds_adsb_modes() -> list[bytes]:
    path = SAMPLES / "adsb" / "sample_data_adsb.csv"
    if not path.exists():
        return [b"8D406B902015A678D4D220AA4BDA"]
    lines = path.read_bytes().splitlines()[:50]
    return [line.split(b",")[1].strip(b'"') for line in lines]


def _seeds_remote_id() -> list[bytes]:
    from dronewarn.formats.remote_id.messages import encode_basic_id, encode_location, encode_pack

    location = encode_location(lat_deg=52.2, lon_deg=21.0, geodetic_alt_m=120.0, time_s=T0_S)
    seeds = [encode_pack([encode_basic_id("1596F3B2D4A7C9E0"), location]), location]
    for path in sorted((SAMPLES / "odid").glob("*.pcap*")):
        from dronewarn.formats.remote_id.transport import capture_broadcasts

        seeds += [b for _, b in capture_broadcasts(path, [])][:10]
    return seeds


def _target(name: str) -> tuple[Callable[[bytes], object], Callable[[], list[bytes]]]:
    """(one input -> decode, seeds) for a target; imports happen under instrumentation."""
    if name in ("asterix", "asterix_libasterix"):
        from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks

        plan = DecodePlan.for_editions(fast=name == "asterix")
        return (lambda data: decode_datablocks(data, plan, reference_s=T0_S)), _seeds_asterix
    if name == "capture":
        from dronewarn.formats.capture import iter_capture

        return (lambda data: list(iter_capture(data))), _seeds_capture
    if name == "sapient":
        from dronewarn.formats.sapient.framing import Deframer
        from dronewarn.formats.sapient.messages import decode_message

        def sapient(data: bytes) -> object:
            return [decode_message(frame) for _, frame in Deframer().feed(data)]

        return sapient, _seeds_sapient
    if name == "cot_xml":
        from dronewarn.formats.cot.decode import decode_datagram

        return decode_datagram, _seeds_cot
    if name == "cot_stream":
        from dronewarn.formats.cot.stream import CotStreamSplitter

        def stream(data: bytes) -> object:
            splitter = CotStreamSplitter()
            half = len(data) // 2
            return [*splitter.feed(data[:half]), *splitter.feed(data[half:]), *splitter.close()]

        return stream, _seeds_cot
    if name == "acoustic":
        from dronewarn.formats.acoustic import decode_payload

        return decode_payload, _seeds_acoustic
    if name == "sighting":
        from dronewarn.formats.sighting import SightingConfig, decode_sightings

        config = SightingConfig("fuzz")
        return (lambda data: decode_sightings(data, config, T0_S + 60.0)), _seeds_sighting
    if name == "adsb_json":
        from dronewarn.formats.adsb.position import AdsbConfig
        from dronewarn.formats.adsb.readsb import aircraft_positions, decode_aircraft_json

        adsb = AdsbConfig("fuzz")
        return (lambda data: aircraft_positions(decode_aircraft_json(data), adsb)), _seeds_adsb_json
    if name == "adsb_sbs":
        from dronewarn.formats.adsb.sbs import decode_sbs_line, sbs_position

        return (lambda data: sbs_position(decode_sbs_line(data))), _seeds_adsb_sbs
    if name == "remote_id":
        from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
        from dronewarn.formats.remote_id.transport import broadcasts_in_frame
        from dronewarn.sense.remote_id_input import RemoteIdInput

        rid = RemoteIdInput(SensorConfig("fuzz", SensorKind.REMOTE_ID, wire=WireFormat.ODID))

        def remote_id(data: bytes) -> object:
            list(broadcasts_in_frame(data))  # a radio frame as a capture holds it
            return rid.decode(data, T0_S)  # a receiver's datagram

        return remote_id, _seeds_remote_id
    from dronewarn.formats.adsb.modes import ModeSDecoder
    from dronewarn.formats.adsb.position import AdsbConfig

    decoder = ModeSDecoder(AdsbConfig("fuzz"))
    return (lambda data: decoder.decode(data, T0_S)), _seeds_adsb_modes


def child(name: str, runs: int, timeout_s: int, corpus: Path, artifacts: Path, stats: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["dronewarn"]):
        from dronewarn.domain.errors import DecodeError

        decode, seeds = _target(name)
    corpus.mkdir(parents=True, exist_ok=True)
    for k, seed in enumerate(seeds()):
        (corpus / f"seed-{k:03d}").write_bytes(seed)
    kinds: Counter[str] = Counter()
    done = [0]

    def one_input(data: bytes) -> None:
        done[0] += 1
        try:
            result = decode(data)
        except DecodeError as error:
            kinds[error.kind] += 1
        else:
            # decoders that keep going report the failed parts alongside the good ones
            found = getattr(result, "errors", result if isinstance(result, list) else ())
            failed = [item for item in found if isinstance(item, DecodeError)]
            kinds.update(f"{item.kind} (kept going)" for item in failed)
            kinds["ok"] += not failed
        if done[0] % 5000 == 0 or done[0] >= runs:
            stats.write_text(json.dumps({"inputs": done[0], "outcomes": kinds}))

    artifacts.mkdir(parents=True, exist_ok=True)
    atheris.Setup(
        [
            sys.argv[0],
            f"-runs={runs}",
            f"-timeout={timeout_s}",
            "-rss_limit_mb=4096",
            "-max_len=16384",
            "-seed=1",
            "-print_final_stats=1",
            f"-artifact_prefix={artifacts}/{name}-",
            str(corpus),
        ],
        one_input,
    )
    atheris.Fuzz()


# ---------------------------------------------------------------- driver


def run_target(
    name: str, runs: int, timeout_s: int, work: Path, artifacts: Path
) -> dict[str, object]:
    stats = work / f"{name}.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, "--runs", str(runs),
         "--timeout-s", str(timeout_s), "--work", str(work), "--artifacts", str(artifacts)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    log = proc.stderr
    done = re.search(r"Done (\d+) runs in (\d+) second", log)
    crash = re.search(r"ERROR: libFuzzer: (deadly signal|timeout|out-of-memory)", log) or re.search(
        r"=== Uncaught Python exception: ===\n(.+)", log
    )
    outcomes = json.loads(stats.read_text())["outcomes"] if stats.exists() else {}
    return {
        "target": name,
        "runs": int(done[1]) if done else None,
        "seconds": round(elapsed, 1),
        "inputs_per_s": round(int(done[1]) / elapsed) if done else None,
        "exit_code": proc.returncode,
        "crashes": 0 if proc.returncode == 0 else 1,
        "hangs": 1 if crash and "timeout" in crash[0] else 0,
        "failure": crash[0].strip() if crash else ("" if proc.returncode == 0 else log[-2000:]),
        "outcomes": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--target", choices=TARGETS, action="append")
    parser.add_argument("--timeout-s", type=int, default=10)
    parser.add_argument("--artifacts", type=Path, default=Path("fuzz-artifacts"))
    parser.add_argument("--child")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.child:
        work = args.work
        child(args.child, args.runs, args.timeout_s, work / args.child, args.artifacts,
              work / f"{args.child}.json")  # fmt: skip
        return
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    targets = args.target or list(TARGETS)
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp, Progress(transient=True) as progress:
        task = progress.add_task("fuzzing", total=len(targets))
        for name in targets:
            progress.update(task, description=f"fuzzing {name} ({args.runs:,} inputs)")
            results.append(run_target(name, args.runs, args.timeout_s, Path(tmp), args.artifacts))
            progress.advance(task)
    table = Table(title=f"fuzzing, {args.runs:,} inputs per decoder (atheris/libFuzzer)")
    for column in ("decoder", "runs", "s", "inputs/s", "crashes", "hangs", "outcomes"):
        table.add_column(column)
    for r in results:
        outcomes = r["outcomes"]
        assert isinstance(outcomes, dict)
        table.add_row(
            str(r["target"]), f"{r['runs']:,}" if r["runs"] else "-", str(r["seconds"]),
            str(r["inputs_per_s"] or "-"), str(r["crashes"]), str(r["hangs"]),
            ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items(), key=lambda x: -x[1])),
        )  # fmt: skip
    Console().print(table)
    for r in results:
        if r["failure"]:
            Console(stderr=True).print(f"[red]{r['target']}: {r['failure']}[/red]")
    # a run of some targets replaces their rows and keeps the others'
    path = HERE / "results-fuzz.json"
    kept = json.loads(path.read_text()) if path.exists() else []
    rows = {row["target"]: row for row in kept if row["target"] in TARGETS}
    rows.update({str(r["target"]): r for r in results})
    path.write_text(json.dumps([rows[t] for t in TARGETS if t in rows], indent=2) + "\n")
    if any(r["crashes"] or r["hangs"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
