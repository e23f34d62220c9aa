"""Golden tests on the real ASTERIX captures in ../shared/samples/asterix.

Edition per capture, found by decoding every record with every edition dronewarn supports
(counts from ``decode_datablocks``, which keeps the records of a block before its first bad one):

* ``asterix.pcap`` (Croatia Control, 2008-05-15): 100 UDP packets, each ONE CAT062 record of
  55 octets (50 for one): 100 records, not 482 (shared/FORMATS.md's count is wrong). Edition
  0.17, the draft Croatia Control's decoder loaded in 2008 (``asterix_cat062_0_17.xml``):
  100/100 records decode and every I070 lies within 0.1 s of its packet's capture time. With
  each of 1.16-1.21 (one UAP) the FSPEC means other items: 72 of 100 blocks fail (43
  truncated, 29 bad field) and the other 28 blocks "decode" into 82 records of wrong values
  (libasterix alone accepts the same 28 blocks, 62 records): no 1.x edition fits, and no
  record fails under 0.17.
* ``cat_034_048.pcap`` (2016-05-05): 100 packets, 86 CAT048 blocks with 128 records and 34
  CAT034 blocks with 34 records. Every CAT048 edition 1.27-1.32 decodes all 128 to identical
  fields, every CAT034 edition 1.27-1.29 all 34 (default 1.32 / 1.29 used).
* ``cat_062_065.pcap``, ``cat062cat065.raw``: 2 CAT062 records, identical under 1.16-1.21
  (0.17 refuses them: bad field), and one CAT065 block (UnsupportedError, counted).
* ``cat048.raw``: 1 CAT048 record, all editions. ``cat034.raw``: 1 CAT034 record.
* ``cat21_re.ast``: 2 CAT021 records with a Reserved Expansion field; editions 2.1-2.7 decode
  both identically, 0.23-0.26 refuse both (the 0.2x UAP).

Pinned values were checked by hand against the octets (noted next to each).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dronewarn.domain.errors import FieldValueError, TruncatedError
from dronewarn.domain.report import GeoPoint, ObjectClass, PolarMeasurement, PositionMeasurement
from dronewarn.formats.asterix.cat034 import Cat034MessageType
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.decoder import AsterixBatch, DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import SUPPORTED, Edition, Editions, parse_editions
from dronewarn.formats.asterix.reports import (
    AsterixSensorConfig,
    reports_from_batch,
    time_of_day_to_s,
)
from dronewarn.formats.capture import CapturedPayload, read_capture
from dronewarn.sense.ingest import check_report

NM = 1852.0
DAY = 86400.0


@pytest.fixture(scope="module")
def plan() -> DecodePlan:
    return DecodePlan.for_editions(Editions())


@pytest.fixture(scope="module")
def draft_plan() -> DecodePlan:
    return DecodePlan.for_editions(parse_editions("62:0.17"))


def _packets(samples_dir: Path, name: str) -> list[CapturedPayload]:
    return list(read_capture(samples_dir / "asterix" / name))


def _decode_all(packets: list[CapturedPayload], plan: DecodePlan) -> tuple[list[AsterixBatch], int]:
    batches = [
        decode_datablocks(p.payload, plan, reference_s=p.timestamp_s or 0.0) for p in packets
    ]
    return batches, sum(len(b.errors) for b in batches)


def test_asterix_pcap_is_cat062_edition_0_17_and_every_record_decodes(
    samples_dir: Path, draft_plan: DecodePlan
) -> None:
    packets = _packets(samples_dir, "asterix.pcap")
    assert len(packets) == 100
    batches, errors = _decode_all(packets, draft_plan)
    assert errors == 0
    tracks = [t for b in batches for t in b.cat062]
    assert len(tracks) == 100
    for packet, batch in zip(packets, batches, strict=True):
        (track,) = batch.cat062
        assert track.time_of_track_s is not None and packet.timestamp_s is not None
        # the track time is the capture time of day: the edition reads I070 where it is
        assert abs((packet.timestamp_s % DAY) - track.time_of_track_s) < 0.1
        # Croatia Control's area: 42.2-46.5 N, 12.0-19.3 E
        assert track.lat_deg is not None and 42.0 < track.lat_deg < 46.6
        assert track.lon_deg is not None and 12.0 < track.lon_deg < 19.4
    first = tracks[0]
    # 3e0037 bb3d42 | 1964 | 59f8e1 | 037e | 1f7ae9 0cf6a7 | 0c3a | 0550 | 0756 cad6 | ...
    assert (first.sac, first.sic) == (0x19, 0x64)
    assert first.time_of_track_s == 0x59F8E1 / 128  # 46065.76 s = 12:47:45.76
    assert first.track_number == 0x037E == 894
    assert first.lat_deg == pytest.approx(0x1F7AE9 * 180 / 2**23)  # 44.269
    assert first.lon_deg == pytest.approx(0x0CF6A7 * 180 / 2**23)  # 18.230
    assert first.measured_flight_level_ft == 0x0550 / 4 * 100 == 34000.0
    speed = math.hypot(first.vx_mps or 0.0, first.vy_mps or 0.0)
    assert speed == pytest.approx(0x0756 * 2**-14 * NM)  # I180: 412 kt
    heading = math.degrees(math.atan2(first.vx_mps or 0.0, first.vy_mps or 0.0)) % 360
    assert heading == pytest.approx(0xCAD6 * 360 / 2**16)  # 285.2 deg
    assert first.confirmed is True and first.simulated is False


@pytest.mark.parametrize("edition", [e for e in SUPPORTED[62] if e.major == 1], ids=str)
def test_asterix_pcap_does_not_fit_cat062_1x(samples_dir: Path, edition: Edition) -> None:
    plan = DecodePlan.for_editions(Editions({62: edition}))
    batches, errors = _decode_all(_packets(samples_dir, "asterix.pcap"), plan)
    kinds = [e.kind for b in batches for e in b.errors]
    assert errors == 72
    assert kinds.count("truncated") == 43 and kinds.count("bad_field") == 29
    assert sum(len(b.cat062) for b in batches) == 82


def _fields(batches: list[AsterixBatch]) -> tuple[tuple[object, ...], tuple[object, ...]]:
    return tuple(p for b in batches for p in b.cat048), tuple(m for b in batches for m in b.cat034)


def test_cat_034_048_pcap_every_record_decodes_with_every_edition(samples_dir: Path) -> None:
    packets = _packets(samples_dir, "cat_034_048.pcap")
    reference = None
    for e48 in SUPPORTED[48]:
        for e34 in SUPPORTED[34]:
            plan = DecodePlan.for_editions(Editions({48: e48, 34: e34}))
            batches, errors = _decode_all(packets, plan)
            assert errors == 0
            plots, messages = _fields(batches)
            assert len(plots) == 128 and len(messages) == 34
            if reference is None:
                reference = (plots, messages)
            assert (plots, messages) == reference


def test_cat_034_048_pcap_pinned_values(samples_dir: Path, plan: DecodePlan) -> None:
    packets = _packets(samples_dir, "cat_034_048.pcap")
    batches, _ = _decode_all(packets, plan)
    plots = [p for b in batches for p in b.cat048]
    messages = [m for b in batches for m in b.cat034]
    assert sum(1 for p in plots if p.report_type == 5) == 76  # Mode S roll-call
    assert sum(1 for p in plots if p.report_type == 7) == 48  # roll-call + PSR
    sector = [m for m in messages if m.message_type == Cat034MessageType.SECTOR_CROSSING]
    north = [m for m in messages if m.message_type == Cat034MessageType.NORTH_MARKER]
    assert (len(sector), len(north)) == (32, 2)
    # packet 2: 300037 ffff02 190d 356dee a0 c2d35b90 04c3 05a0 e0560b ... 22000b f0 190d 02
    # 356dfa 60
    third = batches[2]
    (plot,) = third.cat048
    assert (plot.sac, plot.sic) == (25, 13)
    assert plot.time_of_day_s == 0x356DEE / 128  # 27355.86 s = 07:35:55.86
    assert plot.range_m == pytest.approx(0xC2D3 / 256 * NM)  # 194.8 NM
    assert plot.azimuth_deg == pytest.approx(0x5B90 * 360 / 2**16)  # 128.76
    assert plot.mode3a_code == "2303"  # 0x04c3 = octal 2303
    assert plot.flight_level_ft == 0x05A0 / 4 * 100 == 36000.0
    assert plot.aircraft_address == 0x4BAACD
    assert plot.callsign == "THY9TX"
    assert plot.has_plot_characteristics is True
    (message,) = third.cat034
    assert message.offset == 58 and (message.sac, message.sic) == (25, 13)
    assert message.message_type == Cat034MessageType.SECTOR_CROSSING
    assert message.time_of_day_s == 0x356DFA / 128
    assert message.sector_azimuth_deg == 0x60 * 360 / 256 == 135.0
    # 07:35:55.86 UTC against the capture time 2016-05-04T07:35:56.52Z
    assert packets[2].timestamp_s is not None
    assert packets[2].timestamp_s - time_of_day_to_s(
        plot.time_of_day_s, packets[2].timestamp_s
    ) == pytest.approx(0.664, abs=0.001)


def test_cat048_raw_every_field_by_hand(samples_dir: Path, plan: DecodePlan) -> None:
    data = (samples_dir / "asterix" / "cat048.raw").read_bytes()
    # 300030 | fdf702 | 19c9 | 356d4d | a0 | c5af f1e0 | 0200 | 0528 | 3c660c | 10c236d41820 |
    # 01 c0780031bc000040 | 0deb | 07b9 582e | 41 00 | 20f5
    batch = decode_datablocks(data, plan, reference_s=0.0)
    assert batch.errors == () and batch.skipped_octets == 0
    assert batch.cat048 == (
        Cat048Plot(
            offset=3,
            sac=25,
            sic=201,
            time_of_day_s=0x356D4D / 128,
            report_type=5,
            simulated=False,
            test_target=None,
            range_m=0xC5AF / 256 * NM,
            azimuth_deg=0xF1E0 * 360 / 2**16,
            mode3a_code="1000",
            mode3a_validated=True,
            flight_level_ft=33000.0,
            flight_level_validated=True,
            has_plot_characteristics=False,
            aircraft_address=0x3C660C,
            callsign="DLH65A",
            track_number=0xDEB,
            ground_speed_mps=0x07B9 * 2**-14 * NM,
            heading_deg=0x582E * 360 / 2**16,
            track_confirmed=True,
            track_ended=False,
        ),
    )


def test_cat034_raw(samples_dir: Path, plan: DecodePlan) -> None:
    data = (samples_dir / "asterix" / "cat034.raw").read_bytes()
    # 220010 | f6 | 190e | 02 | 3a692b | 40 | 884040 (I050) | 8000 (I060)
    batch = decode_datablocks(data, plan, reference_s=0.0)
    assert batch.errors == ()
    (message,) = batch.cat034
    assert (message.sac, message.sic) == (25, 14)
    assert message.message_type == Cat034MessageType.SECTOR_CROSSING
    assert message.time_of_day_s == 0x3A692B / 128
    assert message.sector_azimuth_deg == 90.0
    assert message.antenna_rotation_period_s is None


def test_cat062cat065_raw(samples_dir: Path, plan: DecodePlan) -> None:
    data = (samples_dir / "asterix" / "cat062cat065.raw").read_bytes()
    batch = decode_datablocks(data, plan, reference_s=0.0)
    assert len(batch.cat062) == 2 and batch.errors == ()
    (status,) = batch.status  # the CAT065 block after 183 octets: the SDPS's status
    assert status.category == 65 and status.offset == 0xB7 + 3
    assert batch.skipped_octets == 0
    track = batch.cat062[0]
    # 3e00b7 bfcffd02 | 1964 | 04 | 3c5fd5 | 007f3e9b 0025188d | f8b42a fcc2fc | ff33 02a8 |
    # ... | 1374 | 11030118 | 70 1d00ff | ... | 0274 | 1b10 | ...
    assert (track.sac, track.sic) == (25, 100)
    assert track.time_of_track_s == 0x3C5FD5 / 128
    assert track.lat_deg == pytest.approx(0x7F3E9B * 180 / 2**25)  # 44.734
    assert track.lon_deg == pytest.approx(0x25188D * 180 / 2**25)  # 13.042
    assert (track.x_m, track.y_m) == ((0xF8B42A - 2**24) / 2, (0xFCC2FC - 2**24) / 2)
    assert (track.vx_mps, track.vy_mps) == ((0xFF33 - 2**16) / 4, 0x02A8 / 4)
    assert track.track_number == 0x1374
    assert track.confirmed is True
    assert track.measured_flight_level_ft == 0x0274 / 4 * 100
    assert track.geometric_altitude_m == pytest.approx(0x1B10 * 6.25 * 0.3048)
    assert track.ages is not None and track.accuracy is None
    assert (track.ages.psr_s, track.ages.ssr_s, track.ages.mode_s_s) == (0x1D / 4, 0.0, 0xFF / 4)
    assert track.ages.track_s is None and track.ages.adsb_es_s is None


def test_cat_062_065_pcap(samples_dir: Path, plan: DecodePlan) -> None:
    (packet,) = _packets(samples_dir, "cat_062_065.pcap")
    batch = decode_datablocks(packet.payload, plan, reference_s=packet.timestamp_s or 0.0)
    assert batch.error_counts() == {} and [s.category for s in batch.status] == [65]
    assert len(batch.cat062) == 2
    track = batch.cat062[0]
    # 3e00a1 bfdffd02 | 1964 | 01 | 5981b3 | 007518fc 002caed9 | ... | c120 4ca7a8 4994b1df40e0
    # ... | 1269 | ... | 0618
    assert track.time_of_track_s == 0x5981B3 / 128  # 12:43:47.40
    assert track.lat_deg == pytest.approx(0x7518FC * 180 / 2**25)  # 41.167
    assert track.lon_deg == pytest.approx(0x2CAED9 * 180 / 2**25)  # 15.709
    assert track.aircraft_address == 0x4CA7A8
    assert track.callsign == "RYR174C"
    assert track.track_number == 0x1269 == 4713
    assert track.measured_flight_level_ft == 0x0618 / 4 * 100 == 39000.0


def test_cat21_re_ast(samples_dir: Path) -> None:
    data = (samples_dir / "asterix" / "cat21_re.ast").read_bytes()
    results = {}
    for edition in SUPPORTED[21]:
        batch = decode_datablocks(data, Editions({21: edition}), reference_s=0.0)
        results[edition] = batch
        if edition.major == 0:
            assert len(batch.cat021) == 0 and len(batch.errors) == 2
        else:
            assert batch.errors == () and len(batch.cat021) == 2
    first, second = results[Edition(2, 7)].cat021
    # 15002c | c51d31 01 43 23 04 | 0001 | 0140 | 2bb73e fa65ba | 000001 | 384176 | ...
    assert (first.sac, first.sic) == (0, 1)
    assert first.lat_deg == pytest.approx(0x2BB73E * 180 / 2**23)  # 61.475
    assert first.lon_deg == pytest.approx((0xFA65BA - 2**24) * 180 / 2**23)  # -7.879
    assert first.high_resolution is False
    assert first.target_address == 1 and second.target_address == 2
    assert first.time_reception_position_s == 0x384176 / 128
    assert first.emitter_category == 0 and second.emitter_category == 21
    assert first.mops_version == 0


def test_time_of_day_rolls_over_midnight_both_ways() -> None:
    midnight = 1_700_006_400.0  # 2023-11-15T00:00:00Z
    assert midnight % DAY == 0
    assert time_of_day_to_s(3600.0, midnight + 3700.0) == midnight + 3600.0
    # sent just before midnight, received just after: yesterday
    assert time_of_day_to_s(86399.9, midnight + 0.1) == pytest.approx(midnight - 0.1)
    # stamped just after midnight by a sensor whose clock runs ahead of ours: tomorrow
    assert time_of_day_to_s(0.2, midnight - 0.3) == pytest.approx(midnight + 0.2)
    assert time_of_day_to_s(43200.0, midnight) == midnight + 43200.0
    for bad in (-1.0, 86401.0, math.nan, math.inf):
        with pytest.raises(FieldValueError):
            time_of_day_to_s(bad, midnight)


def test_reports_from_real_captures(samples_dir: Path, draft_plan: DecodePlan) -> None:
    site = GeoPoint(45.8, 16.0, 150.0)
    sensors = [
        AsterixSensorConfig("radar-25-201", 25, 201, site=site),
        AsterixSensorConfig("sdps-25-100", 25, 100, uav_class=ObjectClass.MULTIROTOR),
    ]
    packets = _packets(samples_dir, "cat_034_048.pcap")
    reports = []
    unknown = skipped = 0
    for packet in packets:
        assert packet.timestamp_s is not None
        batch = decode_datablocks(packet.payload, draft_plan, reference_s=packet.timestamp_s)
        got, errors = reports_from_batch(batch, sensors, source=packet.source)
        reports.extend(got)
        unknown += sum(1 for e in errors if e.kind == "unknown_sensor")
        skipped += sum(1 for e in errors if e.kind == "not_a_measurement")
        for report in got:
            assert abs(report.time_s - packet.timestamp_s) < 10.0
    # radar 25/201 sends 28 of the 128 plots; of the other 100, two are "no detection" (I020
    # TYP 0, a track coasting): no report, counted; the other 98 come from unconfigured radars
    assert len(reports) == 28 and unknown == 98 and skipped == 2
    first = reports[0]
    assert first.sensor_id == "radar-25-201" and first.source == "cat_034_048.pcap#0@3"
    assert isinstance(first.measurement, PolarMeasurement)
    assert first.measurement.range_m == pytest.approx(0xC5AF / 256 * NM)
    assert first.measurement.site == site
    for report in reports:
        check_report(report)
    tracks = _packets(samples_dir, "asterix.pcap")
    batch = decode_datablocks(tracks[0].payload, draft_plan, reference_s=tracks[0].timestamp_s or 0)
    (report,), errors = reports_from_batch(batch, sensors, source="asterix.pcap#0")
    assert errors == []
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.time_s == pytest.approx(tracks[0].timestamp_s or 0.0, abs=0.01)
    assert report.measurement.point.alt_m == pytest.approx(34000 * 0.3048)  # from I136
    assert report.measurement.sigma_h_m == 150.0  # no I500 in 0.17: the configured default
    check_report(report)


def test_no_detection_simulated_and_test_plots_give_no_report(plan: DecodePlan) -> None:
    # FSPEC f0: I010, I140, I020, I040 (range 0, azimuth 0)
    config = AsterixSensorConfig("r", 25, 201, site=GeoPoint(50.0, 20.0))
    kept = []
    for descriptor in ("a0", "00", "b0", "a180"):  # roll-call; no detection; SIM; TST
        body = bytes.fromhex("f019c9356d4d") + bytes.fromhex(descriptor) + bytes(4)
        block = bytes([48]) + (3 + len(body)).to_bytes(2, "big") + body
        batch = decode_datablocks(block, plan, reference_s=27400.0)
        assert batch.errors == () and len(batch.cat048) == 1
        reports, errors = reports_from_batch(batch, [config])
        assert len(reports) + len(errors) == 1
        assert all(e.kind == "not_a_measurement" for e in errors)
        kept.append(len(reports))
    assert kept == [1, 0, 0, 0]


def test_records_missing_mandatory_items_become_typed_errors(plan: DecodePlan) -> None:
    # a CAT048 record with I010 only, then one with nothing at all
    data = bytes.fromhex("3000078019c900")
    batch = decode_datablocks(data, plan, reference_s=0.0)
    assert len(batch.cat048) == 2
    config = AsterixSensorConfig("r", 25, 201, site=GeoPoint(50.0, 20.0))
    reports, errors = reports_from_batch(batch, [config])
    assert reports == []
    assert [(type(e), getattr(e, "field", None)) for e in errors] == [
        (FieldValueError, "I048/140"),
        (FieldValueError, "I048/010"),
    ]
    assert [getattr(e, "offset", None) for e in errors] == [3, 6]


def test_truncated_capture_sample_reports_where(samples_dir: Path, plan: DecodePlan) -> None:
    data = (samples_dir / "asterix" / "cat048.raw").read_bytes()[:40]
    batch = decode_datablocks(data, plan, reference_s=0.0)
    (error,) = batch.errors
    assert isinstance(error, TruncatedError) and error.field == "LEN" and error.offset == 0


def _encoded(spec_name: str, items: dict[str, object]) -> bytes:
    """One record of ``items`` encoded by libasterix (``asterix.generated.<spec_name>``)."""
    from asterix import generated

    spec = getattr(generated, spec_name)
    return bytes(spec.create([spec.cv_record.create(items)]).unparse().to_bytes())


def test_reports_from_tracks_adsb_and_incs_records() -> None:
    reference = 1_700_000_000.0  # 22:13:20 UTC
    tod = reference % DAY
    sensors = [
        AsterixSensorConfig("sdps", 1, 2, uav_class=ObjectClass.MULTIROTOR),
        AsterixSensorConfig("adsb", 1, 3),
        AsterixSensorConfig(
            "incs", 1, 4, cat015_classes={7: ObjectClass.SHAHED, 9: ObjectClass.BIRD_CLUTTER}
        ),
    ]
    cat062 = _encoded(
        "Cat_062_1_20",
        {
            "010": (("SAC", 1), ("SIC", 2)),
            "070": (tod, "s"),
            "105": (("LAT", (52.1, "°")), ("LON", (23.7, "°"))),
            "040": 77,
            "080": (0b1000000,),  # MON 1, CNF 0: one extent
            "130": (1000.0 / 0.3048, "ft"),
            "380": {"EMC": 13},
            "500": {"APC": (("X", (30.0, "m")), ("Y", (40.0, "m"))), "AGA": (25.0, "ft")},
        },
    )
    cat021 = _encoded(
        "Cat_021_2_7",
        {
            "010": (("SAC", 1), ("SIC", 3)),
            "071": (tod - 1.0, "s"),
            "131": (("LAT", (52.2, "°")), ("LON", (23.8, "°"))),
            "090": (2, 9),  # NUCr 0, NUCp/NIC 2 | NICbaro 0, SIL 0, NACp 9
            "210": 0x12,  # VN 2 (DO-260B), LTT 2 (1090 ES)
            "145": (350.0, "FL"),
            "020": 1,
        },
    )
    cat015 = _encoded(
        "Cat_015_1_2",
        {
            "010": (("SAC", 1), ("SIC", 4)),
            "000": (("MT", 2), ("RG", 0)),
            "145": (tod, "s"),
            "300": [
                (("CLS", 9), ("PRB", 30)),
                (("CLS", 7), ("PRB", 85)),
                (("CLS", 5), ("PRB", 99)),
            ],
            "600": {
                "P84": (("LATITUDE", (52.3, "°")), ("LONGITUDE", (23.9, "°"))),
                "HPP": (("SDHPX", (6.0, "m")), ("SDHPY", (8.0, "m")), ("COSDHPXY", 0)),
            },
            "601": {"GH": (250.0, "m"), "SDGH": (12.0, "m")},
        },
    )
    batch = decode_datablocks(cat062 + cat021 + cat015, Editions(), reference_s=reference)
    assert batch.errors == ()
    reports, errors = reports_from_batch(batch, sensors, source="test")
    assert errors == []
    track, adsb, incs = reports
    for report in reports:
        check_report(report)
    assert isinstance(track.measurement, PositionMeasurement)
    assert track.time_s == pytest.approx(reference)
    assert track.measurement.point.lat_deg == pytest.approx(52.1, abs=1e-5)
    assert track.measurement.point.alt_m == pytest.approx(1000.0, abs=2.0)  # I130
    assert track.measurement.sigma_h_m == pytest.approx(math.sqrt((30**2 + 40**2) / 2))
    assert track.measurement.sigma_v_m == pytest.approx(25.0 * 0.3048)  # I500/AGA
    assert track.class_hint is not None and track.class_hint.object_class == ObjectClass.MULTIROTOR
    assert isinstance(adsb.measurement, PositionMeasurement)
    assert adsb.time_s == pytest.approx(reference - 1.0)
    assert adsb.measurement.sigma_h_m == pytest.approx(30.0 / 2.4477)  # NACp 9: EPU < 30 m
    assert adsb.measurement.point.alt_m == pytest.approx(35000 * 0.3048)
    assert adsb.class_hint is not None and adsb.class_hint.object_class == ObjectClass.CREWED
    assert isinstance(incs.measurement, PositionMeasurement)
    assert incs.measurement.sigma_h_m == pytest.approx(math.sqrt((36 + 64) / 2))
    assert (incs.measurement.point.alt_m, incs.measurement.sigma_v_m) == (250.0, 12.0)
    # class 5 is not in this sensor's ICD map; of the mapped ones, Shahed has the higher 85 %
    assert incs.class_hint is not None
    assert (incs.class_hint.object_class, incs.class_hint.confidence) == (ObjectClass.SHAHED, 0.85)
    assert [r.source for r in reports] == ["test@3", f"test@{len(cat062) + 3}", incs.source]


def test_adsb_0_2x_sigma_from_nucp() -> None:
    reference = 1_700_000_000.0
    data = _encoded(
        "Cat_021_0_23",
        {
            "010": (("SAC", 1), ("SIC", 3)),
            "030": (reference % DAY, "s"),
            "130": (("LAT", (52.2, "°")), ("LON", (23.8, "°"))),
            "090": 7,  # PA (NUCp) 7: HFOM < 0.05 NM
            "020": 13,  # UAV
        },
    )
    batch = decode_datablocks(data, parse_editions("21:0.23"), reference_s=reference)
    (report,), errors = reports_from_batch(batch, [AsterixSensorConfig("adsb", 1, 3)])
    assert errors == []
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.sigma_h_m == pytest.approx(0.05 * NM / 2.4477)
    assert report.class_hint is not None
    assert report.class_hint.object_class == ObjectClass.UNKNOWN  # the default for a UAV
    assert report.time_s == pytest.approx(reference)
