"""Sensor inputs: the per-sensor state a stream needs, and no more than it needs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dronewarn.domain.errors import FieldValueError
from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.formats.cot.encode import encode
from dronewarn.formats.cot.event import TakProtocol
from dronewarn.formats.cot.tracks import CotOutConfig, track_event
from dronewarn.formats.sapient.encode import detection_message, sensor_registration_message
from dronewarn.formats.sapient.framing import encode_message as frame
from dronewarn.sense.sensor_input import sensor_input
from dronewarn.store.sqlite import UNDECODABLE_BYTES, SqliteStore
from tests.formats.test_adsb import DOCUMENT, MSG3, NOW

T0 = 1_757_458_800.0


def _track(track_id: str) -> TrackState:
    cov = (900.0, 0.0, 0.0, 0.0, 0.0, 400.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 4.0)
    return TrackState(
        track_id, T0, TrackStatus.CONFIRMED, 0.0, 0.0, -30.0, -10.0, cov,
        GeoPoint(52.1, 23.6, 900.0), 0.9, 10, object_class=ObjectClass.GERBERA,
    )  # fmt: skip


def _datagram(track_id: str, protocol: TakProtocol) -> bytes:
    event = track_event(_track(track_id), CotOutConfig("BY"), T0)
    assert event is not None
    return encode(event, protocol, mesh=True)


def test_a_damaged_cot_datagram_costs_only_itself() -> None:
    cot = sensor_input(SensorConfig("mesh", SensorKind.CUAS, wire=WireFormat.COT_DATAGRAM))
    good = [_datagram(f"T{k}", TakProtocol(k % 2)) for k in range(6)]
    cut = _datagram("CUT", TakProtocol.XML)[:-20]
    results = [cot.decode(d, T0) for d in (good[0], cut, *good[1:])]
    assert [len(r.reports) for r in results] == [1, 0, 1, 1, 1, 1, 1]
    assert [len(r.errors) for r in results] == [0, 1, 0, 0, 0, 0, 0]


def test_a_cot_stream_reports_an_event_cut_short_when_it_ends() -> None:
    cot = sensor_input(SensorConfig("tak", SensorKind.CUAS, wire=WireFormat.COT))
    data = _datagram("T1", TakProtocol.XML)
    assert cot.decode(data[:100], T0).reports == ()
    finish = getattr(cot, "finish")  # noqa: B009 (not part of the SensorInput protocol)
    assert len(finish().errors) == 1


def test_sbs_lines_may_span_payloads() -> None:
    sbs = sensor_input(SensorConfig("sbs", SensorKind.ADSB, wire=WireFormat.SBS))
    text = (MSG3 + "\r\n" + "garbage\n" + MSG3).encode()
    first, second = sbs.decode(text[:50], NOW), sbs.decode(text[50:], NOW)
    assert first.reports == () and len(second.reports) == 1 and len(second.errors) == 1
    last = getattr(sbs, "finish")()  # noqa: B009
    assert len(last.reports) == 1  # the last line had no line end
    (too_long,) = sbs.decode(b"x" * 5000, NOW).errors  # no unbounded buffering
    assert isinstance(too_long, FieldValueError) and too_long.field == "line"


def test_readsb_polls_report_each_position_once() -> None:
    readsb = sensor_input(SensorConfig("adsb", SensorKind.ADSB, wire=WireFormat.READSB))
    body = json.dumps(DOCUMENT).encode()
    first = readsb.decode(body, NOW)
    assert first.reports and readsb.decode(body, NOW).reports == ()
    assert readsb.decode(b"{", NOW).errors  # a broken poll is an error, not an exception


def test_sapient_stream_reports_a_frame_cut_short_and_keeps_offsets() -> None:
    node = "0f8c2b3e-9a41-4c55-8a0e-2d5b6f7a8c9d"
    report = Report(
        "cuas",
        T0,
        PositionMeasurement(GeoPoint(52.0, 23.5, 300.0), 25.0, 15.0),
        ClassHint(ObjectClass.MULTIROTOR, 0.8),
    )
    stream = frame(sensor_registration_message(node, "c-uas", T0))
    stream += frame(detection_message(report, node, object_key="o1"))
    sapient = sensor_input(SensorConfig("cuas", SensorKind.CUAS, wire=WireFormat.SAPIENT))
    assert len(sapient.decode(stream, T0).reports) == 1
    bad = (2**31).to_bytes(4, "little")  # a declared length beyond any limit
    lost = sapient.decode(bad, T0)
    assert lost.errors and lost.errors[0].kind == "oversize"
    again = sapient.decode(frame(detection_message(report, node, object_key="o1"))[:-3], T0)
    assert again.reports == ()
    (cut,) = getattr(sapient, "finish")().errors  # noqa: B009
    assert cut.offset is not None and cut.offset >= len(stream)


def test_the_store_keeps_the_start_of_undecodable_input() -> None:
    store = SqliteStore(":memory:")
    error = FieldValueError("bad", data=bytes(5000), offset=7, field="x")
    store.record_undecodable("r1", T0, [error, error])
    rows = store._db.execute("SELECT kind, message, report FROM rejected_input").fetchall()
    assert len(rows) == 2
    kind, message, kept = rows[0]
    assert kind == "bad_field" and message.endswith("at offset 7")
    assert len(kept) == 2 * UNDECODABLE_BYTES


def test_raw_mode_s_lines_become_reports_dated_on_arrival(samples_dir: Path) -> None:
    """AVR lines (``*hex;``) of one aircraft, cut anywhere between chunks: the positions are
    the ones ``ModeSDecoder`` finds, each dated by its chunk's arrival; noise is counted."""
    with (samples_dir / "adsb" / "sample_data_adsb.csv").open() as handle:
        messages = [row[1] for row in csv.reader(handle)][:60]
    modes = sensor_input(SensorConfig("rx", SensorKind.ADSB, wire=WireFormat.MODES))
    text = "".join(f"*{m};\r\n" for m in messages).encode() + b"*ZZZZ;\n"
    found: list[Report] = []
    errors = 0
    for k, start in enumerate(range(0, len(text), 97)):  # chunks that split lines
        decoded = modes.decode(text[start : start + 97], T0 + k)
        found.extend(decoded.reports)
        errors += len(decoded.errors)
    assert errors == 1  # the line that is no hex
    assert len(found) >= 2 and {r.source for r in found} == {"icao:406B90"}
    first = found[0].measurement
    assert isinstance(first, PositionMeasurement)
    assert abs(first.point.lat_deg - 51.1484) < 1e-3 and abs(first.point.lon_deg - 7.2279) < 1e-3
    assert all(T0 <= r.time_s <= T0 + len(text) / 97 + 1 for r in found)
    (too_long,) = modes.decode(b"*" + b"0" * 400, T0).errors  # no unbounded buffering
    assert isinstance(too_long, FieldValueError) and too_long.field == "line"


def _draft_payloads(samples_dir: Path) -> list[tuple[bytes, float]]:
    """asterix.pcap: 100 CAT062 records of the 0.17 draft, one per packet (SAC/SIC 25/100)."""
    from dronewarn.formats.capture import read_capture

    return [
        (c.payload, c.timestamp_s or T0)
        for c in read_capture(samples_dir / "asterix" / "asterix.pcap")
    ]


def test_a_feed_of_an_unconfigured_edition_is_detected_and_said(samples_dir: Path) -> None:
    payloads = _draft_payloads(samples_dir)
    radar = SensorConfig(
        "sdps", SensorKind.RADAR, wire=WireFormat.ASTERIX, asterix_source=(25, 100)
    )
    feed = sensor_input(radar)
    results = [feed.decode(payload, t) for payload, t in payloads]
    first_good = next(k for k, r in enumerate(results) if r.reports)
    assert first_good <= 10  # a few payloads refused (counted), then read as 0.17
    assert all(len(r.reports) == 1 for r in results[first_good:])
    hint = getattr(feed, "edition_hint")()  # noqa: B009 (not part of the SensorInput protocol)
    assert "CAT062 read as edition 0.17, detected" in hint


def test_a_configured_edition_is_never_overridden(samples_dir: Path) -> None:
    payloads = _draft_payloads(samples_dir)
    radar = SensorConfig(
        "sdps",
        SensorKind.RADAR,
        wire=WireFormat.ASTERIX,
        asterix_source=(25, 100),
        asterix_editions=("62:1.20",),
    )
    feed = sensor_input(radar)
    assert not any(feed.decode(payload, t).reports for payload, t in payloads)
    hint = getattr(feed, "edition_hint")()  # noqa: B009
    assert "detected" not in hint and "50 decode as 0.17" in hint  # the last 50 failing


def test_the_sources_status_messages_are_kept_for_the_channel(samples_dir: Path) -> None:
    """cat062cat065.raw: two CAT062 tracks and the SDPS's CAT065 status after them."""
    data = (samples_dir / "asterix" / "cat062cat065.raw").read_bytes()
    sdps = sensor_input(SensorConfig("sdps", SensorKind.RADAR, wire=WireFormat.ASTERIX))
    decoded = sdps.decode(data, T0)
    assert len(decoded.reports) == 2 and decoded.errors == ()
    (status,) = getattr(sdps, "source_status")()  # noqa: B009 (not part of SensorInput)
    assert status["category"] == 65 and status["sac"] is not None
