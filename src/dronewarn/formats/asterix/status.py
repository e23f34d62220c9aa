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
CAT025    CNS/ATM ground system status                I070            I000/RTYP
CAT063    sensor status (from an SDPS)                I030            none
CAT065    SDPS service status                         I030            I000
========  ==========================================  ==============  ==========
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from dronewarn.formats.asterix.items import lib_item, lib_quantity, lib_source, lib_sub, lib_uint

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


TYPE_SUBITEM: Final = MappingProxyType({25: "RTYP"})
"""Categories whose type item is a group: the subitem that is the message type (CAT025 I000 is
RTYP, 7 bits, then RG, the report generation bit)."""


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
        message_type=_message_type(category, record, type_item),
    )


def _message_type(category: int, record: Any, type_item: str | None) -> int | None:
    item = None if type_item is None else lib_item(record, type_item)
    if item is None:
        return None
    subitem = TYPE_SUBITEM.get(category)
    return lib_uint(item if subitem is None else lib_sub(item, subitem))
