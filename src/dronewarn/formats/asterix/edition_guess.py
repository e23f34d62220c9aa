"""Which edition a recording or a feed really is, when the configured one does not fit.

A data block never says its edition (``editions``). When records fail under the configured
edition, ``edition_hint`` decodes a sample of payloads with every edition dronewarn reads of
each category present and counts the records that give a plausible measurement (a Report:
mandatory items present, position and time in range); the edition that gives the most,
clearly more than the configured one, is the hint::

    0 of 100 CAT062 records decode as edition 1.20; 100 decode as 0.17: try --edition 62:0.17

``detect_editions`` goes one step further for the categories whose edition nobody chose: it
takes the best edition when it gives clearly more plausible Reports than the default, and says
so (``dronewarn decode`` prints the choice; ``--edition`` and a sensor's ``editions`` override).
``dronewarn decode`` prints the hints that remain when nothing decodes, and a node's
``/readyz`` shows them for a channel whose records fail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.report import GeoPoint
from dronewarn.formats.asterix.datablock import split_datablocks
from dronewarn.formats.asterix.decoder import AsterixBatch, DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import SUPPORTED, Edition, Editions
from dronewarn.formats.asterix.reports import AsterixSensorConfig, reports_from_batch
from dronewarn.formats.asterix.status import STATUS_ITEMS

MIN_EVIDENCE = 3
"""Plausible Reports an edition must give on the sample before it replaces another."""
PLACEHOLDER_SITE = GeoPoint(0.0, 0.0, 0.0)
"""CAT048 and CAT001 plots need a radar site to become Reports; any site shows whether they
decode."""


@dataclass(frozen=True)
class EditionHint:
    category: int
    records: int
    """Records of the category in the sample."""
    configured: Edition
    configured_ok: int
    best: Edition
    best_ok: int

    @property
    def better(self) -> bool:
        return self.best != self.configured and self.best_ok > self.configured_ok

    def describe(self, option: bool = True) -> str:
        cat = f"CAT{self.category:03d}"
        text = (
            f"{self.configured_ok} of {self.records} {cat} records decode as edition "
            f"{self.configured}"
        )
        if not self.better:
            return text
        text += f"; {self.best_ok} decode as {self.best}"
        how = (
            f"--edition {self.category}:{self.best}"
            if option
            else (f'editions = {{"{self.category}" = "{self.best}"}}')
        )
        return f"{text}: try {how}"


_FIELDS = MappingProxyType(
    {48: "cat048", 62: "cat062", 21: "cat021", 15: "cat015", 34: "cat034", 10: "cat010",
     20: "cat020", 1: "cat001"} | {category: "status" for category in STATUS_ITEMS}
)  # fmt: skip
_COUNTED = frozenset({34, *STATUS_ITEMS})
"""Categories whose records give no Report: a record that decodes counts as good."""


def _score(
    payloads: Sequence[tuple[bytes, float]], category: int, editions: Editions
) -> tuple[int, int]:
    """(records of ``category`` decoded, of which give a Report) under ``editions``."""
    try:
        plan = DecodePlan.for_editions(editions)
    except DronewarnError:
        return 0, 0
    name = _FIELDS[category]
    decoded = good = 0
    for payload, reference_s in payloads:
        try:
            batch = decode_datablocks(payload, plan, reference_s=reference_s)
        except DronewarnError:
            continue
        records = getattr(batch, name)
        if name == "status":
            records = tuple(r for r in records if r.category == category)
        decoded += len(records)
        if category in _COUNTED:
            good += len(records)
            continue
        only = _only(batch, category)
        sensors = [
            AsterixSensorConfig(f"{s}/{c}", s, c, site=PLACEHOLDER_SITE, editions=plan.editions)
            for s, c in {(r.sac, r.sic) for r in records if r.sac is not None and r.sic is not None}
        ]
        reports, _ = reports_from_batch(only, sensors)
        good += len(reports)
    return decoded, good


def _only(batch: AsterixBatch, category: int) -> AsterixBatch:
    """The batch with the records of one category only."""
    return replace(
        batch,
        cat048=batch.cat048 if category == 48 else (),
        cat034=batch.cat034 if category == 34 else (),
        cat062=batch.cat062 if category == 62 else (),
        cat021=batch.cat021 if category == 21 else (),
        cat015=batch.cat015 if category == 15 else (),
        cat010=batch.cat010 if category == 10 else (),
        cat001=batch.cat001 if category == 1 else (),
        cat020=batch.cat020 if category == 20 else (),
        status=tuple(r for r in batch.status if r.category == category),
    )


def _records(payloads: Iterable[tuple[bytes, float]]) -> Counter[int]:
    """Data blocks per category (a block's record count is unknown when its edition is)."""
    found: Counter[int] = Counter()
    for payload, _ in payloads:
        blocks, _ = split_datablocks(payload)
        for block in blocks:
            found[block.category] += 1
    return found


def edition_hints(
    payloads: Sequence[tuple[bytes, float]], configured: Editions
) -> list[EditionHint]:
    """For each category of the sample that dronewarn reads: how many of its records give a
    Report with the configured edition and with the best edition (module doc)."""
    hints = []
    for category in sorted(_records(payloads)):
        if category not in SUPPORTED:
            continue
        current = configured[category]
        scores = {
            edition: _score(payloads, category, Editions({category: edition}))
            for edition in SUPPORTED[category]
        }
        best = max(scores, key=lambda e: (scores[e][1], e == current))
        records = scores[best][0]
        hints.append(
            EditionHint(category, records, current, scores[current][1], best, scores[best][1])
        )
    return hints


@dataclass(frozen=True)
class Detection:
    """The editions to decode with, and for each category switched from its default, why."""

    editions: Editions
    switched: tuple[EditionHint, ...]

    def describe(self) -> list[str]:
        return [
            f"CAT{h.category:03d} read as edition {h.best}, detected: {h.best_ok} of "
            f"{h.records} records give plausible reports ({h.configured_ok} as the default "
            f"{h.configured}); --edition {h.category}:X.Y chooses another"
            for h in self.switched
        ]


def detect_editions(payloads: Sequence[tuple[bytes, float]], configured: Editions) -> Detection:
    """``configured`` with every category it does not fix set to the edition that gives the
    most plausible Reports on ``payloads``, when that is more than its default gives."""
    if not payloads:
        return Detection(configured, ())
    switched = tuple(
        hint
        for hint in edition_hints(payloads, configured)
        if hint.category not in configured.explicit and clearly_better(hint)
    )
    if not switched:
        return Detection(configured, ())
    chosen = configured.chosen() | {hint.category: hint.best for hint in switched}
    return Detection(Editions(chosen, explicit=configured.explicit), switched)


def clearly_better(hint: EditionHint) -> bool:
    """Switch only on clear evidence: the other edition gives at least ``MIN_EVIDENCE``
    plausible Reports and more than twice what the current one gives (a few corrupt records
    never move a working edition)."""
    return hint.better and hint.best_ok >= max(MIN_EVIDENCE, 2 * hint.configured_ok + 1)
