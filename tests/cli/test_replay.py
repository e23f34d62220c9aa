"""``dronewarn replay``: a recording sent to a node's UDP listener, paced, optionally retimed."""

from __future__ import annotations

import itertools
import socket
import time
from pathlib import Path

import dpkt
from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.cli.replay import replay
from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import Editions
from tests.e2e.captures import Flight, write_cat062_pcap

runner = CliRunner()


def _receiver() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    return sock, int(sock.getsockname()[1])


def _received(sock: socket.socket, count: int) -> list[bytes]:
    return [sock.recvfrom(65536)[0] for _ in range(count)]


def test_a_capture_is_paced_and_retimed_to_now(tmp_path: Path) -> None:
    capture = tmp_path / "c.pcap"
    recorded_s = 1_757_451_600.0  # 2025-09-09T21:00Z
    sent = write_cat062_pcap(capture, [Flight((52.0, 24.0), 270.0, 50.0)], recorded_s, 20.0, 2.0)
    sock, port = _receiver()
    started = time.monotonic()
    counts = replay(capture, f"udp://127.0.0.1:{port}", Editions(), 20.0, True)
    elapsed = time.monotonic() - started
    got = _received(sock, sent)
    assert counts.sent == sent == len(got) == 10
    assert elapsed >= 18.0 / 20.0 * 0.8  # 18 s of recording at 20x, not all at once
    plan = DecodePlan.for_editions()
    now = time.time()
    times = [_time_of_track(g, plan, now) for g in got]
    assert abs(times[0] - now % 86_400) < 5.0  # the first record is now...
    assert all(b > a for a, b in itertools.pairwise(times))  # ...in order...
    assert abs((times[-1] - times[0]) - 18.0 / 20.0) < 1.0  # ...at the pace it is sent


def _time_of_track(payload: bytes, plan: DecodePlan, now: float) -> float:
    found = decode_datablocks(payload, plan, reference_s=now).cat062[0].time_of_track_s
    assert found is not None
    return found


def test_a_raw_recording_is_paced_by_its_records_times(tmp_path: Path) -> None:
    capture = tmp_path / "c.pcap"
    write_cat062_pcap(capture, [Flight((52.0, 24.0), 270.0, 50.0)], 1_757_451_600.0, 10.0, 2.0)
    raw = tmp_path / "c.ast"
    with capture.open("rb") as handle:
        blocks = [
            bytes(dpkt.ethernet.Ethernet(buf).data.data.data) for _, buf in dpkt.pcap.Reader(handle)
        ]
    raw.write_bytes(b"".join(blocks))
    sock, port = _receiver()
    counts = replay(raw, f"udp://127.0.0.1:{port}", Editions(), None, False)
    assert counts.sent == 5 and _received(sock, 5) == blocks
    assert counts.first_s is not None and counts.last_s is not None
    assert abs((counts.last_s - counts.first_s) - 8.0) < 0.05


def test_mistakes_are_usage_errors(tmp_path: Path) -> None:
    capture = tmp_path / "c.pcap"
    write_cat062_pcap(capture, [Flight((52.0, 24.0), 270.0, 50.0)], time.time(), 4.0, 2.0)
    wrong = runner.invoke(app, ["replay", str(capture), "--to", "tcp://127.0.0.1:9"])
    assert wrong.exit_code == 2 and "udp://" in wrong.output
    fast = runner.invoke(
        app, ["replay", str(capture), "--to", "udp://127.0.0.1:9", "--retime", "--speed", "max"]
    )
    assert fast.exit_code == 2 and "--retime needs a pace" in fast.output
    missing = runner.invoke(
        app, ["replay", str(tmp_path / "none.pcap"), "--to", "udp://127.0.0.1:9"]
    )
    assert missing.exit_code == 2
