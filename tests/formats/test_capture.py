"""Captures: pcap, pcapng and raw ASTERIX recordings give payloads, or typed DecodeErrors."""

from __future__ import annotations

import contextlib
import io
import socket
from pathlib import Path

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.formats.capture import CapturedPayload, iter_capture, read_capture

PAYLOAD = bytes.fromhex("220010f6190e023a692b408840408000")  # cat034.raw


def _udp4(payload: bytes, dport: int = 8600, **ip_fields: int) -> dpkt.ip.IP:
    udp = dpkt.udp.UDP(sport=40000, dport=dport, data=payload)
    udp.ulen = 8 + len(payload)
    ip = dpkt.ip.IP(
        src=socket.inet_aton("10.0.0.1"),
        dst=socket.inet_aton("239.1.1.1"),
        p=dpkt.ip.IP_PROTO_UDP,
        data=udp,
        **ip_fields,
    )
    ip.len = len(bytes(ip))
    return ip


def _udp6(payload: bytes) -> dpkt.ip6.IP6:
    udp = dpkt.udp.UDP(sport=40000, dport=8600, data=payload)
    udp.ulen = 8 + len(payload)
    ip6 = dpkt.ip6.IP6(
        src=socket.inet_pton(socket.AF_INET6, "fd00::1"),
        dst=socket.inet_pton(socket.AF_INET6, "ff15::1"),
        nxt=dpkt.ip.IP_PROTO_UDP,
        hlim=1,
        data=udp,
    )
    ip6.plen = len(bytes(udp))
    return ip6


def _ethernet(ip: dpkt.Packet, kind: int = dpkt.ethernet.ETH_TYPE_IP) -> bytes:
    return bytes(dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x01" * 6, type=kind, data=ip))


def _pcap(frames: list[tuple[float, bytes]], linktype: int = 1, nano: bool = False) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=linktype, nano=nano)
    for timestamp, frame in frames:
        writer.writepkt(frame, ts=timestamp)
    return out.getvalue()


def test_real_pcap_payloads_and_times(samples_dir: Path) -> None:
    packets = list(read_capture(samples_dir / "asterix" / "asterix.pcap"))
    assert len(packets) == 100
    first = packets[0]
    assert first.timestamp_s == pytest.approx(1210855665.763759)
    assert (first.index, first.source) == (0, "asterix.pcap#0")
    assert first.payload[:6] == bytes.fromhex("3e0037bb3d42") and len(first.payload) == 0x37
    assert all(p.payload[0] == 62 for p in packets)
    times = [p.timestamp_s or 0.0 for p in packets]
    assert times == sorted(times)


def test_port_filter(samples_dir: Path) -> None:
    path = samples_dir / "asterix" / "cat_034_048.pcap"
    with path.open("rb") as stream:
        ports = [
            (udp.sport, udp.dport)
            for _, frame in dpkt.pcap.Reader(stream)
            for udp in (dpkt.ethernet.Ethernet(frame).data.data,)
        ]
    for port in {dport for _, dport in ports}:
        expected = [i for i, pair in enumerate(ports) if port in pair]
        assert [p.index for p in read_capture(path, ports={port})] == expected
    assert list(read_capture(path, ports={1})) == []


def test_raw_recording_one_payload_per_block(samples_dir: Path) -> None:
    packets = list(read_capture(samples_dir / "asterix" / "cat21_re.ast"))
    assert [(p.index, p.source, p.timestamp_s) for p in packets] == [
        (0, "cat21_re.ast@0", None),
        (44, "cat21_re.ast@44", None),
    ]
    assert [len(p.payload) for p in packets] == [44, 47]
    assert list(iter_capture(b"")) == []


def test_pcapng_gives_what_pcap_gives(samples_dir: Path) -> None:
    original = list(read_capture(samples_dir / "asterix" / "cat_034_048.pcap"))
    with (samples_dir / "asterix" / "cat_034_048.pcap").open("rb") as stream:
        frames = [(ts, bytes(frame)) for ts, frame in dpkt.pcap.Reader(stream)]
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out)
    for timestamp, frame in frames:
        writer.writepkt(frame, ts=timestamp)
    converted = list(iter_capture(out.getvalue(), name="x.pcapng"))
    assert [p.payload for p in converted] == [p.payload for p in original]
    for a, b in zip(converted, original, strict=True):
        assert a.timestamp_s == pytest.approx(b.timestamp_s, abs=1e-6)
    assert converted[5].source == "x.pcapng#5"


def test_link_layers_and_ipv6() -> None:
    cases = {
        "ethernet": (1, _ethernet(_udp4(PAYLOAD))),
        "ethernet+ipv6": (1, _ethernet(_udp6(PAYLOAD), dpkt.ethernet.ETH_TYPE_IP6)),
        "vlan": (
            1,
            b"\x01" * 6 + b"\x02" * 6 + b"\x81\x00\x00\x05\x08\x00" + bytes(_udp4(PAYLOAD)),
        ),
        "linux cooked": (113, bytes(dpkt.sll.SLL(ethtype=0x0800, data=_udp4(PAYLOAD)))),
        "linux cooked v2": (
            276,
            bytes(dpkt.sll2.SLL2(ethtype=0x0800, data=_udp4(PAYLOAD))),
        ),
        "raw ipv4": (101, bytes(_udp4(PAYLOAD))),
        "raw ipv6": (101, bytes(_udp6(PAYLOAD))),
        "loopback": (0, b"\x02\x00\x00\x00" + bytes(_udp4(PAYLOAD))),
    }
    for name, (linktype, frame) in cases.items():
        (packet,) = iter_capture(_pcap([(1.5, frame)], linktype=linktype), name=name)
        assert packet.payload == PAYLOAD, name
        assert packet.timestamp_s == 1.5


def test_nanosecond_pcap() -> None:
    data = _pcap([(1700000000.123456789, _ethernet(_udp4(PAYLOAD)))], nano=True)
    (packet,) = iter_capture(data)
    assert packet.timestamp_s == pytest.approx(1700000000.123456789, abs=1e-6)
    assert isinstance(packet.timestamp_s, float)


def test_other_traffic_is_skipped_and_bad_packets_collected() -> None:
    tcp = dpkt.ip.IP(
        src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02", p=dpkt.ip.IP_PROTO_TCP,
        data=dpkt.tcp.TCP(),
    )  # fmt: skip
    tcp.len = len(bytes(tcp))
    fragment = _udp4(PAYLOAD)
    fragment.mf = 1
    cut = _ethernet(_udp4(PAYLOAD))[:-4]  # captured 4 octets short of the UDP length
    frames = [
        (1.0, _ethernet(_udp4(PAYLOAD))),
        (2.0, _ethernet(tcp)),
        (3.0, _ethernet(fragment)),
        (4.0, cut),
        (5.0, _ethernet(_udp4(PAYLOAD, dport=9000))),
    ]
    errors: list[DecodeError] = []
    packets = list(iter_capture(_pcap(frames), name="mixed.pcap", errors=errors))
    assert [p.index for p in packets] == [0, 4]
    assert [type(e) for e in errors] == [UnsupportedError, TruncatedError]
    assert "packet 2" in str(errors[0]) and "packet 3" in str(errors[1])
    assert errors[0].offset == 24 + (16 + len(frames[0][1])) + (16 + len(frames[1][1])) + 16
    with pytest.raises(UnsupportedError):  # without an errors list, the first bad packet raises
        list(iter_capture(_pcap(frames)))
    assert [p.index for p in iter_capture(_pcap(frames), ports={9000}, errors=[])] == [4]


def test_unsupported_link_type_and_corrupt_headers() -> None:
    with pytest.raises(UnsupportedError) as link:
        list(iter_capture(_pcap([(1.0, b"x")], linktype=105)))  # 802.11
    assert link.value.field == "linktype"
    data = bytearray(_pcap([(1.0, _ethernet(_udp4(PAYLOAD)))]))
    data[24 + 8 : 24 + 12] = (10**8).to_bytes(4, "little")  # caplen of 100 MB
    with pytest.raises(FieldValueError) as caplen:
        list(iter_capture(bytes(data)))
    assert (caplen.value.field, caplen.value.offset) == ("caplen", 24)


def test_every_truncation_gives_the_packets_before_then_a_typed_error(samples_dir: Path) -> None:
    head = (samples_dir / "asterix" / "asterix.pcap").read_bytes()[: 24 + 3 * (16 + 97)]
    complete = list(iter_capture(head))
    assert len(complete) == 3
    boundaries = {24 + k * (16 + 97) for k in range(4)}
    for cut in range(len(head)):
        got: list[CapturedPayload] = []
        try:
            for packet in iter_capture(head[:cut]):
                got.append(packet)
        except TruncatedError as error:
            assert cut not in boundaries
            assert error.offset is not None and error.offset <= cut
        else:
            assert cut in boundaries or cut < 4  # whole packets, or too short for a magic
        assert got == complete[: len(got)]


def test_pcapng_truncations_and_corrupt_lengths() -> None:
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out)
    for k in range(3):
        writer.writepkt(_ethernet(_udp4(PAYLOAD)), ts=10.0 + k)
    data = out.getvalue()
    assert len(list(iter_capture(data))) == 3
    for cut in range(4, len(data)):
        with contextlib.suppress(DecodeError):
            list(iter_capture(data[:cut]))
    corrupt = bytearray(data)
    corrupt[4:8] = (5).to_bytes(4, "little")  # section header length 5
    with pytest.raises(FieldValueError):
        list(iter_capture(bytes(corrupt)))


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from(
        [b"", bytes.fromhex("d4c3b2a1"), bytes.fromhex("a1b2c3d4"), bytes.fromhex("0a0d0d0a")]
    ),
    body=st.binary(max_size=400),
)
def test_any_bytes_give_payloads_or_decode_errors(head: bytes, body: bytes) -> None:
    errors: list[DecodeError] = []
    try:
        for packet in iter_capture(head + body, errors=errors):
            assert isinstance(packet.payload, bytes)
    except DecodeError:
        pass
    assert all(isinstance(e, DecodeError) for e in errors)


@settings(max_examples=200, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 7)), min_size=1, max_size=6))
def test_bit_flipped_pcap_never_raises_anything_else(flips: list[tuple[int, int]]) -> None:
    data = bytearray(
        _pcap([(1.0, _ethernet(_udp4(PAYLOAD))), (2.0, _ethernet(_udp6(PAYLOAD), 0x86DD))])
    )
    for position, bit in flips:
        data[position % len(data)] ^= 1 << bit
    with contextlib.suppress(DecodeError):
        list(iter_capture(bytes(data), errors=[]))
