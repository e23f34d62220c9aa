"""The single entry point every Report passes through on its way into a node.

Decoders (and, until they land, the simulator) hand Reports to ``Sense.ingest``. Each report
is checked for what cannot be physically true and for time going backwards; a bad one gets a
typed ``InputError``, is counted by kind and handed to the ``reject`` sink (the node's store
keeps it), and never stops the rest of the batch.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from dronewarn.domain.errors import (
    ImplausibleReportError,
    InputError,
    TimeOrderError,
    UnknownSensorError,
)
from dronewarn.domain.limits import MAX_ALT_M, MAX_RANGE_M, MIN_ALT_M, RANGE_MARGIN
from dronewarn.domain.report import (
    BearingMeasurement,
    GeoPoint,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.domain.sensor import SensorConfig
from dronewarn.domain.time import MAX_FUTURE_S

RejectSink = Callable[[Report, InputError], None]
UndecodableSink = Callable[[str, float, Sequence[InputError]], None]
"""undecodable(sensor_id, received_s, errors): input that never became a Report."""


def _finite(value: float | None, field: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ImplausibleReportError(f"{value} is not a finite number", field=field)


def _check_point(point: GeoPoint, field: str) -> None:
    _finite(point.lat_deg, f"{field}.lat_deg")
    _finite(point.lon_deg, f"{field}.lon_deg")
    _finite(point.alt_m, f"{field}.alt_m")
    if not -90.0 <= point.lat_deg <= 90.0:
        raise ImplausibleReportError(f"{point.lat_deg} outside [-90, 90]", field=f"{field}.lat_deg")
    if not -180.0 <= point.lon_deg <= 180.0:
        raise ImplausibleReportError(
            f"{point.lon_deg} outside [-180, 180]", field=f"{field}.lon_deg"
        )
    if point.alt_m is not None and not MIN_ALT_M <= point.alt_m <= MAX_ALT_M:
        raise ImplausibleReportError(f"{point.alt_m} m is no altitude", field=f"{field}.alt_m")


def _check_positive(value: float, field: str) -> None:
    _finite(value, field)
    if value <= 0.0:
        raise ImplausibleReportError(f"{value} must be positive", field=field)


def _check_optional_positive(value: float | None, field: str) -> None:
    if value is not None:
        _check_positive(value, field)


def _check_bearing(value: float | None, field: str) -> None:
    _finite(value, field)
    if value is not None and not 0.0 <= value < 360.0:
        raise ImplausibleReportError(f"{value} outside [0, 360)", field=field)


def check_report(report: Report) -> None:
    """Raise ImplausibleReportError if any value of the report cannot be true."""
    _finite(report.time_s, "time_s")
    m = report.measurement
    if isinstance(m, PositionMeasurement):
        _check_point(m.point, "point")
        _check_positive(m.sigma_h_m, "sigma_h_m")
        _check_optional_positive(m.sigma_v_m, "sigma_v_m")
    elif isinstance(m, PolarMeasurement):
        _check_point(m.site, "site")
        _finite(m.range_m, "range_m")
        if not 0.0 <= m.range_m <= MAX_RANGE_M:
            raise ImplausibleReportError(f"{m.range_m} m outside [0, 1000 km]", field="range_m")
        _check_bearing(m.bearing_deg, "bearing_deg")
        _check_positive(m.sigma_range_m, "sigma_range_m")
        _check_positive(m.sigma_bearing_deg, "sigma_bearing_deg")
        _finite(m.elevation_deg, "elevation_deg")
        if m.elevation_deg is not None and not -90.0 <= m.elevation_deg <= 90.0:
            raise ImplausibleReportError(
                f"{m.elevation_deg} outside [-90, 90]", field="elevation_deg"
            )
        _check_optional_positive(m.sigma_elevation_deg, "sigma_elevation_deg")
    elif isinstance(m, BearingMeasurement):
        _check_point(m.site, "site")
        _check_positive(m.radius_m, "radius_m")
        _check_bearing(m.bearing_deg, "bearing_deg")
        _check_optional_positive(m.sigma_bearing_deg, "sigma_bearing_deg")
    elif isinstance(m, SightingMeasurement):
        _check_point(m.reporter, "reporter")
        _check_point(m.estimate, "estimate")
        _check_bearing(m.bearing_deg, "bearing_deg")
        _check_positive(m.sigma_m, "sigma_m")


class Sense:
    """Validates reports from the node's configured sensors and counts what it refuses."""

    def __init__(
        self,
        sensors: Mapping[str, SensorConfig],
        reject: RejectSink,
        undecodable: UndecodableSink | None = None,
    ) -> None:
        self._sensors = dict(sensors)
        self._reject = reject
        self._undecodable = undecodable
        self._latest_s: dict[str, float] = {}
        self.accepted = 0
        self.rejected: Counter[str] = Counter()
        self.accepted_by_sensor: Counter[str] = Counter()
        self.rejected_by_sensor: Counter[tuple[str, str]] = Counter()
        """(sensor or channel id, error kind) -> count."""

    def ingest(self, reports: Iterable[Report], now_s: float) -> list[Report]:
        """The reports that passed, in the order given; the others went to ``reject``."""
        good: list[Report] = []
        for report in reports:
            try:
                self._check(report, now_s)
            except InputError as error:
                self.rejected[error.kind] += 1
                self.rejected_by_sensor[(report.sensor_id, error.kind)] += 1
                self._reject(report, error)
                continue
            good.append(report)
            self.accepted_by_sensor[report.sensor_id] += 1
        self.accepted += len(good)
        return good

    def refuse(self, sensor_id: str, received_s: float, errors: Iterable[InputError]) -> None:
        """Count (by kind) and keep input from ``sensor_id`` that did not decode."""
        kept = []
        for error in errors:
            self.rejected[error.kind] += 1
            self.rejected_by_sensor[(sensor_id, error.kind)] += 1
            if error.recorded:
                kept.append(error)
        if kept and self._undecodable is not None:
            self._undecodable(sensor_id, received_s, kept)

    def _check(self, report: Report, now_s: float) -> None:
        config = self._sensors.get(report.sensor_id)
        if config is None:
            raise UnknownSensorError(f"report from unconfigured sensor {report.sensor_id!r}")
        check_report(report)
        m = report.measurement
        if (
            isinstance(m, PolarMeasurement)
            and config.max_range_m is not None
            and m.range_m > RANGE_MARGIN * config.max_range_m
        ):
            raise ImplausibleReportError(
                f"{m.range_m / 1000:.1f} km is beyond the sensor's "
                f"{config.max_range_m / 1000:.0f} km",
                field="range_m",
            )
        if report.time_s > now_s + MAX_FUTURE_S:
            raise TimeOrderError(
                f"{report.sensor_id}: report time is {report.time_s - now_s:.1f} s in the future"
            )
        latest = self._latest_s.get(report.sensor_id)
        if latest is not None and report.time_s < latest - config.max_reorder_s:
            raise TimeOrderError(
                f"{report.sensor_id}: time went back {latest - report.time_s:.1f} s "
                f"(tolerance {config.max_reorder_s:.1f} s)"
            )
        if latest is None or report.time_s > latest:
            self._latest_s[report.sensor_id] = report.time_s
