"""Recordings made for tests: CAT062 system tracks of drones flying a straight line, as a
pcap of UDP datagrams a tracker would have sent (one per update cycle)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import dpkt

from dronewarn.formats.asterix.encode062 import (
    Cat062Record,
    encode_record,
    pack_datablocks,
    time_of_day_s,
)
from dronewarn.geo.geodesic import destination


@dataclass(frozen=True)
class Flight:
    """A drone from ``start`` (lat, lon) on ``course_deg`` at ``speed_mps``."""

    start: tuple[float, float]
    course_deg: float
    speed_mps: float
    alt_m: float = 800.0


def _udp_frame(payload: bytes, dport: int) -> bytes:
    udp = dpkt.udp.UDP(sport=40000, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=bytes([10, 0, 0, 1]), dst=bytes([10, 0, 0, 2]), p=17, data=udp)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(dst=b"\x01" * 6, src=b"\x02" * 6, type=0x0800, data=ip)
    return bytes(eth)


def write_cat062_pcap(
    path: Path,
    flights: list[Flight],
    start_s: float,
    duration_s: float,
    period_s: float = 4.0,
    sac: int = 7,
    sic: int = 1,
) -> int:
    """One datagram of CAT062 records (every flight) per ``period_s``; returns how many."""
    written = 0
    with path.open("wb") as handle:
        writer = dpkt.pcap.Writer(handle)
        steps = int(duration_s / period_s)
        for step in range(steps):
            t = start_s + step * period_s
            records = []
            for number, flight in enumerate(flights, start=1):
                flown = flight.speed_mps * step * period_s
                lat, lon = destination(flight.start[0], flight.start[1], flight.course_deg, flown)
                course = math.radians(flight.course_deg)
                record = Cat062Record(
                    sac=sac,
                    sic=sic,
                    time_of_day_s=time_of_day_s(t),
                    lat_deg=float(lat),
                    lon_deg=float(lon),
                    vx_mps=flight.speed_mps * math.sin(course),
                    vy_mps=flight.speed_mps * math.cos(course),
                    track_number=number,
                    first=step == 0,
                    altitude_ft=flight.alt_m / 0.3048,
                    emitter_category=13,
                )
                records.append(encode_record(record))
            for block in pack_datablocks(62, records):
                writer.writepkt(_udp_frame(block, 8600), ts=t)
                written += 1
    return written


__all__ = ["Flight", "write_cat062_pcap"]
