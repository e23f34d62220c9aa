"""CAT010 (surface movement), CAT020 (multilateration) and the status categories (CAT002, 004,
019, 023, 025, 063, 065), encoded by libasterix (an independent encoder) and read back: the
position categories give Reports, status messages are records, none is "not read"."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.domain.errors import ImplausibleValueError
from dronewarn.domain.report import GeoPoint, PositionMeasurement
from dronewarn.formats.asterix.decoder import decode_datablocks
from dronewarn.formats.asterix.editions import Editions
from dronewarn.formats.asterix.reports import AsterixSensorConfig, reports_from_batch

T0 = 1_757_458_800.0  # 2025-09-09T23:00:00Z
POSITION = (("LAT", (52.1, "°")), ("LON", (23.5, "°")))


def _encoded(spec_name: str, *records: dict[str, Any]) -> bytes:
    from asterix import generated

    spec = getattr(generated, spec_name)
    return bytes(spec.create([spec.cv_record.create(r) for r in records]).unparse().to_bytes())


def _reports(data: bytes) -> tuple[list[Any], list[Any]]:
    batch = decode_datablocks(data, Editions(), reference_s=T0)
    assert batch.errors == ()
    return reports_from_batch(batch, [AsterixSensorConfig("s", 1, 2)])


def test_surface_movement_targets_become_positions_and_status_messages_do_not() -> None:
    spread = (("DEVX", (5.0, "m")), ("DEVY", (7.0, "m")), ("COVXY", (0.0, "m")))
    target = {"010": (1, 2), "000": 1, "140": (82800.5, "s"), "041": POSITION, "161": (0, 7),
              "500": spread}  # fmt: skip
    cycle = {"010": (1, 2), "000": 2, "140": (82800.0, "s")}
    reports, errors = _reports(_encoded("Cat_010_1_1", target, cycle))
    (report,) = reports
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.point.lat_deg == pytest.approx(52.1, abs=1e-6)
    assert report.measurement.sigma_h_m == pytest.approx((37.0) ** 0.5)
    assert report.time_s == pytest.approx(T0 + 0.5)
    assert [e.kind for e in errors] == ["not_a_measurement"]  # the start of update cycle


def test_multilateration_targets_become_positions_with_their_height() -> None:
    target = {"010": (1, 2), "140": (82801.0, "s"), "041": POSITION, "161": (0, 77),
              "105": (1000.0, "ft")}  # fmt: skip
    (report,), errors = _reports(_encoded("Cat_020_1_10", target))
    assert errors == []
    assert report.measurement.point.alt_m == pytest.approx(304.8)


def test_an_mlat_position_off_the_globe_is_implausible() -> None:
    target = {"010": (1, 2), "140": (82801.0, "s"), "041": POSITION, "161": (0, 77)}
    batch = decode_datablocks(_encoded("Cat_020_1_10", target), Editions(), reference_s=T0)
    bad = replace(batch.cat020[0], lat_deg=123.0)  # as a wrong edition would read it
    _, errors = reports_from_batch(replace(batch, cat020=(bad,)), [AsterixSensorConfig("s", 1, 2)])
    (error,) = errors
    assert isinstance(error, ImplausibleValueError) and error.field == "I020/041"


@pytest.mark.parametrize(
    ("spec", "items", "category"),
    [
        ("Cat_002_1_2", {"010": (1, 2), "000": 1, "030": (3600.0, "s")}, 2),
        ("Cat_019_1_3", {"010": (1, 2), "000": 1, "140": (3600.0, "s")}, 19),
        ("Cat_063_1_7", {"010": (1, 2), "015": 3, "030": (3600.0, "s"), "050": (5, 6)}, 63),
        ("Cat_065_1_6", {"010": (1, 2), "000": 2, "015": 3, "030": (3600.0, "s")}, 65),
    ],
)
def test_status_messages_are_records(spec: str, items: dict[str, Any], category: int) -> None:
    batch = decode_datablocks(_encoded(spec, items), Editions(), reference_s=T0)
    assert batch.errors == ()
    (status,) = batch.status
    assert (status.category, status.sac, status.sic, status.time_of_day_s) == (
        category, 1, 2, 3600.0,
    )  # fmt: skip


def test_decode_prints_them(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ast"
    target = {"010": (1, 2), "140": (82801.0, "s"), "041": POSITION, "161": (0, 77)}
    status = {"010": (1, 2), "000": 2, "015": 3, "030": (82800.0, "s")}
    path.write_bytes(_encoded("Cat_020_1_10", target) + _encoded("Cat_065_1_6", status))
    result = CliRunner().invoke(app, ["decode", str(path), "--time", "2025-09-09T23:00:00Z"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert [line.get("record", line.get("kind")) for line in lines] == ["position", "cat065"]


def test_old_radars_cat001_plots_and_tracks_from_the_real_capture(samples_dir: Path) -> None:
    """cat_001_002.pcap: CAT001 tracks and a CAT002 sector message, each block behind its
    recorder's 6-octet header; the truncated times land on the capture's day and minute."""
    from dronewarn.formats.capture import read_capture

    (captured,) = list(read_capture(samples_dir / "asterix" / "cat_001_002.pcap"))
    reference = captured.timestamp_s or T0
    batch = decode_datablocks(captured.payload, Editions(), reference_s=reference)
    assert batch.errors == () and len(batch.cat001) == 7 and len(batch.status) == 1
    assert all(r.is_track for r in batch.cat001) and batch.status[0].category == 2
    site = AsterixSensorConfig("radar", 25, 201, site=GeoPoint(45.8, 16.0, 100.0))
    reports, errors = reports_from_batch(batch, [site])
    assert errors == [] and len(reports) == 7
    assert all(abs(r.time_s - reference) < 10.0 for r in reports)  # 512 s wrap resolved
    first = batch.cat001[0]
    assert first.range_m is not None and 0 < first.range_m < 512 * 1852.0


@pytest.mark.parametrize(
    ("truncated", "reference", "expected"),
    [
        (256.4375, 45_826.1, 45_824.4375),  # the sample: 12:43:44.44 against 12:43:46.1
        (10.0, 45_820.0, 45_568.0 + 10.0),  # 45,568 s is 89 x 512
        (500.0, 45_583.0, 45_568.0 - 12.0),  # just before the counter wraps
        (3.0, 86_398.0, 3.0),  # the counter starts again at midnight: tomorrow's 00:00:03
        (380.0, 5.0, 86_016.0 + 380.0),  # the day's last 384 s: yesterday's 23:59:56
    ],
)
def test_truncated_times_are_placed_nearest_the_reference(
    truncated: float, reference: float, expected: float
) -> None:
    from dronewarn.formats.asterix.cat001 import full_time_of_day

    assert full_time_of_day(truncated, reference) == pytest.approx(expected)


def _cat001_block(*records: bytes) -> bytes:
    body = b"".join(records)
    return bytes([1, (len(body) + 3) >> 8, (len(body) + 3) & 0xFF]) + body


# a CAT001 track: I010, I020 (TYP 1), I161, I040, I042, I200; FRN 17 (I100, Mode C code and
# confidence) is a track item where the plot UAP has a spare: the record chooses its UAP
_TRACK_ITEMS = bytes.fromhex("01028000050500400000001000")
_TRACK = bytes([0xF3, 0x40]) + _TRACK_ITEMS
_TRACK_WITH_I100 = bytes([0xF3, 0x41, 0x20]) + _TRACK_ITEMS + bytes(4)


def test_cat001_tracks_with_track_only_items_decode() -> None:
    for data in (_cat001_block(_TRACK), _cat001_block(_TRACK_WITH_I100, _TRACK_WITH_I100)):
        batch = decode_datablocks(data, Editions(), reference_s=T0)
        assert batch.errors == () and batch.cat001 and all(r.is_track for r in batch.cat001)


def test_a_cat001_plot_without_a_site_is_refused_not_raised() -> None:
    from dronewarn.domain.errors import FieldValueError
    from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
    from dronewarn.sense.sensor_input import sensor_input

    feed = sensor_input(SensorConfig("old", SensorKind.RADAR, wire=WireFormat.ASTERIX))
    decoded = feed.decode(_cat001_block(_TRACK), T0)
    assert decoded.reports == ()
    (error,) = decoded.errors
    assert isinstance(error, FieldValueError) and "site" in str(error)


def test_plain_blocks_before_a_broken_one_stay_plain() -> None:
    """A whole CAT048 block, then a CAT062 block cut short: one plot and a TruncatedError, not
    a recorder's framing guessed from the rest."""
    from dronewarn.domain.errors import TruncatedError

    data = bytes.fromhex(
        "300030fdf70219cc356d79a0e3ba999c020004683c48c50854b7e7656001be800030f40000400c9006"
        "7be71c410020f53e0037bb3d42196459fb7a00721e2f560d1aa3056e0528092f5e8b000000011053884346"
    )
    batch = decode_datablocks(data, Editions(), reference_s=T0)
    assert len(batch.cat048) == 1
    assert [type(e) for e in batch.errors] == [TruncatedError]
