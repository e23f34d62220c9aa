"""Hand-written CAT062 decoder: the same ``Cat062Track``s as libasterix, about 60 times faster
(bench/decode.py); and the only decoder of the 0.17 draft edition.

Editions 1.16-1.21 (EUROCONTROL-SPEC-0149-9, standard UAP, see ``cat062``): records are walked
by ``walk_kernel`` with the length rules libasterix's specification gives for the edition,
which reports where each record, item and compound subfield dronewarn uses starts; the values
are read here at fixed bit positions, which ``Fast062.for_edition`` checks (with each
quantity's LSB and each compound subfield's place) against libasterix's specification of the
edition, refusing an edition where any differs. A record the walk refuses is walked again by
``datablock.walk_record``, whose DecodeError ends the block.

Edition 0.17 (EUROCONTROL ASTERIX Part 9, proposed edition 0.17, as recorded in 2008 by the
Croatia Control capture ``asterix.pcap``; libasterix lacks it), UAP by FRN: 1 I010 (2), 2 I015
(1), 3 I070 (3), 4 I040 (2: spare bit, 15-bit track number), 5 I105 (6: latitude, longitude,
24-bit two's complement, 180/2^23 deg), 6 I100 (4: x, y, 16-bit two's complement, 1/64 NM),
7 I060 (2), 8 I130 (2, 6.25 ft), 9 I135 (2), 10 I136 (2, 1/4 FL), 11 I180 (4: ground speed
2^-14 NM/s, heading 360/2^16 deg), 12 I200 (1), 13 I220 (2), 14 I240 (1), 15 I210 (2), 16 I080
(1+: CNF | SIM TSE TSB ...), 17 I290 (compound: PSR, SSR, MDA, MFL, MDS of 1, ADS of 2, ADB, MD1,
MD2 of 1 octet), 18 I340 (compound: SID 2, POS 4, HEI 2, MDC 2, MDA 2, TYP 1), 19 I380
(compound: MB repetitive of 8, ADR 3, ID 6, COM 2, ACS 7), 20 I050 (structure unknown:
UnsupportedError), 21 I390 (compound: TAG 2, CSN 7, IFI 4, FCT 1, TAC 4, WTC 1, DEP 4 | DST 4,
RDS 3, CFL 2, CTL 2, TOD repetitive of 4, AST 6, STS 1), 22 I110 (1), 23 I120 (2), 24 I510 (3+,
each 3-octet part ending in FX), 27 RE, 28 SP.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dronewarn.domain.errors import DecodeError, UnsupportedError
from dronewarn.formats.asterix.cat062 import (
    AGE_LSB_S,
    ALT_LSB_FT,
    FL_LSB,
    TIME_LSB_S,
    V_LSB_MPS,
    WGS84_LSB_DEG,
    XY_LSB_M,
    Cat062Accuracy,
    Cat062Ages,
    Cat062Track,
)
from dronewarn.formats.asterix.datablock import (
    COMPOUND,
    EXPLICIT,
    EXTENDED,
    FIXED,
    REPETITIVE,
    REPETITIVE_FX,
    UNKNOWN,
    RecordLayout,
    Rule,
    compound_rule,
    layout_mismatch,
    record_error,
)
from dronewarn.formats.asterix.items import (
    FL_FT,
    FT_M,
    NM_M,
    icao_text,
    slot_setters,
)
from dronewarn.formats.asterix.walk_kernel import DONE, FAILED, Walker, WalkTables

DRAFT_WGS84_LSB_DEG = 180.0 / 2**23
DRAFT_XY_LSB_NM = 1.0 / 64.0
DRAFT_GSP_LSB_NM_S = 2.0**-14
DRAFT_HDG_LSB_DEG = 360.0 / 65536.0


def _f(octets: int) -> Rule:
    return (FIXED, octets)


def _compound(limit: int, *subfields: Rule | None) -> Rule:
    return compound_rule(limit, subfields)


_DRAFT_ITEMS: tuple[tuple[str | None, Rule | None], ...] = (
    ("010", _f(2)),
    ("015", _f(1)),
    ("070", _f(3)),
    ("040", _f(2)),
    ("105", _f(6)),
    ("100", _f(4)),
    ("060", _f(2)),
    ("130", _f(2)),
    ("135", _f(2)),
    ("136", _f(2)),
    ("180", _f(4)),
    ("200", _f(1)),
    ("220", _f(2)),
    ("240", _f(1)),
    ("210", _f(2)),
    ("080", (EXTENDED, ((1, True), (1, True), (1, True), (1, True)))),
    ("290", _compound(2, *(_f(n) for n in (1, 1, 1, 1, 1, 2, 1, 1, 1)))),
    ("340", _compound(1, *(_f(n) for n in (2, 4, 2, 2, 2, 1)))),
    ("380", _compound(1, (REPETITIVE, 1, 8), _f(3), _f(6), _f(2), _f(7))),
    ("050", (UNKNOWN,)),
    (
        "390",
        _compound(
            2,
            *(_f(n) for n in (2, 7, 4, 1, 4, 1, 4, 4, 3, 2, 2)),
            (REPETITIVE, 1, 4),
            _f(6),
            _f(1),
        ),
    ),
    ("110", _f(1)),
    ("120", _f(2)),
    ("510", (REPETITIVE_FX, 3)),
    (None, None),
    (None, None),
    ("RE", (EXPLICIT,)),
    ("SP", (EXPLICIT,)),
)

DRAFT_LAYOUT = RecordLayout(
    category=62,
    edition="0.17",
    fspec_max_octets=4,
    names=tuple(name for name, _ in _DRAFT_ITEMS),
    rules=tuple(rule for _, rule in _DRAFT_ITEMS),
)
"""CAT062 edition 0.17's UAP (see the module docstring)."""

_FIXED_ITEMS = MappingProxyType(
    {"010": 2, "070": 3, "105": 8, "100": 6, "185": 4, "040": 2, "136": 2, "130": 2}
)

# (item, subitem...) -> (bit offset, bit size, LSB, two's complement)
_Element = tuple[int, int, float | None, bool]
_ELEMENTS: MappingProxyType[tuple[str, ...], _Element] = MappingProxyType(
    {
        ("010", "SAC"): (0, 8, None, False),
        ("010", "SIC"): (8, 8, None, False),
        ("070",): (0, 24, TIME_LSB_S, False),
        ("105", "LAT"): (0, 32, WGS84_LSB_DEG, True),
        ("105", "LON"): (32, 32, WGS84_LSB_DEG, True),
        ("100", "X"): (0, 24, XY_LSB_M, True),
        ("100", "Y"): (24, 24, XY_LSB_M, True),
        ("185", "VX"): (0, 16, V_LSB_MPS, True),
        ("185", "VY"): (16, 16, V_LSB_MPS, True),
        ("040",): (0, 16, None, False),
        ("080", "CNF"): (6, 1, None, False),
        ("080", "SIM"): (8, 1, None, False),
        ("080", "TSE"): (9, 1, None, False),
        ("080", "TSB"): (10, 1, None, False),
        ("136",): (0, 16, FL_LSB, True),
        ("130",): (0, 16, ALT_LSB_FT, True),
        ("380", "ADR"): (0, 24, None, False),
        ("380", "ID"): (0, 48, None, False),
        ("380", "EMC"): (0, 8, None, False),
        ("500", "APC", "X"): (0, 16, XY_LSB_M, False),
        ("500", "APC", "Y"): (16, 16, XY_LSB_M, False),
        ("500", "APW", "LAT"): (0, 16, WGS84_LSB_DEG, False),
        ("500", "APW", "LON"): (16, 16, WGS84_LSB_DEG, False),
        ("500", "AGA"): (0, 8, ALT_LSB_FT, False),
        ("500", "ABA"): (0, 8, FL_LSB, False),
        ("290", "TRK"): (0, 8, AGE_LSB_S, False),
        ("290", "PSR"): (0, 8, AGE_LSB_S, False),
        ("290", "SSR"): (0, 8, AGE_LSB_S, False),
        ("290", "MDS"): (0, 8, AGE_LSB_S, False),
        ("290", "ES"): (0, 8, AGE_LSB_S, False),
    }
)

# compound item -> (subfield name, its index, its fixed size)
_SUBFIELDS: MappingProxyType[str, tuple[tuple[str, int, int], ...]] = MappingProxyType(
    {
        "380": (("ADR", 0, 3), ("ID", 1, 6), ("EMC", 20, 1)),
        "500": (("APC", 0, 4), ("APW", 2, 4), ("AGA", 3, 1), ("ABA", 4, 1)),
        "290": (("TRK", 0, 1), ("PSR", 1, 1), ("SSR", 2, 1), ("MDS", 3, 1), ("ES", 5, 1)),
    }
)


def check_edition(spec: Any, layout: RecordLayout) -> str | None:
    """Why this decoder cannot read the 1.x edition ``spec`` describes, or None if it can."""
    mismatch = layout_mismatch(62, spec, layout, fixed=_FIXED_ITEMS, extended=("080",), elements={})
    if mismatch is not None:
        return mismatch
    for name, subfields in _SUBFIELDS.items():
        if name not in layout.names:
            return f"no I062/{name}"
        rule = layout.rules[layout.index(name)]
        if rule is None or rule[0] != COMPOUND:
            return f"I062/{name} is not compound"
        compound = spec.cv_uap.cv_record.cv_items_dict[name].cv_rule.cv_variation
        names = [sub.cv_name if sub is not None else None for sub in compound.cv_items_list]
        for sub, index, octets in subfields:
            if sub not in names or names.index(sub) != index or rule[2][index] != _f(octets):
                return f"I062/{name}/{sub} is not subfield {index + 1} of {octets} octets"
    return layout_mismatch(62, spec, layout, fixed={}, elements=_ELEMENTS)


_ITEM_COLUMNS = ("010", "070", "105", "100", "velocity", "040", "080", "136", "130")
_COMPOUND_COLUMNS = ("380", "500", "290")
_SUBFIELD_COLUMNS = (
    ("380", "ADR"), ("380", "ID"), ("380", "EMC"),
    ("500", "APC"), ("500", "APW"), ("500", "AGA"), ("500", "ABA"),
    ("290", "TRK"), ("290", "PSR"), ("290", "SSR"), ("290", "MDS"), ("290", "ES"),
)  # fmt: skip
"""Row of ``walk_kernel``: the record's start, then these items, compound items and subfields
("velocity" is I185, or I180 in 0.17; 0.17's I290/ADB stands in ES's column)."""
_SUBFIELD_INDEX = MappingProxyType({
    False: MappingProxyType({"ADR": 0, "ID": 1, "EMC": 20, "APC": 0, "APW": 2, "AGA": 3,
                             "ABA": 4, "TRK": 0, "PSR": 1, "SSR": 2, "MDS": 3, "ES": 5}),
    # 0.17's I290: PSR SSR MDA MFL MDS ADS ADB MD1 MD2; its I380: MB ADR ID COM ACS
    True: MappingProxyType({"ADR": 1, "ID": 2, "PSR": 0, "SSR": 1, "MDS": 4, "ES": 6}),
})  # fmt: skip
"""Subfield indices (from 0) in each compound, for 1.x (False) and 0.17 (True)."""


@dataclass(frozen=True, slots=True)
class Fast062:
    """The CAT062 decoder for one edition (``for_edition`` for 1.x, ``draft()`` for 0.17)."""

    layout: RecordLayout
    is_draft: bool
    tables: WalkTables
    walker: Walker

    @classmethod
    def _build(cls, layout: RecordLayout, draft: bool, walker: Walker) -> Fast062 | None:
        velocity = "180" if draft else "185"
        names = [velocity if name == "velocity" else name for name in _ITEM_COLUMNS]
        items: dict[int, int] = {}
        for column, name in enumerate((*names, *_COMPOUND_COLUMNS), start=1):
            if name in layout.names:
                items[layout.index(name)] = column
        subfields: dict[tuple[int, int], int] = {}
        first = 1 + len(names) + len(_COMPOUND_COLUMNS)
        for column, (item, sub) in enumerate(_SUBFIELD_COLUMNS, start=first):
            index = _SUBFIELD_INDEX[draft].get(sub)
            if index is not None and item in layout.names:
                subfields[(layout.index(item), index)] = column
        tables = WalkTables.for_layout(layout, items, subfields)
        return None if tables is None else cls(layout, draft, tables, walker)

    @classmethod
    def for_edition(
        cls, spec: Any, layout: RecordLayout, walker: Walker | None = None
    ) -> Fast062 | None:
        """The decoder for libasterix's ``spec`` (1.16-1.21); None if it is not validated."""
        if check_edition(spec, layout) is not None:
            return None
        return cls.checked(layout, walker or Walker())

    @classmethod
    def checked(cls, layout: RecordLayout, walker: Walker) -> Fast062 | None:
        """The 1.x decoder for a layout ``check_edition`` accepted (None if it cannot be
        walked)."""
        return cls._build(layout, False, walker)

    @classmethod
    def draft(cls, walker: Walker | None = None) -> Fast062:
        """The decoder of edition 0.17."""
        decoder = cls._build(DRAFT_LAYOUT, True, walker or Walker())
        if decoder is None:  # pragma: no cover - DRAFT_LAYOUT nests no compound in a compound
            raise UnsupportedError("CAT062 0.17 layout", field="edition")
        return decoder

    def decode_block(
        self, data: bytes, start: int, end: int
    ) -> tuple[list[Cat062Track], DecodeError | None]:
        """The tracks of the records in ``data[start:end]``, and the error that ended the block.

        ``walk_kernel`` finds where each record, item and subfield starts; the values are read
        here.
        """
        tables = self.tables
        draft = self.is_draft
        walk = self.walker.rows
        wgs84 = _WGS84.unpack_from
        pair = _PAIR.unpack_from
        signed_pair = _SIGNED_PAIR.unpack_from
        new = object.__new__
        (
            set_offset, set_sac, set_sic, set_time, set_lat, set_lon, set_x, set_y, set_vx,
            set_vy, set_track, set_confirmed, set_simulated, set_end, set_begin, set_fl, set_alt,
            set_address, set_callsign, set_emitter, set_accuracy, set_ages,
        ) = _SETTERS  # fmt: skip
        set_apc_x, set_apc_y, set_apw_lat, set_apw_lon, set_aga, set_aba = _ACCURACY_SETTERS
        set_age_trk, set_age_psr, set_age_ssr, set_age_mds, set_age_es = _AGES_SETTERS
        out: list[Cat062Track] = []
        append = out.append
        pos = start
        while True:
            rows, status, pos = walk(data, pos, end, tables)
            for (
                offset, p010, p070, p105, p100, pv, p040, p080, p136, p130, _, p500, p290,
                q_adr, q_id, q_emc, q_apc, q_apw, q_aga, q_aba, q_trk, q_psr, q_ssr, q_mds, q_es,
            ) in rows:  # fmt: skip
                sac = sic = None
                if p010 >= 0:
                    sac = data[p010]
                    sic = data[p010 + 1]
                tod = None
                if p070 >= 0:
                    tod = ((data[p070] << 16) | (data[p070 + 1] << 8) | data[p070 + 2]) * TIME_LSB_S
                lat = lon = x = y = vx = vy = None
                if p105 >= 0:
                    if draft:
                        raw = (data[p105] << 16) | (data[p105 + 1] << 8) | data[p105 + 2]
                        lat = (raw - 0x1000000 if raw & 0x800000 else raw) * DRAFT_WGS84_LSB_DEG
                        raw = (data[p105 + 3] << 16) | (data[p105 + 4] << 8) | data[p105 + 5]
                        lon = (raw - 0x1000000 if raw & 0x800000 else raw) * DRAFT_WGS84_LSB_DEG
                    else:
                        raw_lat, raw_lon = wgs84(data, p105)
                        lat = raw_lat * WGS84_LSB_DEG
                        lon = raw_lon * WGS84_LSB_DEG
                if p100 >= 0:
                    if draft:
                        raw_x, raw_y = signed_pair(data, p100)
                        x = raw_x * DRAFT_XY_LSB_NM * NM_M
                        y = raw_y * DRAFT_XY_LSB_NM * NM_M
                    else:
                        raw = (data[p100] << 16) | (data[p100 + 1] << 8) | data[p100 + 2]
                        x = (raw - 0x1000000 if raw & 0x800000 else raw) * XY_LSB_M
                        raw = (data[p100 + 3] << 16) | (data[p100 + 4] << 8) | data[p100 + 5]
                        y = (raw - 0x1000000 if raw & 0x800000 else raw) * XY_LSB_M
                if pv >= 0:
                    if draft:
                        raw_speed, raw_heading = pair(data, pv)
                        speed = raw_speed * DRAFT_GSP_LSB_NM_S * NM_M
                        heading = math.radians(raw_heading * DRAFT_HDG_LSB_DEG)
                        vx = speed * math.sin(heading)
                        vy = speed * math.cos(heading)
                    else:
                        raw_vx, raw_vy = signed_pair(data, pv)
                        vx = raw_vx * V_LSB_MPS
                        vy = raw_vy * V_LSB_MPS
                track = None
                if p040 >= 0:
                    track = (data[p040] << 8) | data[p040 + 1]
                    if draft:
                        track &= 0x7FFF
                confirmed = sim = tse = tsb = None
                if p080 >= 0:
                    octet = data[p080]
                    confirmed = not octet & 0x02
                    if octet & 1:
                        octet = data[p080 + 1]
                        sim = (octet & 0x80) != 0
                        tse = (octet & 0x40) != 0
                        tsb = (octet & 0x20) != 0
                fl = None
                if p136 >= 0:
                    raw = (data[p136] << 8) | data[p136 + 1]
                    fl = (raw - 0x10000 if raw & 0x8000 else raw) * FL_LSB * FL_FT
                alt = None
                if p130 >= 0:
                    raw = (data[p130] << 8) | data[p130 + 1]
                    alt = (raw - 0x10000 if raw & 0x8000 else raw) * ALT_LSB_FT * FT_M
                address = None
                if q_adr >= 0:
                    address = (data[q_adr] << 16) | (data[q_adr + 1] << 8) | data[q_adr + 2]
                callsign = None
                if q_id >= 0:
                    callsign = icao_text(int.from_bytes(data[q_id : q_id + 6], "big"))
                emc = None if q_emc < 0 else data[q_emc]
                accuracy = None
                if p500 >= 0:
                    apc_x = apc_y = apw_lat = apw_lon = aga = aba = None
                    if q_apc >= 0:
                        raw_x, raw_y = pair(data, q_apc)
                        apc_x = raw_x * XY_LSB_M
                        apc_y = raw_y * XY_LSB_M
                    if q_apw >= 0:
                        raw_x, raw_y = pair(data, q_apw)
                        apw_lat = raw_x * WGS84_LSB_DEG
                        apw_lon = raw_y * WGS84_LSB_DEG
                    if q_aga >= 0:
                        aga = data[q_aga] * ALT_LSB_FT * FT_M
                    if q_aba >= 0:
                        aba = data[q_aba] * FL_LSB * FL_FT
                    accuracy = new(Cat062Accuracy)
                    set_apc_x(accuracy, apc_x)
                    set_apc_y(accuracy, apc_y)
                    set_apw_lat(accuracy, apw_lat)
                    set_apw_lon(accuracy, apw_lon)
                    set_aga(accuracy, aga)
                    set_aba(accuracy, aba)
                ages = None
                if p290 >= 0:
                    # set slot by slot: a builder's loop over a tuple costs twice as much
                    ages = new(Cat062Ages)
                    set_age_trk(ages, None if q_trk < 0 else data[q_trk] * AGE_LSB_S)
                    set_age_psr(ages, None if q_psr < 0 else data[q_psr] * AGE_LSB_S)
                    set_age_ssr(ages, None if q_ssr < 0 else data[q_ssr] * AGE_LSB_S)
                    set_age_mds(ages, None if q_mds < 0 else data[q_mds] * AGE_LSB_S)
                    set_age_es(ages, None if q_es < 0 else data[q_es] * AGE_LSB_S)
                track_state = new(Cat062Track)
                set_offset(track_state, offset)
                set_sac(track_state, sac)
                set_sic(track_state, sic)
                set_time(track_state, tod)
                set_lat(track_state, lat)
                set_lon(track_state, lon)
                set_x(track_state, x)
                set_y(track_state, y)
                set_vx(track_state, vx)
                set_vy(track_state, vy)
                set_track(track_state, track)
                set_confirmed(track_state, confirmed)
                set_simulated(track_state, sim)
                set_end(track_state, tse)
                set_begin(track_state, tsb)
                set_fl(track_state, fl)
                set_alt(track_state, alt)
                set_address(track_state, address)
                set_callsign(track_state, callsign)
                set_emitter(track_state, emc)
                set_accuracy(track_state, accuracy)
                set_ages(track_state, ages)
                append(track_state)
            if status == DONE:
                return out, None
            if status == FAILED:
                return out, record_error(data, pos, end, self.layout)


_WGS84 = struct.Struct(">ii")
_PAIR = struct.Struct(">HH")
_SIGNED_PAIR = struct.Struct(">hh")
_SETTERS = slot_setters(
    Cat062Track,
    (
        "offset", "sac", "sic", "time_of_track_s", "lat_deg", "lon_deg", "x_m", "y_m", "vx_mps",
        "vy_mps", "track_number", "confirmed", "simulated", "track_end", "track_begin",
        "measured_flight_level_ft", "geometric_altitude_m", "aircraft_address", "callsign",
        "emitter_category", "accuracy", "ages",
    ),
)  # fmt: skip
_ACCURACY_SETTERS = slot_setters(
    Cat062Accuracy, ("apc_x_m", "apc_y_m", "apw_lat_deg", "apw_lon_deg", "aga_m", "aba_ft")
)
_AGES_SETTERS = slot_setters(Cat062Ages, ("track_s", "psr_s", "ssr_s", "mode_s_s", "adsb_es_s"))
