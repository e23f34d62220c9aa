"""ASTERIX records -> domain Reports, with each sensor's configuration.

* CAT048 plot -> ``PolarMeasurement`` from the radar site in the sensor's configuration: I040
  slant range and azimuth, with the configured 1-sigma errors (default: the EUROCONTROL Standard
  for Radar Surveillance in En-Route Airspace and Major Terminal Areas, SUR.ET1.ST01.1000-STD,
  random errors of 70 m in range and 0.08 deg in azimuth).
* CAT062 track -> ``PositionMeasurement``: I105 position; sigma from I500/APC (or APW) when
  sent, else the configured default; height from I130 (geometric), else from I136 (pressure
  altitude, with ``pressure_altitude_sigma_m``); class hint from I380/EMC.
* CAT021 report -> ``PositionMeasurement``: sigma from NACp (DO-260A/B, I210 VN >= 1) or NUCp
  (DO-260 and CAT021 0.2x), as the 95 % bound over 2.45 (a circular normal's 95 % radius);
  class hint from I020 ECAT.
* CAT015 report -> ``PositionMeasurement``: sigma from I600/HPP; class hint from I300 through
  the sensor's ``cat015_classes`` (CAT015 leaves class codes to each sensor's ICD).
* CAT010 surface movement target report -> ``PositionMeasurement`` from I041 (WGS-84), sigma
  from I500 DEVX/DEVY; its status messages (I000 2-4) give none.
* CAT020 multilateration target report -> ``PositionMeasurement`` from I041, height from I105
  (geometric) else I090.
* CAT001 plot or track (old radars) -> ``PolarMeasurement`` from the configured site, like
  CAT048; its time of day is truncated to 512 s and placed nearest the reference.
* Status categories (CAT002, 004, 019, 023, 025, 063, 065; ``status``) give no Report.

Emitter categories (I062/380/EMC, I021/020) 1-6, 10-12 and 15 are crewed aircraft ->
``ClassHint(CREWED)``; 13 is an unmanned aerial vehicle -> ``ClassHint(uav_class)``
(``ObjectClass`` has no plain "UAV": the sensor's configuration says which class a declared
UAV counts as, UNKNOWN by default). CAT034 gives no Report.

ASTERIX times are seconds since UTC midnight; ``time_of_day_to_s`` places one on the UTC day
that puts it nearest the reference (the capture or receive time), so a report sent at
23:59:59.9 and received at 00:00:00.1 keeps yesterday's date, and the reverse.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dronewarn.domain.errors import (
    ConfigError,
    FieldValueError,
    InputError,
    UnknownSensorError,
)
from dronewarn.domain.report import (
    ClassHint,
    GeoPoint,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    Report,
)
from dronewarn.formats.adsb.accuracy import NACP_EPU_M, NUCP_RC_M
from dronewarn.formats.asterix.cat001 import Cat001Report, full_time_of_day
from dronewarn.formats.asterix.cat010 import Cat010Report
from dronewarn.formats.asterix.cat015 import Cat015Report
from dronewarn.formats.asterix.cat020 import Cat020Report
from dronewarn.formats.asterix.cat021 import Cat021Report
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.cat062 import EMITTER_UAV, Cat062Track
from dronewarn.formats.asterix.decoder import AsterixBatch
from dronewarn.formats.asterix.editions import Editions
from dronewarn.formats.asterix.items import FT_M
from dronewarn.formats.asterix.plausibility import implausible
from dronewarn.formats.asterix.records import PositionRecord

DAY_S = 86400.0
MAX_TIME_OF_DAY_S = 86401.0
"""A time of day may reach 86400.x during a leap second, never beyond."""
MIN_SIGMA_M = 1.0
"""Accuracies below this (a sensor sending 0) are taken as this."""
R95_PER_SIGMA = 2.4477
"""95 % radius of a circular normal distribution over its sigma: sqrt(-2 ln 0.05)."""
M_PER_DEG = 111_320.0
"""Metres per degree of latitude (and of longitude at the equator), close enough for sigmas."""

CREWED_EMITTERS = frozenset({1, 2, 3, 4, 5, 6, 10, 11, 12, 15})
"""Emitter categories of crewed aircraft (light ... heavy, high performance, rotorcraft,
glider, lighter-than-air, ultralight)."""


@dataclass(frozen=True, slots=True)
class AsterixSensorConfig:
    """One ASTERIX source as a node knows it: who it is on the wire and how good it is."""

    sensor_id: str
    sac: int
    """I010 System Area Code the source sends."""
    sic: int
    """I010 System Identification Code the source sends."""
    site: GeoPoint | None = None
    """The radar's antenna (required for CAT048 plots)."""
    sigma_range_m: float = 70.0
    sigma_azimuth_deg: float = 0.08
    editions: Editions = field(default_factory=Editions)
    default_sigma_h_m: float = 150.0
    """Position sigma when a CAT062/021/015 report carries no accuracy."""
    default_sigma_v_m: float = 50.0
    """Height sigma when a geometric height comes without its own accuracy."""
    pressure_altitude_sigma_m: float = 150.0
    """Height sigma when the height is a pressure altitude (flight level) taken as geometric."""
    uav_class: ObjectClass = ObjectClass.UNKNOWN
    """The class a declared UAV (emitter category 13) counts as."""
    emitter_confidence: float = 0.9
    """Confidence of a class hint from a declared emitter category."""
    cat015_classes: Mapping[int, ObjectClass] = field(default_factory=lambda: MappingProxyType({}))
    """I015/300 class code -> class, from the sensor's interface control document."""
    max_range_m: float | None = None
    """How far the radar can see, margin for ducting included (``domain.limits.RANGE_MARGIN``
    times its configured range): a CAT048 plot beyond it is refused as implausible."""


def time_of_day_to_s(tod_s: float, reference_s: float) -> float:
    """The POSIX time of UTC time of day ``tod_s`` nearest to ``reference_s``.

    FieldValueError for a time of day outside [0, 86401) or not finite.
    """
    if not (math.isfinite(tod_s) and 0.0 <= tod_s < MAX_TIME_OF_DAY_S):
        raise FieldValueError(f"time of day {tod_s} s is outside one day", field="time_of_day")
    if not math.isfinite(reference_s):
        raise FieldValueError(f"reference time {reference_s} is not finite", field="reference")
    midnight = math.floor(reference_s / DAY_S) * DAY_S
    time_s = midnight + tod_s
    if time_s - reference_s > DAY_S / 2.0:
        time_s -= DAY_S
    elif reference_s - time_s > DAY_S / 2.0:
        time_s += DAY_S
    return time_s


def _missing(item: str, offset: int) -> FieldValueError:
    return FieldValueError(f"{item} missing", offset=offset, field=item)


def _source(source: str, offset: int) -> str:
    return f"{source}@{offset}" if source else f"@{offset}"


def _emitter_hint(category: int | None, config: AsterixSensorConfig) -> ClassHint | None:
    if category == EMITTER_UAV:
        return ClassHint(config.uav_class, config.emitter_confidence)
    if category in CREWED_EMITTERS:
        return ClassHint(ObjectClass.CREWED, config.emitter_confidence)
    return None


def _height(
    geometric_m: float | None, sigma_m: float | None, flight_level_ft: float | None,
    config: AsterixSensorConfig,
) -> tuple[float | None, float | None]:  # fmt: skip
    if geometric_m is not None:
        if sigma_m is None:
            return geometric_m, config.default_sigma_v_m
        return geometric_m, max(sigma_m, MIN_SIGMA_M)
    if flight_level_ft is not None:
        return flight_level_ft * FT_M, config.pressure_altitude_sigma_m
    return None, None


def plot_report(
    plot: Cat048Plot, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT048 plot as a range/bearing measurement from the configured radar site."""
    if config.site is None:
        raise ConfigError(f"ASTERIX sensor {config.sensor_id}: CAT048 needs the radar site")
    if plot.time_of_day_s is None:
        raise _missing("I048/140", plot.offset)
    if plot.range_m is None or plot.azimuth_deg is None:
        raise _missing("I048/040", plot.offset)
    time_s = time_of_day_to_s(plot.time_of_day_s, reference_s)
    return _polar_report(config, config.site, time_s, plot.range_m, plot.azimuth_deg,
                         _source(source, plot.offset))  # fmt: skip


def _polar_report(
    config: AsterixSensorConfig,
    site: GeoPoint,
    time_s: float,
    range_m: float,
    bearing_deg: float,
    source: str,
) -> Report:
    """A radar's range and bearing from ``site``, with the sensor's configured errors."""
    return Report(
        sensor_id=config.sensor_id,
        time_s=time_s,
        measurement=PolarMeasurement(
            site=site,
            range_m=range_m,
            bearing_deg=bearing_deg,
            sigma_range_m=config.sigma_range_m,
            sigma_bearing_deg=config.sigma_azimuth_deg,
        ),
        source=source,
    )


def track_report(
    track: Cat062Track, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT062 system track update as a position measurement."""
    if track.time_of_track_s is None:
        raise _missing("I062/070", track.offset)
    if track.lat_deg is None or track.lon_deg is None:
        raise _missing("I062/105", track.offset)
    accuracy = track.accuracy
    sigma_h = config.default_sigma_h_m
    aga_m = None
    if accuracy is not None:
        aga_m = accuracy.aga_m
        if accuracy.apc_x_m is not None and accuracy.apc_y_m is not None:
            sigma_h = math.sqrt((accuracy.apc_x_m**2 + accuracy.apc_y_m**2) / 2.0)
        elif accuracy.apw_lat_deg is not None and accuracy.apw_lon_deg is not None:
            north = accuracy.apw_lat_deg * M_PER_DEG
            east = accuracy.apw_lon_deg * M_PER_DEG * math.cos(math.radians(track.lat_deg))
            sigma_h = math.sqrt((north**2 + east**2) / 2.0)
    alt_m, sigma_v = _height(
        track.geometric_altitude_m, aga_m, track.measured_flight_level_ft, config
    )
    return Report(
        sensor_id=config.sensor_id,
        time_s=time_of_day_to_s(track.time_of_track_s, reference_s),
        measurement=PositionMeasurement(
            point=GeoPoint(track.lat_deg, track.lon_deg, alt_m),
            sigma_h_m=max(sigma_h, MIN_SIGMA_M),
            sigma_v_m=sigma_v,
        ),
        class_hint=_emitter_hint(track.emitter_category, config),
        source=_source(source, track.offset),
    )


def _adsb_sigma_m(report: Cat021Report) -> float | None:
    if report.mops_version is not None and report.mops_version >= 1:
        bound = NACP_EPU_M.get(report.nacp) if report.nacp is not None else None
    else:
        bound = NUCP_RC_M.get(report.nucp_nic) if report.nucp_nic is not None else None
    return None if bound is None else bound / R95_PER_SIGMA


def adsb_report(
    report: Cat021Report, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT021 ADS-B report as a position measurement."""
    tod = next(
        (
            t
            for t in (
                report.time_applicability_position_s,
                report.time_reception_position_s,
                report.time_report_transmission_s,
                report.time_of_day_s,
            )
            if t is not None
        ),
        None,
    )
    if tod is None:
        raise _missing("I021/071", report.offset)
    if report.lat_deg is None or report.lon_deg is None:
        raise _missing("I021/130", report.offset)
    sigma_h = _adsb_sigma_m(report)
    alt_m, sigma_v = _height(report.geometric_height_m, None, report.flight_level_ft, config)
    return Report(
        sensor_id=config.sensor_id,
        time_s=time_of_day_to_s(tod, reference_s),
        measurement=PositionMeasurement(
            point=GeoPoint(report.lat_deg, report.lon_deg, alt_m),
            sigma_h_m=max(
                sigma_h if sigma_h is not None else config.default_sigma_h_m, MIN_SIGMA_M
            ),
            sigma_v_m=sigma_v,
        ),
        class_hint=_emitter_hint(report.emitter_category, config),
        source=_source(source, report.offset),
    )


def incs_report(
    report: Cat015Report, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT015 non-cooperative sensor report as a position measurement."""
    if report.time_of_applicability_s is None:
        raise _missing("I015/145", report.offset)
    if report.lat_deg is None or report.lon_deg is None:
        raise _missing("I015/600", report.offset)
    if report.sd_x_m is not None and report.sd_y_m is not None:
        sigma_h = math.sqrt((report.sd_x_m**2 + report.sd_y_m**2) / 2.0)
    else:
        sigma_h = config.default_sigma_h_m
    alt_m, sigma_v = _height(report.geometric_height_m, report.sd_height_m, None, config)
    hint = None
    best = -1
    for entry in report.classes:
        object_class = config.cat015_classes.get(entry.code)
        if object_class is not None and entry.probability_pct > best:
            best = entry.probability_pct
            hint = ClassHint(object_class, min(entry.probability_pct, 100) / 100.0)
    return Report(
        sensor_id=config.sensor_id,
        time_s=time_of_day_to_s(report.time_of_applicability_s, reference_s),
        measurement=PositionMeasurement(
            point=GeoPoint(report.lat_deg, report.lon_deg, alt_m),
            sigma_h_m=max(sigma_h, MIN_SIGMA_M),
            sigma_v_m=sigma_v,
        ),
        class_hint=hint,
        source=_source(source, report.offset),
    )


def old_plot_report(
    report: Cat001Report, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT001 plot or track as a range/bearing measurement from the configured radar site;
    its truncated time (I141, modulo 512 s) placed nearest the reference time."""
    if config.site is None:
        raise FieldValueError(
            f"{config.sensor_id}: a CAT001 plot needs the radar's site (configure the sensor's "
            "site)",
            offset=report.offset,
            field="I001/040",
        )
    if not math.isfinite(reference_s):
        raise FieldValueError(f"reference time {reference_s} is not finite", field="reference")
    if report.truncated_time_s is None:
        raise _missing("I001/141", report.offset)
    if report.range_m is None or report.azimuth_deg is None:
        raise _missing("I001/040", report.offset)
    tod = full_time_of_day(report.truncated_time_s, reference_s % DAY_S)
    time_s = time_of_day_to_s(tod, reference_s)
    return _polar_report(config, config.site, time_s, report.range_m, report.azimuth_deg,
                         _source(source, report.offset))  # fmt: skip


def _wgs84_report(
    record: Cat010Report | Cat020Report,
    config: AsterixSensorConfig,
    sigma_h_m: float,
    height: tuple[float | None, float | None],
    *,
    reference_s: float,
    source: str,
) -> Report:
    cat = "I010" if isinstance(record, Cat010Report) else "I020"
    if record.time_of_day_s is None:
        raise _missing(f"{cat}/140", record.offset)
    if record.lat_deg is None or record.lon_deg is None:
        raise _missing(f"{cat}/041", record.offset)
    return Report(
        sensor_id=config.sensor_id,
        time_s=time_of_day_to_s(record.time_of_day_s, reference_s),
        measurement=PositionMeasurement(
            point=GeoPoint(record.lat_deg, record.lon_deg, height[0]),
            sigma_h_m=max(sigma_h_m, MIN_SIGMA_M),
            sigma_v_m=height[1],
        ),
        source=_source(source, record.offset),
    )


def surface_report(
    report: Cat010Report, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT010 surface movement target report (I041 WGS-84) as a position measurement; the
    sigma from I500 DEVX/DEVY when sent. A report with only I042 (Cartesian from the sensor)
    is refused: read the WGS-84 position, which every surface sensor of the spec can send."""
    if report.sd_x_m is not None and report.sd_y_m is not None:
        sigma_h = math.sqrt((report.sd_x_m**2 + report.sd_y_m**2) / 2.0)
    else:
        sigma_h = config.default_sigma_h_m
    height = _height(report.measured_height_m, None, report.flight_level_ft, config)
    return _wgs84_report(report, config, sigma_h, height, reference_s=reference_s, source=source)


def mlat_report(
    report: Cat020Report, config: AsterixSensorConfig, *, reference_s: float, source: str = ""
) -> Report:
    """A CAT020 multilateration target report (I041 WGS-84) as a position measurement."""
    height = _height(report.geometric_height_m, None, report.flight_level_ft, config)
    return _wgs84_report(
        report, config, config.default_sigma_h_m, height, reference_s=reference_s, source=source
    )


class NotAMeasurementError(InputError):
    """A well-formed record that measures no real target (see ``is_measurement``): it gives no
    Report, and is counted under its own kind rather than dropped unseen."""

    kind = "not_a_measurement"
    recorded = False  # every coasting radar track sends these: counted, not stored

    def __init__(self, message: str, *, offset: int, field: str) -> None:
        self.offset = offset
        self.field = field
        super().__init__(message)


def _not_a_measurement(record: PositionRecord) -> NotAMeasurementError:
    if isinstance(record, Cat010Report):
        why = (
            f"status message (I000 {record.message_type})"
            if record.message_type not in (None, 1)
            else "a simulated or test target report (I020 SIM/TST)"
        )
        return NotAMeasurementError(f"CAT010 {why}", offset=record.offset, field="I010/000")
    if isinstance(record, Cat001Report):
        return NotAMeasurementError(
            "CAT001 simulated or test target report (I020 SIM/TST)",
            offset=record.offset,
            field="I001/020",
        )
    if isinstance(record, Cat020Report):
        return NotAMeasurementError(
            "CAT020 simulated or test target report (I020 SIM/TST)",
            offset=record.offset,
            field="I020/020",
        )
    if isinstance(record, Cat048Plot):
        why = (
            "no detection (I020 TYP 0: a track coasting)"
            if record.report_type == 0
            else "a simulated or test target report (I020 SIM/TST)"
        )
        return NotAMeasurementError(f"CAT048 {why}", offset=record.offset, field="I048/020")
    return NotAMeasurementError(
        "CAT062 simulated track (I080 SIM)", offset=record.offset, field="I062/080"
    )


def is_measurement(record: PositionRecord) -> bool:
    """False for records that measure no real target: CAT048 "no detection" (I020 TYP 0, a
    track coasting without a plot), simulated (SIM) or test (TST) reports; CAT062 simulated
    tracks (I080 SIM). ``reports_from_batch`` gives no Report for them but a
    ``NotAMeasurementError`` each; callers of ``plot_report`` should check too."""
    if isinstance(record, Cat048Plot):
        return not (record.report_type == 0 or record.simulated or record.test_target)
    if isinstance(record, Cat062Track):
        return not record.simulated
    if isinstance(record, Cat010Report):
        return record.message_type in (None, 1) and not (record.simulated or record.test_target)
    if isinstance(record, Cat020Report | Cat001Report):
        return not (record.simulated or record.test_target)
    return True


def reports_from_batch(
    batch: AsterixBatch, sensors: Iterable[AsterixSensorConfig], *, source: str = ""
) -> tuple[list[Report], list[InputError]]:
    """Reports of the CAT048/062/021/015 records of ``batch``, matched to ``sensors`` by
    SAC/SIC, and an error per record that could not become one (no I010: FieldValueError; an
    unconfigured SAC/SIC: UnknownSensorError; a missing mandatory item: FieldValueError).
    ``source`` prefixes each Report's ``source`` (the record's offset follows an ``@``).

    Records that are not measurements of a real target give no Report but a
    ``NotAMeasurementError`` (kind ``not_a_measurement``): CAT048 reports of type "no
    detection" (I020 TYP 0: a track coasting without a plot), simulated (SIM) or test (TST)
    target reports, and CAT062 simulated tracks (I080 SIM). A record with a value no real
    target can have gives an ``ImplausibleValueError`` (``formats.asterix.plausibility``).
    """
    by_code = {(sensor.sac, sensor.sic): sensor for sensor in sensors}
    reports: list[Report] = []
    errors: list[InputError] = []
    reference_s = batch.reference_s
    records: list[tuple[str, PositionRecord]] = [
        *(("048", record) for record in batch.cat048),
        *(("062", record) for record in batch.cat062),
        *(("021", record) for record in batch.cat021),
        *(("015", record) for record in batch.cat015),
        *(("010", record) for record in batch.cat010),
        *(("020", record) for record in batch.cat020),
        *(("001", record) for record in batch.cat001),
    ]
    for category, record in records:
        if not is_measurement(record):
            errors.append(_not_a_measurement(record))
            continue
        if record.sac is None or record.sic is None:
            errors.append(_missing(f"I{category}/010", record.offset))
            continue
        config = by_code.get((record.sac, record.sic))
        if config is None:
            errors.append(
                UnknownSensorError(
                    f"CAT{category} record from unconfigured SAC/SIC {record.sac}/{record.sic}"
                )
            )
            continue
        refusal = implausible(
            int(category),
            record,
            config.editions[int(category)],
            max_range_m=config.max_range_m,
        )
        if refusal is not None:
            errors.append(refusal)
            continue
        try:
            if isinstance(record, Cat048Plot):
                report = plot_report(record, config, reference_s=reference_s, source=source)
            elif isinstance(record, Cat062Track):
                report = track_report(record, config, reference_s=reference_s, source=source)
            elif isinstance(record, Cat021Report):
                report = adsb_report(record, config, reference_s=reference_s, source=source)
            elif isinstance(record, Cat010Report):
                report = surface_report(record, config, reference_s=reference_s, source=source)
            elif isinstance(record, Cat020Report):
                report = mlat_report(record, config, reference_s=reference_s, source=source)
            elif isinstance(record, Cat001Report):
                report = old_plot_report(record, config, reference_s=reference_s, source=source)
            else:
                report = incs_report(record, config, reference_s=reference_s, source=source)
        except FieldValueError as error:
            if error.offset is None:
                error.offset = record.offset
            errors.append(error)
            continue
        reports.append(report)
    return reports, errors
