"""A node's ASTERIX input: data blocks of one or several radars (told apart by SAC/SIC) to
Reports, with the editions configured or detected from the feed and each source's status."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import replace

from dronewarn.domain.errors import (
    ConfigError,
    FieldValueError,
    ImplausibleValueError,
    InputError,
    UnknownSensorError,
)
from dronewarn.domain.limits import RANGE_MARGIN
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.asterix.cat034 import Cat034Message
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.decoder import AsterixBatch, DecodePlan, decode_datablocks
from dronewarn.formats.asterix.edition_guess import detect_editions, edition_hints
from dronewarn.formats.asterix.editions import parse_editions
from dronewarn.formats.asterix.plausibility import implausible
from dronewarn.formats.asterix.records import PositionRecord
from dronewarn.formats.asterix.reports import (
    AsterixSensorConfig,
    NotAMeasurementError,
    is_measurement,
    plot_report,
    reports_from_batch,
)
from dronewarn.formats.asterix.status import AsterixStatus
from dronewarn.formats.asterix.walk_kernel import Walker
from dronewarn.sense.decoded import Decoded

HINT_SAMPLE = 50
"""Failing ASTERIX payloads kept to tell which edition would read them."""
DETECT_AFTER = 5
"""Failing payloads of a feed before its editions are first detected (then after 10, 20...)."""


class AsterixInput:
    """An ASTERIX feed: CAT048 plots (with CAT034), CAT062, CAT021 or CAT015 records, of one
    sensor or of several sharing one listener (a multicast group carrying several radars),
    told apart by their SAC/SIC (I010). A sensor configured without SAC/SIC takes every
    record no other sensor claims.

    A radar without a configured site (an airborne one) is placed by the position its CAT034
    service messages carry (I034/120): each plot takes the last position sent before it.
    """

    def __init__(self, sensors: SensorConfig | Sequence[SensorConfig]) -> None:
        group = [sensors] if isinstance(sensors, SensorConfig) else list(sensors)
        if not group:
            raise ConfigError("an ASTERIX input needs at least one sensor")
        editions = {s.asterix_editions for s in group}
        if len(editions) > 1:
            raise ConfigError(
                f"sensors {[s.sensor_id for s in group]} share a listener but not their "
                "ASTERIX editions: one feed is decoded with one set of editions"
            )
        chosen = parse_editions(group[0].asterix_editions)
        self.sensor_id = group[0].sensor_id
        # compiled from the start: a feed runs for months, and the kernel's one-off load (about
        # 0.6 s) belongs to the node's start, not to a datagram's decoding
        self._plan = DecodePlan.for_editions(chosen, walker=Walker(0))
        self._configs: dict[tuple[int, int], AsterixSensorConfig] = {}
        self._wildcard: AsterixSensorConfig | None = None
        for sensor in group:
            sac, sic = sensor.asterix_source or (0, 0)
            base = AsterixSensorConfig(
                sensor.sensor_id, sac, sic, site=sensor.site, editions=chosen
            )
            config = replace(
                base,
                sigma_range_m=sensor.sigma_range_m or base.sigma_range_m,
                sigma_azimuth_deg=sensor.sigma_bearing_deg or base.sigma_azimuth_deg,
                max_range_m=None
                if sensor.max_range_m is None
                else sensor.max_range_m * RANGE_MARGIN,
            )
            if sensor.asterix_source is None:
                if self._wildcard is not None:
                    raise ConfigError(
                        f"sensors {self._wildcard.sensor_id} and {sensor.sensor_id} share a "
                        "listener and neither names its SAC/SIC: give each sac and sic"
                    )
                self._wildcard = config
            else:
                self._configs[(sac, sic)] = config
        self._moving_sites: dict[tuple[int, int], GeoPoint] = {}
        self._editions = chosen
        self.failing: deque[tuple[bytes, float]] = deque(maxlen=HINT_SAMPLE)
        """Recent payloads with records that did not decode, for ``edition_hint``."""
        self._recent: deque[tuple[bytes, float]] = deque(maxlen=HINT_SAMPLE)
        """Recent payloads, failing or not: what edition detection weighs."""
        self.decoded_records = 0
        self.failed_payloads = 0
        self._status: dict[tuple[int, int | None, int | None], AsterixStatus] = {}
        self.detected: tuple[str, ...] = ()
        """What edition detection chose for the categories nobody configured (node health)."""
        self._detect_at = DETECT_AFTER

    def edition_hint(self) -> str:
        """When records keep failing: which edition would read them ("" when none would
        do better, or nothing fails); and what was detected."""
        said = list(self.detected)
        if self.failed_payloads >= HINT_SAMPLE // 5 and self.failing:
            hints = edition_hints(list(self.failing), self._editions)
            said += [h.describe(option=False) for h in hints if h.better]
        return "; ".join(said)

    def source_status(self) -> list[dict[str, object]]:
        """The latest status or service message of each source on this feed (CAT002, 019,
        023, 025, 063, 065; CAT004 safety-net messages): what the sources say about
        themselves, for the channel's health."""
        return [
            {
                "category": category,
                "sac": sac,
                "sic": sic,
                "time_of_day_s": status.time_of_day_s,
                "message_type": status.message_type,
            }
            for (category, sac, sic), status in sorted(
                self._status.items(), key=lambda item: str(item[0])
            )
        ]

    def _detect(self) -> None:
        """Records of a category whose edition nobody configured keep failing: decode the
        failing payloads with each edition and switch to the one that reads them (module
        ``formats.asterix.edition_guess``); a configured edition is never overridden."""
        self._detect_at = self.failed_payloads * 2  # look again later, less and less often
        detection = detect_editions(list(self._recent), self._editions)
        if detection.switched:
            self._editions = detection.editions
            self._plan = DecodePlan.for_editions(detection.editions, walker=self._plan.walker)
            self._configs = {
                code: replace(config, editions=detection.editions)
                for code, config in self._configs.items()
            }
            if self._wildcard is not None:
                self._wildcard = replace(self._wildcard, editions=detection.editions)
            self.detected = (*self.detected, *detection.describe())
            self.failing.clear()

    def _count_failure(
        self, payload: bytes, received_s: float, batch: AsterixBatch, refused: list[InputError]
    ) -> None:
        """A payload whose records failed to decode or were implausible is kept as evidence
        for edition detection and hints."""
        self._recent.append((payload, received_s))
        if not (batch.errors or any(isinstance(e, ImplausibleValueError) for e in refused)):
            return
        self.failed_payloads += 1
        self.failing.append((payload, received_s))
        undetermined = any(c not in self._editions.explicit for c in self._editions)
        if undetermined and self.failed_payloads >= self._detect_at:
            self._detect()

    def _configs_for(self, batch: AsterixBatch) -> dict[tuple[int, int], AsterixSensorConfig]:
        """The configured sources, plus the wildcard sensor as each unclaimed SAC/SIC."""
        if self._wildcard is None:
            return self._configs
        found = dict(self._configs)
        records: list[PositionRecord | Cat034Message] = [
            *batch.cat048,
            *batch.cat034,
            *batch.cat062,
            *batch.cat021,
            *batch.cat015,
            *batch.cat010,
            *batch.cat020,
            *batch.cat001,
        ]
        for record in records:
            code = (record.sac, record.sic)
            if code[0] is not None and code[1] is not None and code not in found:
                found[(code[0], code[1])] = replace(self._wildcard, sac=code[0], sic=code[1])
        return found

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        batch = decode_datablocks(payload, self._plan, reference_s=received_s)
        errors: list[InputError] = list(batch.errors)
        self.decoded_records += batch.records
        for status in batch.status:
            self._status[(status.category, status.sac, status.sic)] = status
        configs = self._configs_for(batch)
        placed = all(c.site is not None for c in configs.values())
        if placed or (not batch.cat048 and not batch.cat034):
            reports, refused = reports_from_batch(batch, configs.values())
            self._count_failure(payload, received_s, batch, refused)
            return Decoded(tuple(reports), (*errors, *refused))
        # a moving radar: plots and service messages in payload order
        ordered: list[Cat048Plot | Cat034Message] = sorted(
            (*batch.cat048, *batch.cat034), key=lambda record: record.offset
        )
        reports = []
        for record in ordered:
            if record.sac is None or record.sic is None:
                errors.append(
                    FieldValueError(
                        "record without its data source", offset=record.offset, field="I010"
                    )
                )
                continue
            code = (record.sac, record.sic)
            config = configs.get(code)
            if config is None:
                known = ", ".join(f"{a}/{b}" for a, b in sorted(configs))
                errors.append(
                    UnknownSensorError(
                        f"record from SAC/SIC {record.sac}/{record.sic} on {self.sensor_id}'s "
                        f"input ({known})"
                    )
                )
            elif isinstance(record, Cat034Message):
                if record.source_lat_deg is not None and record.source_lon_deg is not None:
                    self._moving_sites[code] = GeoPoint(
                        record.source_lat_deg, record.source_lon_deg, record.source_height_m
                    )
            elif (site := config.site or self._moving_sites.get(code)) is None:
                errors.append(
                    FieldValueError(
                        f"{config.sensor_id}: a plot before any CAT034 position of the radar",
                        offset=record.offset,
                        field="I034/120",
                    )
                )
            elif not is_measurement(record):
                errors.append(
                    NotAMeasurementError(
                        "CAT048 record measures no target (no detection, simulated or test)",
                        offset=record.offset,
                        field="I048/020",
                    )
                )
            elif (
                refusal := implausible(
                    48, record, config.editions[48], max_range_m=config.max_range_m
                )
            ) is not None:
                errors.append(refusal)
            else:
                try:
                    located = replace(config, site=site)
                    reports.append(plot_report(record, located, reference_s=received_s))
                except FieldValueError as error:
                    errors.append(error)
        others = replace(batch, cat048=(), cat034=())
        more, refused = reports_from_batch(others, configs.values())
        self._count_failure(payload, received_s, batch, [*errors, *refused])
        return Decoded((*reports, *more), (*errors, *refused))
