"""Hand-written CAT034 decoder: the same ``Cat034Message``s as libasterix, for the radars that
send many (a moving radar sends its position, I034/120, with its sector crossings).

Specification: see ``cat034`` (EUROCONTROL-SPEC-0149-2b, editions 1.27-1.29, one UAP).
Records are walked by ``walk_kernel`` with the length rules of libasterix's specification
(every item, the compound I050/I060 and repetitive I070 included, is skipped by its rule), as
``fast048`` does; the values of I010, I000, I030, I020, I041 and I120 are then read at fixed
bit positions. ``Fast034.for_edition`` checks every position and LSB against libasterix's
specification of the edition and refuses an edition where one differs (the caller then uses
libasterix). Checked field for field against libasterix in
``tests/formats/test_asterix_fast034.py``. Measured on NIGHT-0910, whose airborne radar sends a
sector crossing with each of its 60,000 plots: decoding that radar's input took 11.6 s with
libasterix for CAT034, 3.1 s with this.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dronewarn.domain.errors import DecodeError
from dronewarn.formats.asterix.cat034 import Cat034Message
from dronewarn.formats.asterix.datablock import RecordLayout, layout_mismatch, record_error
from dronewarn.formats.asterix.items import slot_setters
from dronewarn.formats.asterix.walk_kernel import DONE, FAILED, Walker, WalkTables

TIME_LSB_S = 1.0 / 128.0
SECTOR_LSB_DEG = 360.0 / 256.0
POSITION_LSB_DEG = 180.0 / (1 << 23)

_FIXED_ITEMS = MappingProxyType({"010": 2, "000": 1, "030": 3, "020": 1, "041": 2, "120": 8})

# (item, subitem...) -> (bit offset, bit size, LSB, two's complement)
_Element = tuple[int, int, float | None, bool]
_ELEMENTS: MappingProxyType[tuple[str, ...], _Element] = MappingProxyType(
    {
        ("010", "SAC"): (0, 8, None, False),
        ("010", "SIC"): (8, 8, None, False),
        ("000",): (0, 8, None, False),
        ("030",): (0, 24, TIME_LSB_S, False),
        ("020",): (0, 8, SECTOR_LSB_DEG, False),
        ("041",): (0, 16, TIME_LSB_S, False),
        ("120", "HGT"): (0, 16, 1.0, True),
        ("120", "LAT"): (16, 24, POSITION_LSB_DEG, True),
        ("120", "LON"): (40, 24, POSITION_LSB_DEG, True),
    }
)


def check_edition(spec: Any, layout: RecordLayout) -> str | None:
    """Why this decoder cannot read the edition ``spec`` describes, or None if it can."""
    return layout_mismatch(34, spec, layout, fixed=_FIXED_ITEMS, elements=_ELEMENTS)


_COLUMNS = ("010", "000", "030", "020", "041", "120")


def _signed(raw: int, bits: int) -> int:
    return raw - (1 << bits) if raw & (1 << (bits - 1)) else raw


@dataclass(frozen=True, slots=True)
class Fast034:
    """The CAT034 decoder for one edition (build with ``for_edition``)."""

    layout: RecordLayout
    tables: WalkTables
    walker: Walker

    @classmethod
    def for_edition(
        cls, spec: Any, layout: RecordLayout, walker: Walker | None = None
    ) -> Fast034 | None:
        """The decoder for the edition of libasterix's ``spec``; None if it is not validated."""
        if check_edition(spec, layout) is not None:
            return None
        return cls.checked(layout, walker or Walker())

    @classmethod
    def checked(cls, layout: RecordLayout, walker: Walker) -> Fast034 | None:
        """The decoder for a layout ``check_edition`` accepted (None if it cannot be walked)."""
        tables = WalkTables.for_columns(layout, _COLUMNS)
        return None if tables is None else cls(layout, tables, walker)

    def decode_block(
        self, data: bytes, start: int, end: int
    ) -> tuple[list[Cat034Message], DecodeError | None]:
        """The messages of the records in ``data[start:end]``, and the error that ended the
        block (as ``Fast048.decode_block``)."""
        tables = self.tables
        walk = self.walker.rows
        new = object.__new__
        out: list[Cat034Message] = []
        pos = start
        while True:
            rows, status, pos = walk(data, pos, end, tables)
            for offset, p010, p000, p030, p020, p041, p120 in rows:
                values: list[object] = [offset]
                values += [data[p010], data[p010 + 1]] if p010 >= 0 else [None, None]
                values.append(data[p000] if p000 >= 0 else None)
                values.append(
                    int.from_bytes(data[p030 : p030 + 3], "big") * TIME_LSB_S if p030 >= 0 else None
                )
                values.append(data[p020] * SECTOR_LSB_DEG if p020 >= 0 else None)
                values.append(
                    int.from_bytes(data[p041 : p041 + 2], "big") * TIME_LSB_S if p041 >= 0 else None
                )
                if p120 >= 0:
                    height = _signed(int.from_bytes(data[p120 : p120 + 2], "big"), 16)
                    lat = _signed(int.from_bytes(data[p120 + 2 : p120 + 5], "big"), 24)
                    lon = _signed(int.from_bytes(data[p120 + 5 : p120 + 8], "big"), 24)
                    values += [float(height), lat * POSITION_LSB_DEG, lon * POSITION_LSB_DEG]
                else:
                    values += [None, None, None]
                message = new(Cat034Message)
                for setter, value in zip(_SETTERS, values, strict=True):
                    setter(message, value)
                out.append(message)
            if status == DONE:
                return out, None
            if status == FAILED:
                return out, record_error(data, pos, end, self.layout)


_SETTERS = slot_setters(
    Cat034Message,
    (
        "offset", "sac", "sic", "message_type", "time_of_day_s", "sector_azimuth_deg",
        "antenna_rotation_period_s", "source_height_m", "source_lat_deg", "source_lon_deg",
    ),
)  # fmt: skip
