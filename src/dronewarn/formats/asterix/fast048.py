"""Hand-written CAT048 decoder: the same ``Cat048Plot``s as libasterix, about 30 times faster
(bench/decode.py).

Specification: see ``cat048`` (EUROCONTROL-SPEC-0149-4, editions 1.27-1.32, standard UAP).
Records are walked with the length rules libasterix's specification gives for the edition
(every item, including compound, repetitive, extended, Reserved Expansion and Special Purpose
fields, is skipped by its rule) by ``walk_kernel``, which reports where each record and each
item dronewarn uses starts; the values are then read here at fixed bit positions, with
``struct``. ``Fast048.for_edition`` checks those positions (and each quantity's LSB) against
libasterix's specification of the edition and refuses an edition where any differs, so the
caller falls back to libasterix rather than read a wrong value. A record the walk refuses is
walked again by ``datablock.walk_record``, whose DecodeError ends the block.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dronewarn.domain.errors import DecodeError
from dronewarn.formats.asterix.cat048 import (
    FL_LSB,
    GSP_LSB_NM_S,
    RHO_LSB_NM,
    THETA_LSB_DEG,
    TIME_LSB_S,
    Cat048Plot,
)
from dronewarn.formats.asterix.datablock import (
    RecordLayout,
    layout_mismatch,
    record_error,
)
from dronewarn.formats.asterix.items import (
    FL_FT,
    NM_M,
    icao_text,
    slot_setters,
)
from dronewarn.formats.asterix.walk_kernel import DONE, FAILED, Walker, WalkTables

_FIXED_ITEMS = MappingProxyType(
    {"010": 2, "140": 3, "040": 4, "070": 2, "090": 2, "220": 3, "240": 6, "161": 2, "200": 4}
)

# (item, subitem...) -> (bit offset, bit size, LSB, two's complement); None = any signedness
_Element = tuple[int, int, float | None, bool | None]
_ELEMENTS: MappingProxyType[tuple[str, ...], _Element] = MappingProxyType(
    {
        ("010", "SAC"): (0, 8, None, False),
        ("010", "SIC"): (8, 8, None, False),
        ("140",): (0, 24, TIME_LSB_S, False),
        ("020", "TYP"): (0, 3, None, False),
        ("020", "SIM"): (3, 1, None, False),
        ("020", "TST"): (8, 1, None, False),
        ("040", "RHO"): (0, 16, RHO_LSB_NM, False),
        ("040", "THETA"): (16, 16, THETA_LSB_DEG, False),
        ("070", "V"): (0, 1, None, False),
        ("070", "MODE3A"): (4, 12, None, False),
        ("090", "V"): (0, 1, None, False),
        ("090", "FL"): (2, 14, FL_LSB, None),
        ("220",): (0, 24, None, False),
        ("240",): (0, 48, None, False),
        ("161", "TRN"): (4, 12, None, False),
        ("200", "GSP"): (0, 16, GSP_LSB_NM_S, False),
        ("200", "HDG"): (16, 16, THETA_LSB_DEG, False),
        ("170", "CNF"): (0, 1, None, False),
        ("170", "TRE"): (8, 1, None, False),
    }
)


def check_edition(spec: Any, layout: RecordLayout) -> str | None:
    """Why this decoder cannot read the edition ``spec`` describes, or None if it can."""
    if "130" not in layout.names:
        return "no I048/130"
    return layout_mismatch(
        48, spec, layout, fixed=_FIXED_ITEMS, extended=("020", "170"), elements=_ELEMENTS
    )


_COLUMNS = ("010", "140", "020", "040", "070", "090", "130", "220", "240", "161", "200", "170")
"""Items whose start ``walk_kernel`` reports, in row order after the record's start."""


@dataclass(frozen=True, slots=True)
class Fast048:
    """The CAT048 decoder for one edition (build with ``for_edition``)."""

    layout: RecordLayout
    tables: WalkTables
    walker: Walker

    @classmethod
    def for_edition(
        cls, spec: Any, layout: RecordLayout, walker: Walker | None = None
    ) -> Fast048 | None:
        """The decoder for the edition of libasterix's ``spec``; None if it is not validated."""
        if check_edition(spec, layout) is not None:
            return None
        return cls.checked(layout, walker or Walker())

    @classmethod
    def checked(cls, layout: RecordLayout, walker: Walker) -> Fast048 | None:
        """The decoder for a layout ``check_edition`` accepted (None if it cannot be walked)."""
        tables = WalkTables.for_columns(layout, _COLUMNS)
        return None if tables is None else cls(layout, tables, walker)

    def decode_block(
        self, data: bytes, start: int, end: int
    ) -> tuple[list[Cat048Plot], DecodeError | None]:
        """The plots of the records in ``data[start:end]``, and the error that ended the block.

        ``walk_kernel`` finds where each record and item starts; the values are read here.
        """
        tables = self.tables
        walk = self.walker.rows
        pair = _PAIR.unpack_from
        new = object.__new__
        (
            set_offset, set_sac, set_sic, set_time, set_type, set_simulated, set_test, set_range,
            set_azimuth, set_code, set_code_ok, set_fl, set_fl_ok, set_i130, set_address,
            set_callsign, set_track, set_speed, set_heading, set_confirmed, set_ended,
        ) = _SETTERS  # fmt: skip
        out: list[Cat048Plot] = []
        append = out.append
        pos = start
        while True:
            rows, status, pos = walk(data, pos, end, tables)
            for (
                offset, p010, p140, p020, p040, p070, p090, p130, p220, p240, p161, p200, p170,
            ) in rows:  # fmt: skip
                sac = sic = None
                if p010 >= 0:
                    sac = data[p010]
                    sic = data[p010 + 1]
                tod = None
                if p140 >= 0:
                    tod = ((data[p140] << 16) | (data[p140 + 1] << 8) | data[p140 + 2]) * TIME_LSB_S
                typ = sim = tst = None
                if p020 >= 0:
                    octet = data[p020]
                    typ = octet >> 5
                    sim = (octet & 0x10) != 0
                    if octet & 1:
                        tst = (data[p020 + 1] & 0x80) != 0
                rho = theta = None
                if p040 >= 0:
                    raw_rho, raw_theta = pair(data, p040)
                    rho = raw_rho * RHO_LSB_NM * NM_M
                    theta = raw_theta * THETA_LSB_DEG
                code = code_ok = None
                if p070 >= 0:
                    code = f"{((data[p070] & 0x0F) << 8) | data[p070 + 1]:04o}"
                    code_ok = not data[p070] & 0x80
                fl = fl_ok = None
                if p090 >= 0:
                    raw = ((data[p090] & 0x3F) << 8) | data[p090 + 1]
                    fl = (raw - 0x4000 if raw & 0x2000 else raw) * FL_LSB * FL_FT
                    fl_ok = not data[p090] & 0x80
                address = None
                if p220 >= 0:
                    address = (data[p220] << 16) | (data[p220 + 1] << 8) | data[p220 + 2]
                callsign = None
                if p240 >= 0:
                    callsign = icao_text(int.from_bytes(data[p240 : p240 + 6], "big"))
                track = None if p161 < 0 else ((data[p161] & 0x0F) << 8) | data[p161 + 1]
                speed = heading = None
                if p200 >= 0:
                    raw_speed, raw_heading = pair(data, p200)
                    speed = raw_speed * GSP_LSB_NM_S * NM_M
                    heading = raw_heading * THETA_LSB_DEG
                confirmed = ended = None
                if p170 >= 0:
                    octet = data[p170]
                    confirmed = not octet & 0x80
                    if octet & 1:
                        ended = (data[p170 + 1] & 0x80) != 0
                plot = new(Cat048Plot)
                set_offset(plot, offset)
                set_sac(plot, sac)
                set_sic(plot, sic)
                set_time(plot, tod)
                set_type(plot, typ)
                set_simulated(plot, sim)
                set_test(plot, tst)
                set_range(plot, rho)
                set_azimuth(plot, theta)
                set_code(plot, code)
                set_code_ok(plot, code_ok)
                set_fl(plot, fl)
                set_fl_ok(plot, fl_ok)
                set_i130(plot, p130 >= 0)
                set_address(plot, address)
                set_callsign(plot, callsign)
                set_track(plot, track)
                set_speed(plot, speed)
                set_heading(plot, heading)
                set_confirmed(plot, confirmed)
                set_ended(plot, ended)
                append(plot)
            if status == DONE:
                return out, None
            if status == FAILED:
                return out, record_error(data, pos, end, self.layout)


_PAIR = struct.Struct(">HH")
_SETTERS = slot_setters(
    Cat048Plot,
    (
        "offset", "sac", "sic", "time_of_day_s", "report_type", "simulated", "test_target",
        "range_m", "azimuth_deg", "mode3a_code", "mode3a_validated", "flight_level_ft",
        "flight_level_validated", "has_plot_characteristics", "aircraft_address", "callsign",
        "track_number", "ground_speed_mps", "heading_deg", "track_confirmed", "track_ended",
    ),
)  # fmt: skip
