"""A TAK client (pytak) connected to the running NIGHT-0910 demo over mutual TLS sees the
night's tracks appear, with the certificates the demo prints."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from configparser import ConfigParser, SectionProxy

import pytak
import pytest
import takproto

from tests.e2e.test_operator_picture import Demo

SAFETY_S = 240.0
"""Only so that a broken demo fails the test instead of hanging it; nothing is timed."""


@pytest.fixture(scope="module")
def night_demo() -> Iterator[Demo]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronewarn",
            "demo",
            "--pictures",
            "PL",
            "--speed",
            "600",
            "--web-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    running = Demo(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    yield running
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def _pytak_config(demo: Demo) -> SectionProxy:
    found = demo.wait_for(
        r"PL\s+tls://127\.0\.0\.1:(\d+)\s.*PEM: cert (\S+) key (\S+) CA (\S+)", SAFETY_S
    )
    port, cert, key, ca = found.groups()
    parser = ConfigParser()
    parser["tak"] = {
        "COT_URL": f"tls://127.0.0.1:{port}",
        "PYTAK_TLS_CLIENT_CERT": cert,
        "PYTAK_TLS_CLIENT_KEY": key,
        "PYTAK_TLS_CLIENT_CAFILE": ca,
    }
    return parser["tak"]


async def _collect_tracks(config: SectionProxy, wanted: int) -> dict[str, str]:
    """uid -> CoT type of the drone tracks pytak receives, until ``wanted`` distinct ones."""
    reader, writer = await pytak.protocol_factory(config)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    worker = pytak.RXWorker(queue, config, reader)
    tracks: dict[str, str] = {}
    deadline = time.monotonic() + SAFETY_S
    try:
        while len(tracks) < wanted and time.monotonic() < deadline:
            await asyncio.wait_for(worker.run_once(), SAFETY_S)
            event = takproto.parse_proto(bytearray(queue.get_nowait())).cotEvent
            if event.uid.startswith("dronewarn.PL.") and re.fullmatch(
                r"a-[hu]-A-M-[FH]-Q", event.type
            ):
                assert event.how == "m-f"
                assert -90 <= event.lat <= 90 and event.ce > 0
                tracks[event.uid] = event.type
    finally:
        writer.close()
    return tracks


def test_pytak_over_tls_sees_the_night_tracks_appear(night_demo: Demo) -> None:
    config = _pytak_config(night_demo)
    tracks = asyncio.run(_collect_tracks(config, wanted=10))
    assert len(tracks) >= 10, tracks
    assert "a-h-A-M-F-Q" in tracks.values()  # classified drones are hostile fixed-wing UAVs
