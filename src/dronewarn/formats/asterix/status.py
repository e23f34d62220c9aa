"""Status and service messages: the categories that say how sensors and systems are, not
where targets are. Decoded through libasterix into one record shape, counted and shown, and
kept by a node as its sources' status.

========  ==========================================  ==============  ==========
category  what                                        time item       message type
========  ==========================================  ==============  ==========
CAT002    monoradar service messages (old radars)     I030            I000
CAT004    safety net messages (STCA, APW, MSAW...)    I020            I000
CAT019    multilateration system status               I140            I000
CAT023    CNS/ATM ground station status               I070            I000
CAT025    CNS/ATM ground system status                I070            I000 RTYP
CAT063    sensor status (from an SDPS)                I030            none
CAT065    SDPS service status                         I030            I000
========  ==========================================  ==============  ==========
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from dronewarn.formats.asterix.items import lib_item, lib_quantity, lib_source, lib_uint

STATUS_ITEMS: Final = MappingProxyType(
    {2: ("030", "000"), 4: ("020", "000"), 19: ("140", "000"), 23: ("070", "000"),
     25: ("070", "000"), 63: ("030", None), 65: ("030", "000")}
)  # fmt: skip
"""Category -> (time of day item, message type item)."""


@dataclass(frozen=True, slots=True)
class AsterixStatus:
    """One status or service message; None where absent."""

    category: int
    offset: int
    sac: int | None
    sic: int | None
    time_of_day_s: float | None
    message_type: int | None


def _uint(item: Any) -> int | None:
    """An element item's value, or its first subitem's (CAT025 I000 is RTYP and RG)."""
    if item is None:
        return None
    try:
        return lib_uint(item)
    except AttributeError:
        first = next(iter(item.variation.get_items()), None) if hasattr(item, "variation") else None
        return None if first is None else lib_uint(first)


def status_from_libasterix(category: int, record: Any, offset: int) -> AsterixStatus:
    """The status fields of a libasterix record of a status category."""
    time_item, type_item = STATUS_ITEMS[category]
    sac, sic = lib_source(record)
    when = lib_item(record, time_item)
    return AsterixStatus(
        category=category,
        offset=offset,
        sac=sac,
        sic=sic,
        time_of_day_s=None if when is None else lib_quantity(when),
        message_type=None if type_item is None else _uint(lib_item(record, type_item)),
    )
