"""Which ASTERIX edition a sensor sends, per category.

An ASTERIX data block says its category (CAT) but never its edition, and editions of one
category differ in item layout (CAT021 0.2x and 2.x share almost nothing; CAT062 0.17, a draft
still seen in old recordings, puts I070 where 1.x has I015). Decoding with the wrong edition
either fails or, worse, yields plausible wrong values, so the edition is configuration:
``parse_editions(["48:1.31", "062:1.18"])``.

Editions dronewarn reads (all but CAT062 0.17 through libasterix, ``asterix.generated``):

======  ===========================  ==================================================
CAT     editions                     default and why
======  ===========================  ==================================================
048     1.27 1.28 1.29 1.30 1.31     1.32: the UAP is the same in all six; 1.32 is the
        1.32                         first to type I048/090 as two's complement, which
                                     dronewarn applies to every edition (spec text)
034     1.27 1.28 1.29               1.29: newest; same UAP
062     0.17 (draft) 1.16 ... 1.21   1.20: same UAP in 1.16-1.21; 1.20 renamed I380/MB;
                                     0.17 only when chosen (EUROCONTROL draft of 2005-2008,
                                     different UAP, decoded by ``fast062`` alone)
021     0.23 0.24 0.25 0.26          2.7: newest; 0.2x and 2.x have different UAPs, so a
        2.1 ... 2.7                  0.2x feed must say so
015     1.0 1.1 1.2                  1.2: newest; same UAP
======  ===========================  ==================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dronewarn.domain.errors import FieldValueError, UnsupportedError


@dataclass(frozen=True, slots=True, order=True)
class Edition:
    """An edition number, ``major.minor`` (1.31 is Edition(1, 31))."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def _editions(*text: str) -> tuple[Edition, ...]:
    out = []
    for item in text:
        major, minor = item.split(".")
        out.append(Edition(int(major), int(minor)))
    return tuple(out)


SUPPORTED: Mapping[int, tuple[Edition, ...]] = MappingProxyType(
    {
        48: _editions("1.27", "1.28", "1.29", "1.30", "1.31", "1.32"),
        34: _editions("1.27", "1.28", "1.29"),
        62: _editions("0.17", "1.16", "1.17", "1.18", "1.19", "1.20", "1.21"),
        21: _editions(
            "0.23", "0.24", "0.25", "0.26", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"
        ),
        15: _editions("1.0", "1.1", "1.2"),
        10: _editions("1.1"),
        1: _editions("1.2", "1.3", "1.4"),
        20: _editions("1.9", "1.10", "1.11"),
        2: _editions("1.0", "1.1", "1.2"),
        4: _editions("1.12", "1.13"),
        19: _editions("1.3"),
        23: _editions("1.2", "1.3"),
        25: _editions("1.5", "1.6"),
        63: _editions("1.6", "1.7"),
        65: _editions("1.4", "1.5", "1.6"),
    }
)
"""Every (category, edition) dronewarn decodes."""

DEFAULTS: Mapping[int, Edition] = MappingProxyType(
    {
        48: Edition(1, 32),
        34: Edition(1, 29),
        62: Edition(1, 20),
        21: Edition(2, 7),
        15: Edition(1, 2),
        10: Edition(1, 1),
        1: Edition(1, 4),
        20: Edition(1, 10),
        2: Edition(1, 2),
        4: Edition(1, 13),
        19: Edition(1, 3),
        23: Edition(1, 3),
        25: Edition(1, 6),
        63: Edition(1, 7),
        65: Edition(1, 6),
    }
)
"""The edition assumed for a category nobody configured (see the module docstring)."""

CAT062_DRAFT = Edition(0, 17)
"""CAT062 edition 0.17: not in libasterix, decoded by ``fast062`` only."""

_SPEC = re.compile(r"^\s*(\d{1,3})\s*:\s*(\d{1,2})\.(\d{1,2})\s*$")


class Editions(Mapping[int, Edition]):
    """The edition of each category a sensor sends; categories not given have their default.

    Immutable; iterating gives every category dronewarn reads.
    """

    __slots__ = ("_by_category", "explicit")

    def __init__(
        self, chosen: Mapping[int, Edition] | None = None, *, explicit: Iterable[int] | None = None
    ) -> None:
        merged = dict(DEFAULTS)
        for category, edition in (chosen or {}).items():
            check_supported(category, edition)
            merged[category] = edition
        self._by_category: Mapping[int, Edition] = MappingProxyType(merged)
        self.explicit: frozenset[int] = frozenset(chosen or {} if explicit is None else explicit)
        """The categories whose edition a user chose (the others have their default or a
        detected one, and may be detected again: ``edition_guess.detect_editions``)."""

    def chosen(self) -> dict[int, Edition]:
        """The editions that differ from the defaults or were chosen."""
        return {
            category: edition
            for category, edition in self._by_category.items()
            if category in self.explicit or edition != DEFAULTS.get(category)
        }

    def __getitem__(self, category: int) -> Edition:
        return self._by_category[category]

    def __iter__(self) -> Iterator[int]:
        return iter(self._by_category)

    def __len__(self) -> int:
        return len(self._by_category)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._by_category.items())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{cat:03d}:{ed}" for cat, ed in sorted(self._by_category.items()))
        return f"Editions({inner})"

    def edition(self, category: int) -> Edition:
        """The edition of ``category``; UnsupportedError for a category dronewarn does not read."""
        edition = self._by_category.get(category)
        if edition is None:
            raise UnsupportedError(
                f"ASTERIX category {category:03d} is not read by dronewarn "
                f"(reads {', '.join(f'{c:03d}' for c in sorted(SUPPORTED))})",
                field="CAT",
            )
        return edition


def check_supported(category: int, edition: Edition) -> None:
    """UnsupportedError unless dronewarn decodes ``edition`` of ``category``."""
    editions = SUPPORTED.get(category)
    if editions is None:
        raise UnsupportedError(
            f"ASTERIX category {category:03d} is not read by dronewarn "
            f"(reads {', '.join(f'{c:03d}' for c in sorted(SUPPORTED))})",
            field="category",
        )
    if edition not in editions:
        raise UnsupportedError(
            f"CAT{category:03d} edition {edition} is not supported "
            f"(supported: {' '.join(str(e) for e in editions)})",
            field="edition",
        )


def parse_edition(text: str) -> tuple[int, Edition]:
    """``"48:1.31"`` or ``"062:1.18"`` -> (category, edition), checked against SUPPORTED.

    FieldValueError for text that is not ``CAT:MAJOR.MINOR``; UnsupportedError for a category
    or edition dronewarn does not read.
    """
    match = _SPEC.match(text)
    if match is None:
        raise FieldValueError(
            f"{text!r} is not CAT:EDITION (like 48:1.31 or 062:1.18)",
            data=text.encode("utf-8", "replace"),
            field="editions",
        )
    category = int(match.group(1))
    edition = Edition(int(match.group(2)), int(match.group(3)))
    check_supported(category, edition)
    return category, edition


def parse_editions(specs: str | Iterable[str]) -> Editions:
    """Editions from ``"48:1.31,62:1.18"`` or ``["48:1.31", "062:1.18"]``; defaults elsewhere.

    Naming one category twice with different editions is a FieldValueError.
    """
    items = specs.split(",") if isinstance(specs, str) else list(specs)
    chosen: dict[int, Edition] = {}
    for text in items:
        if isinstance(specs, str) and not text.strip():
            continue
        category, edition = parse_edition(text)
        if chosen.get(category, edition) != edition:
            raise FieldValueError(
                f"CAT{category:03d} given twice ({chosen[category]} and {edition})",
                data=text.encode("utf-8", "replace"),
                field="editions",
            )
        chosen[category] = edition
    return Editions(chosen)


def libasterix_spec(category: int, edition: Edition) -> Any:
    """libasterix's class for (category, edition), e.g. ``asterix.generated.Cat_048_1_31``.

    UnsupportedError for CAT062 0.17 (absent from libasterix) and anything not in SUPPORTED.
    """
    check_supported(category, edition)
    from asterix import generated  # imported on first use: the module is 190,000 lines

    for spec in generated.manifest["CATS"].get(category, []):
        if tuple(spec.cv_edition) == (edition.major, edition.minor):
            return spec
    raise UnsupportedError(
        f"CAT{category:03d} edition {edition} is not in libasterix", field="edition"
    )
