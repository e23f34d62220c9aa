"""Raw Mode S / ADS-B messages, decoded by pyModeS.

Raw messages: ICAO Annex 10 Vol IV / RTCA DO-260B, decoded by ``pyModeS.PipeDecoder``
(pyModeS 3): airborne positions from even/odd CPR pairs, then locally from the last
position; surface positions need ``AdsbConfig.surface_ref`` (the receiver's location).
pyModeS holds a position back until three CPR candidates agree; the streaming decoder
reports positions as they are returned (the held ones are filled into earlier results
later, which a stream cannot use). On pyModeS's sample of 2,000 messages of one aircraft
this yields 929 positions (a batch ``pyModeS.decode`` of the list: 937 with the 8 held).

"""

from __future__ import annotations

import math
from collections import OrderedDict
from types import MappingProxyType

import pyModeS

from dronewarn.domain.errors import FieldValueError, TruncatedError
from dronewarn.formats.adsb.position import MAX_ERROR_BYTES, AdsbConfig, AdsbPosition, AltitudeKind

_CATEGORY_SET = MappingProxyType({4: "A", 3: "B", 2: "C", 1: "D"})
"""Identification type code -> emitter category set (DO-260B 2.2.3.2.5.2)."""


class CrcError(FieldValueError):
    """A Mode S message whose parity does not check: noise, not data."""

    kind = "bad_crc"


# ---------------------------------------------------------------- raw Mode S / ADS-B


class ModeSDecoder:
    """Raw Mode S hex messages -> positions, through one ``pyModeS.PipeDecoder``.

    Stateful (CPR pairs, the last position, emitter categories and NACp per address): feed
    one receiver's messages in time order. Not thread-safe (neither is PipeDecoder).
    """

    def __init__(self, config: AdsbConfig) -> None:
        self._config = config
        self._pipe = pyModeS.PipeDecoder(surface_ref=config.surface_ref)
        self._known: OrderedDict[str, tuple[str | None, int | None]] = OrderedDict()
        self.messages = 0
        self.positions = 0

    def decode(self, message: str | bytes, time_s: float) -> AdsbPosition | None:
        """The position a message completes, or None; DecodeError for a bad message.

        Accepts bare hex (14 or 28 digits) or dump1090's AVR framing ``*hex;``.
        ``time_s`` is the receiver's POSIX UTC time of reception.
        """
        text = _hex_text(message)
        data = text.encode()[:MAX_ERROR_BYTES]
        if not math.isfinite(time_s):
            raise FieldValueError(f"time {time_s} is not finite", data=data, field="time_s")
        try:
            result = self._pipe.decode(text, timestamp=time_s)
        except (ValueError, KeyError, IndexError, TypeError, ArithmeticError) as error:
            raise FieldValueError(f"pyModeS: {error}", data=data, field="hex") from None
        self.messages += 1
        if "error" in result:
            short = "hex chars" in str(result["error"]) and len(text) < 28
            cls = TruncatedError if short else FieldValueError
            raise cls(str(result["error"])[:200], data=data, offset=0, field="hex")
        icao = str(result.get("icao", ""))
        if result.get("df") in (17, 18) and result.get("crc_valid") is False:
            raise CrcError("parity check failed", data=data, field="crc")
        category, nac_p = self._remember(icao, result)
        lat, lon = result.get("latitude"), result.get("longitude")
        if lat is None or lon is None:
            return None
        typecode = result.get("typecode")
        altitude = result.get("altitude")
        if isinstance(typecode, int) and 5 <= typecode <= 8:
            kind: AltitudeKind | None = AltitudeKind.GROUND
            altitude = None
        elif isinstance(typecode, int) and 20 <= typecode <= 22:
            kind = AltitudeKind.GNSS
        else:
            kind = AltitudeKind.BARO if altitude is not None else None
        self.positions += 1
        return AdsbPosition(
            icao=icao,
            time_s=time_s,
            lat_deg=float(lat),
            lon_deg=float(lon),
            altitude_ft=None if altitude is None else float(altitude),
            altitude_kind=kind,
            category=category,
            nac_p=nac_p,
            nuc_p=result.get("nuc_p"),
        )

    def _remember(self, icao: str, result: pyModeS.Decoded) -> tuple[str | None, int | None]:
        """Update and return (emitter category, NACp) known for an address."""
        category, nac_p = self._known.get(icao, (None, None))
        changed = False
        if result.get("bds") == "0,8" and result.get("crc_valid") is True:
            letter = _CATEGORY_SET.get(result.get("typecode", 0))
            if letter is not None:
                category, changed = f"{letter}{result.get('category', 0)}", True
        if result.get("bds") == "6,5" and result.get("crc_valid") is True:
            version, value = result.get("version"), result.get("nac_p")
            if isinstance(version, int) and version >= 1 and isinstance(value, int) and value:
                nac_p, changed = value, True
        if changed or icao in self._known:
            self._known[icao] = (category, nac_p)
            self._known.move_to_end(icao)
            while len(self._known) > self._config.max_aircraft:
                self._known.popitem(last=False)
        return category, nac_p


def _hex_text(message: str | bytes) -> str:
    text = message.decode("ascii", "replace") if isinstance(message, bytes) else message
    text = text.strip()
    if text.startswith("*") and text.endswith(";"):
        text = text[1:-1]
    return text
