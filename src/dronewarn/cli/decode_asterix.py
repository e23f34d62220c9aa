"""The ASTERIX side of ``dronewarn decode``: a recording's payloads through the decoder, one
sensor per SAC/SIC met, and the edition detection and hints (imported for ASTERIX files only:
the other formats never load the ASTERIX decoder)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

from dronewarn.cli.decode_files import Item, Line
from dronewarn.domain.errors import DecodeError
from dronewarn.domain.report import GeoPoint
from dronewarn.formats.asterix.decoder import AsterixBatch, DecodePlan, decode_datablocks
from dronewarn.formats.asterix.edition_guess import (
    Detection,
    EditionHint,
    detect_editions,
    edition_hints,
)
from dronewarn.formats.asterix.editions import Editions
from dronewarn.formats.asterix.records import PositionRecord
from dronewarn.formats.asterix.reports import AsterixSensorConfig, reports_from_batch
from dronewarn.formats.capture import read_capture


class _AsterixReader:
    """ASTERIX payloads -> Reports, one sensor per SAC/SIC met (all at ``site`` if given)."""

    def __init__(self, editions: Editions, site: GeoPoint | None) -> None:
        self._plan = DecodePlan.for_editions(editions)
        self._editions = editions
        self._site = site
        self._sensors: dict[tuple[int, int], AsterixSensorConfig] = {}

    def read(self, payload: bytes, reference_s: float, source: str) -> Iterator[Item]:
        batch = decode_datablocks(payload, self._plan, reference_s=reference_s)
        yield from batch.errors
        yield from self._service(batch)
        records: list[PositionRecord] = [
            *batch.cat048,
            *batch.cat062,
            *batch.cat021,
            *batch.cat015,
            *batch.cat010,
            *batch.cat020,
            *batch.cat001,
        ]
        for record in records:
            if record.sac is not None and record.sic is not None:
                self._sensor(record.sac, record.sic)
        if self._site is None and (batch.cat048 or batch.cat001):  # plots need the radar site
            for plot in batch.cat048:
                yield {"record": "cat048", "source": source, **asdict(plot)}
            for old in batch.cat001:
                yield {"record": "cat001", "source": source, **asdict(old)}
            batch = replace(batch, cat048=(), cat001=())
        reports, errors = reports_from_batch(batch, self._sensors.values(), source=source)
        yield from reports
        yield from errors

    def _service(self, batch: AsterixBatch) -> Iterator[Line]:
        for message in batch.cat034:
            yield {"record": "cat034", **asdict(message)}
        for status in batch.status:
            yield {"record": f"cat{status.category:03d}", **asdict(status)}

    def _sensor(self, sac: int, sic: int) -> None:
        if (sac, sic) not in self._sensors:
            self._sensors[sac, sic] = AsterixSensorConfig(
                f"asterix:{sac}/{sic}", sac, sic, site=self._site, editions=self._editions
            )


def asterix_items(
    path: Path, editions: Editions, site: GeoPoint | None, reference_s: float
) -> Iterator[Item]:
    reader = _AsterixReader(editions, site)
    errors: list[DecodeError] = []
    captured_payloads = read_capture(path, errors=errors)
    while True:
        try:
            captured = next(captured_payloads)
        except StopIteration:
            break
        except DecodeError as error:  # the capture ends badly: what came before stands
            errors.append(error)
            break
        yield from errors
        errors.clear()
        when = captured.timestamp_s if captured.timestamp_s is not None else reference_s
        yield from reader.read(captured.payload, when, captured.source)
    yield from errors


def _sample(path: Path, sample: int) -> list[tuple[bytes, float]]:
    """The first ``sample`` payloads of an ASTERIX recording with their capture times."""
    payloads: list[tuple[bytes, float]] = []
    errors: list[DecodeError] = []
    try:
        for captured in read_capture(path, errors=errors):
            payloads.append((captured.payload, captured.timestamp_s or time.time()))
            if len(payloads) >= sample:
                break
    except DecodeError:
        pass
    return payloads


def asterix_hints(path: Path, editions: Editions, sample: int = 200) -> list[EditionHint]:
    """Edition hints from the first ``sample`` payloads of an ASTERIX recording."""
    return edition_hints(_sample(path, sample), editions)


def detect_asterix_editions(path: Path, editions: Editions, sample: int = 200) -> Detection:
    """The editions of the categories ``editions`` does not fix, detected on the first
    ``sample`` payloads (``edition_guess.detect_editions``)."""
    if all(category in editions.explicit for category in editions):
        return Detection(editions, ())
    return detect_editions(_sample(path, sample), editions)
