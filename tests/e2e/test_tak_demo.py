"""A TAK client (pytak) connected to the running NIGHT-0910 demo over mutual TLS sees the
night's tracks appear, with the certificates the demo prints."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from configparser import ConfigParser, SectionProxy

import pytak
import pytest
import takproto

from tests.e2e.demo_process import Demo, running_demo

SAFETY_S = 240.0
"""Only so that a broken demo fails the test instead of hanging it; nothing is timed."""


@pytest.fixture(scope="module")
def night_demo() -> Iterator[Demo]:
    with running_demo("--pictures", "PL", "--speed", "600", "--web-port", "0") as run:
        yield run


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
