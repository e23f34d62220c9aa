"""``dronewarn replay CAPTURE --to udp://HOST:PORT``: a recording sent to a live node.

Reads what ``dronewarn decode`` reads as ASTERIX (pcap, pcapng, raw data blocks) and sends
each UDP payload (each data block of a raw file) to the target as its own datagram, at the
pace it was recorded: by the capture's packet times, or, for a raw file, by the first time
of day its records carry. ``--speed 10`` plays ten times faster, ``--speed max`` as fast as
the socket takes it. ``--retime`` moves every record's time of day so that the recording's
first moment is now (a live node would otherwise refuse reports from another hour).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from dronewarn.cli.options import parse_speed
from dronewarn.deploy.endpoints import parse_endpoint
from dronewarn.domain.errors import DecodeError

if TYPE_CHECKING:  # the decoders load on first use: the CLI starts at once
    from dronewarn.formats.asterix.decoder import DecodePlan
    from dronewarn.formats.asterix.editions import Editions

DAY_S = 86_400.0


@dataclass(frozen=True)
class Paced:
    """One payload and the recording time it belongs to (seconds, on the recording's clock)."""

    time_s: float | None
    payload: bytes


def paced_payloads(path: Path, plan: DecodePlan, errors: list[DecodeError]) -> Iterator[Paced]:
    """The recording's payloads with their times (capture times, else record times of day
    unwrapped across midnight)."""
    from dronewarn.formats.asterix.retime import time_of_day_s
    from dronewarn.formats.capture import read_capture

    day = 0.0
    last_tod: float | None = None
    for item in read_capture(path, errors=errors):
        if item.timestamp_s is not None:
            yield Paced(item.timestamp_s, item.payload)
            continue
        tod = time_of_day_s(item.payload, plan)
        if tod is not None:
            if last_tod is not None and tod < last_tod - DAY_S / 2:
                day += DAY_S  # past midnight
            last_tod = tod
            yield Paced(day + tod, item.payload)
        else:
            yield Paced(None, item.payload)


@dataclass
class ReplayCounts:
    sent: int = 0
    octets: int = 0
    failed: int = 0
    first_s: float | None = None
    last_s: float | None = None


def replay(
    path: Path,
    target: str,
    editions: Editions,
    speed: float | None,
    retime_to_now: bool,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    errors: list[DecodeError] | None = None,
) -> ReplayCounts:
    """Send the recording (module doc); ``speed`` None: as fast as possible."""
    from dronewarn.formats.asterix.decoder import DecodePlan
    from dronewarn.formats.asterix.retime import retime

    where = parse_endpoint(target, frozenset({"udp"}))
    plan = DecodePlan.for_editions(editions)
    counts = ReplayCounts()
    found = errors if errors is not None else []
    family = socket.AF_INET6 if ":" in where.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if where.is_multicast:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        wall0 = time.monotonic()
        shift_s: float | None = None
        for item in paced_payloads(path, plan, found):
            payload = item.payload
            if item.time_s is not None:
                if counts.first_s is None:
                    counts.first_s = item.time_s
                counts.last_s = item.time_s
                if speed is not None:
                    due = wall0 + (item.time_s - counts.first_s) / speed
                    wait = due - time.monotonic()
                    if wait > 0:
                        sleep(wait)
                if retime_to_now:
                    if shift_s is None:
                        shift_s = _shift(clock(), item.time_s)
                    elapsed = item.time_s - counts.first_s
                    extra = 0.0 if speed is None else elapsed / speed - elapsed
                    payload = retime(payload, shift_s + extra, plan)
            try:
                sock.sendto(payload, (where.host, where.port))
            except OSError:
                counts.failed += 1
                continue
            counts.sent += 1
            counts.octets += len(payload)
    return counts


def _shift(now_s: float, recorded_s: float) -> float:
    """Seconds that move the recording's first time of day onto now's."""
    return (now_s % DAY_S) - (recorded_s % DAY_S)


def replay_command(
    capture: Annotated[Path, typer.Argument(help="pcap, pcapng or raw ASTERIX recording")],
    to: Annotated[str, typer.Option(help="the node's listener, udp://HOST:PORT")],
    edition: Annotated[
        list[str] | None,
        typer.Option(help='ASTERIX edition per category, "CAT:EDITION"; repeatable'),
    ] = None,
    speed: Annotated[str, typer.Option(help="1 (as recorded), 10, ... or max")] = "1",
    retime_now: Annotated[
        bool,
        typer.Option("--retime", help="move the records' times of day so the recording is live"),
    ] = False,
) -> None:
    """Send a recorded capture to a live node at its recorded pace (docs/deploy.md)."""
    from dronewarn.domain.errors import DronewarnError
    from dronewarn.formats.asterix.editions import parse_editions

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    pace = parse_speed(speed)
    try:
        editions = parse_editions(edition or [])
        parse_endpoint(to, frozenset({"udp"}))
    except (DronewarnError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    if retime_now and pace is None:
        raise typer.BadParameter("--retime needs a pace (--speed 1, 10...): not max")
    errors: list[DecodeError] = []
    try:
        counts = replay(capture, to, editions, pace, retime_now, errors=errors)
    except OSError as exc:
        err.print(f"cannot read {capture}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    for error in errors[:10]:
        err.print(f"{error.kind}: {error}")
    span = (
        f" spanning {counts.last_s - counts.first_s:.1f} s of recording"
        if counts.first_s is not None and counts.last_s is not None
        else ""
    )
    err.print(f"sent {counts.sent} datagrams ({counts.octets} octets){span} to {to}")
    if counts.failed or not counts.sent:
        err.print(f"{counts.failed} could not be sent" if counts.failed else "nothing to send")
        raise typer.Exit(1)
