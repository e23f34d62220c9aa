"""Hand-written CAT062 decoder: the same ``Cat062Track``s as libasterix, many times faster; and
the only decoder of the 0.17 draft edition.

Editions 1.16-1.21 (EUROCONTROL-SPEC-0149-9, standard UAP, see ``cat062``): records are walked
by ``datablock.walk_record`` with the length rules libasterix's specification gives for the
edition; the items dronewarn uses are read at fixed bit positions, which ``Fast062.for_edition``
checks (with each quantity's LSB and each compound subfield's place) against libasterix's
specification of the edition, refusing an edition where any differs.

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
from typing import Any

from dronewarn.domain.errors import DecodeError
from dronewarn.sense.asterix.cat062 import (
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
from dronewarn.sense.asterix.datablock import (
    COMPOUND,
    EXPLICIT,
    EXTENDED,
    FIXED,
    REPETITIVE,
    REPETITIVE_FX,
    SET_BITS,
    UNKNOWN,
    RecordLayout,
    Rule,
    compound_rule,
    compound_subfields,
    fspec_too_long,
    overrun,
    skip_item,
    spare_frn,
    truncated_fspec,
)
from dronewarn.sense.asterix.items import (
    FL_FT,
    FT_M,
    NM_M,
    frozen_builder,
    icao_text,
    lib_element_layout,
    slot_setters,
)

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

_FIXED_ITEMS = {"010": 2, "070": 3, "105": 8, "100": 6, "185": 4, "040": 2, "136": 2, "130": 2}

# (item, subitem...) -> (bit offset, bit size, LSB, two's complement)
_ELEMENTS: dict[tuple[str, ...], tuple[int, int, float | None, bool]] = {
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

# compound item -> (subfield name, its index, its fixed size)
_SUBFIELDS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "380": (("ADR", 0, 3), ("ID", 1, 6), ("EMC", 20, 1)),
    "500": (("APC", 0, 4), ("APW", 2, 4), ("AGA", 3, 1), ("ABA", 4, 1)),
    "290": (("TRK", 0, 1), ("PSR", 1, 1), ("SSR", 2, 1), ("MDS", 3, 1), ("ES", 5, 1)),
}


def check_edition(spec: Any, layout: RecordLayout) -> str | None:
    """Why this decoder cannot read the 1.x edition ``spec`` describes, or None if it can."""
    for name, octets in _FIXED_ITEMS.items():
        if name not in layout.names or layout.rules[layout.index(name)] != (FIXED, octets):
            return f"I062/{name} is not {octets} fixed octets"
    if "080" not in layout.names:
        return "no I062/080"
    rule = layout.rules[layout.index("080")]
    if rule is None or rule[0] != EXTENDED or tuple(rule[1][:2]) != ((1, True), (1, True)):
        return "I062/080 is not extended by single octets"
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
    for path, expected in _ELEMENTS.items():
        try:
            got = lib_element_layout(spec, *path)
        except (KeyError, ValueError) as exc:
            return f"I062/{'/'.join(path)}: {exc}"
        if got != expected:
            return f"I062/{'/'.join(path)} is {got}, expected {expected}"
    return None


def _index(layout: RecordLayout, name: str) -> int:
    return layout.index(name) if name in layout.names else -1


@dataclass(frozen=True, slots=True)
class Fast062:
    """The CAT062 decoder for one edition (``for_edition`` for 1.x, ``draft()`` for 0.17)."""

    layout: RecordLayout
    is_draft: bool
    items: tuple[int, ...]
    """FRN - 1 of I010 I070 I105 I100 I185 I040 I080 I136 I130 I380 I500 I290 (0.17: I180 in
    I185's place, -1 for I500)."""
    sizes: tuple[int, ...]
    """``layout.sizes``, with -2 for the compound items read here (I380, I500, I290)."""

    @classmethod
    def _build(cls, layout: RecordLayout, draft: bool, names: tuple[str, ...]) -> Fast062:
        items = tuple(_index(layout, name) for name in names)
        compounds = {_index(layout, name) for name in ("380", "500", "290")} - {-1}
        sizes = tuple(-2 if i in compounds else size for i, size in enumerate(layout.sizes))
        return cls(layout, draft, items, sizes)

    @classmethod
    def for_edition(cls, spec: Any, layout: RecordLayout) -> Fast062 | None:
        """The decoder for libasterix's ``spec`` (1.16-1.21); None if it is not validated."""
        if check_edition(spec, layout) is not None:
            return None
        names = ("010", "070", "105", "100", "185", "040", "080", "136", "130", "380", "500")
        return cls._build(layout, False, (*names, "290"))

    @classmethod
    def draft(cls) -> Fast062:
        """The decoder of edition 0.17."""
        names = ("010", "070", "105", "100", "180", "040", "080", "136", "130", "380", "500")
        return cls._build(DRAFT_LAYOUT, True, (*names, "290"))

    def decode_block(
        self, data: bytes, start: int, end: int
    ) -> tuple[list[Cat062Track], DecodeError | None]:
        """The tracks of the records in ``data[start:end]``, and the error that ended the block.

        The record walk is ``datablock.walk_record``'s, inlined (this loop runs per record),
        reading the subfield offsets of I380, I500 and I290 as it skips them.
        """
        layout = self.layout
        sizes = self.sizes
        rules = layout.rules
        names = layout.names
        count = len(sizes)
        limit = layout.fspec_max_octets
        set_bits = SET_BITS
        draft = self.is_draft
        i010, i070, i105, i100, iv, i040, i080, i136, i130, i380, i500, _ = self.items
        wgs84 = _WGS84.unpack_from
        pair = _PAIR.unpack_from
        signed_pair = _SIGNED_PAIR.unpack_from
        new = object.__new__
        (
            set_offset, set_sac, set_sic, set_time, set_lat, set_lon, set_x, set_y, set_vx,
            set_vy, set_track, set_confirmed, set_simulated, set_end, set_begin, set_fl, set_alt,
            set_address, set_callsign, set_emitter, set_accuracy, set_ages,
        ) = _SETTERS  # fmt: skip
        build_accuracy = _BUILD_ACCURACY
        build_ages = _BUILD_AGES
        out: list[Cat062Track] = []
        append = out.append
        pos = start
        try:
            while pos < end:
                offset = pos
                octets = 0
                while True:
                    if pos >= end:
                        raise truncated_fspec(data, offset, end)
                    octet = data[pos]
                    pos += 1
                    octets += 1
                    if not octet & 1:
                        break
                    if octets >= limit:
                        raise fspec_too_long(data, offset, pos, layout, end)
                s = [-1] * count
                sub380 = sub500 = sub290 = None
                base = 0
                for k in range(offset, offset + octets):
                    for bit in set_bits[data[k]]:
                        index = base + bit
                        size = sizes[index]
                        s[index] = pos
                        if size > 0:
                            pos += size
                        elif size == 0:
                            if pos > end:
                                raise overrun(data, s, layout.sizes, end, layout)
                            pos = skip_item(data, pos, end, rules[index], names[index] or "")
                        elif size == -2:
                            if pos > end:
                                raise overrun(data, s, layout.sizes, end, layout)
                            pos, sub = compound_subfields(
                                data, pos, end, rules[index], names[index] or ""
                            )
                            if index == i380:
                                sub380 = sub
                            elif index == i500:
                                sub500 = sub
                            else:
                                sub290 = sub
                        else:
                            if pos > end:
                                raise overrun(data, s, layout.sizes, end, layout)
                            raise spare_frn(data, offset, octets, index, layout)
                    base += 7
                if pos > end:
                    raise overrun(data, s, layout.sizes, end, layout)
                p = s[i010]
                sac = sic = None
                if p >= 0:
                    sac = data[p]
                    sic = data[p + 1]
                p = s[i070]
                tod = (
                    None
                    if p < 0
                    else ((data[p] << 16) | (data[p + 1] << 8) | data[p + 2]) * TIME_LSB_S
                )
                lat = lon = x = y = vx = vy = None
                p = s[i105]
                if p >= 0:
                    if draft:
                        raw = (data[p] << 16) | (data[p + 1] << 8) | data[p + 2]
                        lat = (raw - 0x1000000 if raw & 0x800000 else raw) * DRAFT_WGS84_LSB_DEG
                        raw = (data[p + 3] << 16) | (data[p + 4] << 8) | data[p + 5]
                        lon = (raw - 0x1000000 if raw & 0x800000 else raw) * DRAFT_WGS84_LSB_DEG
                    else:
                        raw_lat, raw_lon = wgs84(data, p)
                        lat = raw_lat * WGS84_LSB_DEG
                        lon = raw_lon * WGS84_LSB_DEG
                p = s[i100]
                if p >= 0:
                    if draft:
                        raw_x, raw_y = signed_pair(data, p)
                        x = raw_x * DRAFT_XY_LSB_NM * NM_M
                        y = raw_y * DRAFT_XY_LSB_NM * NM_M
                    else:
                        raw = (data[p] << 16) | (data[p + 1] << 8) | data[p + 2]
                        x = (raw - 0x1000000 if raw & 0x800000 else raw) * XY_LSB_M
                        raw = (data[p + 3] << 16) | (data[p + 4] << 8) | data[p + 5]
                        y = (raw - 0x1000000 if raw & 0x800000 else raw) * XY_LSB_M
                p = s[iv]
                if p >= 0:
                    if draft:
                        raw_speed, raw_heading = pair(data, p)
                        speed = raw_speed * DRAFT_GSP_LSB_NM_S * NM_M
                        heading = math.radians(raw_heading * DRAFT_HDG_LSB_DEG)
                        vx = speed * math.sin(heading)
                        vy = speed * math.cos(heading)
                    else:
                        raw_vx, raw_vy = signed_pair(data, p)
                        vx = raw_vx * V_LSB_MPS
                        vy = raw_vy * V_LSB_MPS
                p = s[i040]
                track = None
                if p >= 0:
                    track = (data[p] << 8) | data[p + 1]
                    if draft:
                        track &= 0x7FFF
                p = s[i080]
                confirmed = sim = tse = tsb = None
                if p >= 0:
                    octet = data[p]
                    confirmed = not octet & 0x02
                    if octet & 1:
                        octet = data[p + 1]
                        sim = (octet & 0x80) != 0
                        tse = (octet & 0x40) != 0
                        tsb = (octet & 0x20) != 0
                p = s[i136]
                fl = None
                if p >= 0:
                    raw = (data[p] << 8) | data[p + 1]
                    fl = (raw - 0x10000 if raw & 0x8000 else raw) * FL_LSB * FL_FT
                p = s[i130]
                alt = None
                if p >= 0:
                    raw = (data[p] << 8) | data[p + 1]
                    alt = (raw - 0x10000 if raw & 0x8000 else raw) * ALT_LSB_FT * FT_M
                address = callsign = emc = None
                if sub380 is not None:
                    q = sub380[1] if draft else sub380[0]
                    if q >= 0:
                        address = (data[q] << 16) | (data[q + 1] << 8) | data[q + 2]
                    q = sub380[2] if draft else sub380[1]
                    if q >= 0:
                        callsign = icao_text(int.from_bytes(data[q : q + 6], "big"))
                    if not draft and sub380[20] >= 0:
                        emc = data[sub380[20]]
                accuracy = None
                if sub500 is not None:
                    apc_x = apc_y = apw_lat = apw_lon = aga = aba = None
                    q = sub500[0]
                    if q >= 0:
                        raw_x, raw_y = pair(data, q)
                        apc_x = raw_x * XY_LSB_M
                        apc_y = raw_y * XY_LSB_M
                    q = sub500[2]
                    if q >= 0:
                        raw_x, raw_y = pair(data, q)
                        apw_lat = raw_x * WGS84_LSB_DEG
                        apw_lon = raw_y * WGS84_LSB_DEG
                    q = sub500[3]
                    if q >= 0:
                        aga = data[q] * ALT_LSB_FT * FT_M
                    q = sub500[4]
                    if q >= 0:
                        aba = data[q] * FL_LSB * FL_FT
                    accuracy = build_accuracy((apc_x, apc_y, apw_lat, apw_lon, aga, aba))
                ages = None
                if sub290 is not None:
                    if draft:  # PSR SSR MDA MFL MDS ADS(2) ADB MD1 MD2
                        q_trk, q_psr, q_ssr, q_mds, q_es = (
                            -1,
                            sub290[0],
                            sub290[1],
                            sub290[4],
                            sub290[6],
                        )
                    else:  # TRK PSR SSR MDS ADS(2) ES ...
                        q_trk, q_psr, q_ssr, q_mds, q_es = (
                            sub290[0],
                            sub290[1],
                            sub290[2],
                            sub290[3],
                            sub290[5],
                        )
                    ages = build_ages(
                        (
                            None if q_trk < 0 else data[q_trk] * AGE_LSB_S,
                            None if q_psr < 0 else data[q_psr] * AGE_LSB_S,
                            None if q_ssr < 0 else data[q_ssr] * AGE_LSB_S,
                            None if q_mds < 0 else data[q_mds] * AGE_LSB_S,
                            None if q_es < 0 else data[q_es] * AGE_LSB_S,
                        )
                    )
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
        except DecodeError as error:
            return out, error
        return out, None


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
_BUILD_ACCURACY = frozen_builder(Cat062Accuracy)
_BUILD_AGES = frozen_builder(Cat062Ages)
