"""ASTERIX item encodings shared by the category decoders, and access to libasterix items.

EUROCONTROL ASTERIX Part 1 (EUROCONTROL-SPEC-0149-1) and the category specifications encode
values as two's complement or unsigned integers times an LSB, Mode-3/A codes as four octal
digits in 12 bits, and aircraft identification as eight six-bit ICAO characters (ICAO Annex 10,
Vol. IV, 3.1.2.9: A-Z are 1-26, space 32, digits 48-57). The hand-written decoders and the
libasterix-based ones both convert through the functions here, so that they agree to the bit.

libasterix (``asterix.base``) gives items as objects: a present item of a record or compound
item has ``.variation``; a group's or extended item's subitem is ``variation.get_item(name)``
(None when an extended item's extent is absent); an element's value is ``.as_uint()`` or
``.variation.content.as_quantity()`` (raw times LSB, in the specification's unit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")

NM_M = 1852.0
"""Metres in a nautical mile."""
FT_M = 0.3048
"""Metres in a foot."""
FL_FT = 100.0
"""Feet in a flight level."""


def signed(raw: int, bits: int) -> int:
    """Two's complement value of the ``bits`` low bits of ``raw``."""
    half = 1 << (bits - 1)
    return raw - (half << 1) if raw & half else raw


_ICAO = tuple(
    chr(ord("A") + code - 1)
    if 1 <= code <= 26
    else " "
    if code == 32
    else chr(ord("0") + code - 48)
    if 48 <= code <= 57
    else ""
    for code in range(64)
)
"""Six-bit ICAO character set; codes outside it decode to nothing (as libasterix does)."""


_ICAO_PAIRS = tuple(_ICAO[code >> 6] + _ICAO[code & 0x3F] for code in range(4096))
"""Two six-bit characters (12 bits) at a time."""


def icao_text(raw: int) -> str:
    """The eight six-bit ICAO characters of a 48-bit ``raw``, trailing spaces removed."""
    pairs = _ICAO_PAIRS
    return (
        pairs[raw >> 36]
        + pairs[(raw >> 24) & 0xFFF]
        + pairs[(raw >> 12) & 0xFFF]
        + pairs[raw & 0xFFF]
    ).rstrip(" ")


def slot_setters(cls: type, names: Sequence[str]) -> tuple[Callable[[Any, Any], None], ...]:
    """The slot setters of the frozen slots dataclass ``cls``, one per field, for a decoder's
    inner loop to fill ``object.__new__(cls)`` field by field (what ``cls(...)`` does through
    ``object.__setattr__``, in half the time). ``names`` must be every field in order:
    TypeError otherwise, so that a change of the dataclass cannot leave a field unset.
    """
    found = tuple(field.name for field in fields(cls))
    if tuple(names) != found:
        raise TypeError(f"{cls.__name__} fields are {found}, not {tuple(names)}")
    return tuple(getattr(cls, name).__set__ for name in found)


def frozen_builder(cls: type[T]) -> Callable[[Sequence[object]], T]:
    """A function making an instance of the frozen slots dataclass ``cls`` from its field values
    in order, setting the slots directly: the object is the one ``cls(*values)`` makes, built in
    half the time (a frozen dataclass's ``__init__`` goes through ``object.__setattr__`` per
    field). For the hand-written decoders' inner loops only.
    """
    setters = tuple(getattr(cls, field.name).__set__ for field in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def build(values: Sequence[object]) -> T:
        obj = new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(obj, value)
        return obj

    return build


def octal_code(raw: int) -> str:
    """A 12-bit Mode-1/2/3A code as its four octal digits (``"7700"``)."""
    return f"{raw & 0xFFF:04o}"


# libasterix access ---------------------------------------------------------------------------


def lib_item(record: Any, name: str) -> Any:
    """Item ``name`` of a libasterix record (or compound item), None when absent."""
    return record.get_item(name)


def lib_sub(item: Any, name: str) -> Any:
    """Subitem ``name`` of a libasterix group/extended/compound item, None when absent."""
    if item is None:
        return None
    return item.variation.get_item(name)


def lib_uint(node: Any) -> int:
    """Raw unsigned value of a libasterix element."""
    return int(node.as_uint())


def lib_quantity(node: Any) -> float:
    """Value of a libasterix quantity element in its specification unit (raw x LSB)."""
    return float(node.variation.content.as_quantity())


def lib_source(record: Any) -> tuple[int | None, int | None]:
    """(SAC, SIC) of a libasterix record's I010 data source identifier; Nones when absent."""
    i010 = record.get_item("010")
    if i010 is None:
        return None, None
    return lib_uint(lib_sub(i010, "SAC")), lib_uint(lib_sub(i010, "SIC"))


def lib_value(item: Any, name: str | None = None) -> float | None:
    """The quantity ``item`` (or its subitem ``name``) holds, None when absent."""
    node = item if name is None or item is None else lib_sub(item, name)
    return None if node is None else lib_quantity(node)


def lib_flag(item: Any, name: str) -> bool | None:
    """The one-bit subitem ``name`` of ``item`` as a bool, None when absent."""
    node = lib_sub(item, name)
    return None if node is None else bool(lib_uint(node))


def lib_string(node: Any) -> str:
    """A libasterix string element (six-bit ICAO, octal, ASCII), trailing spaces removed."""
    return str(node.variation.content.as_string()).rstrip(" ")


def lib_element_layout(spec: Any, *path: str) -> tuple[int, int, float | None, bool]:
    """Where an element lies in libasterix's specification of a category edition.

    ``path`` names a record item, then subitems (``"040", "RHO"``; ``"500", "APC", "X"``).
    Returns (bit offset from the start of the innermost fixed part: the item, or the compound
    subfield, that holds it; bit size; LSB if the element is a quantity, else None; whether it
    is two's complement). Used to check, per edition, that a hand-written decoder reads the
    bits libasterix describes. KeyError/ValueError if the path does not exist.
    """
    from asterix import base

    non_spare = spec.cv_uap.cv_record.cv_items_dict[path[0]]
    variation = _variation(non_spare)
    offset = 0
    for name in path[1:]:
        if issubclass(variation, base.Compound):
            variation = _variation(variation.cv_items_dict[name])
            offset = 0
            continue
        if issubclass(variation, base.Group):
            entries = list(variation.cv_items_list)
        elif issubclass(variation, base.Extended):
            entries = [
                entry if entry is not None else (None, 1)
                for group in variation.cv_items_list
                for entry in group
            ]
        else:
            raise ValueError(f"{path}: {name} inside a {variation.__name__}")
        for item, size in entries:
            if (
                item is not None
                and issubclass(item, base.Item)
                and item.cv_non_spare.cv_name == name
            ):
                variation = _variation(item.cv_non_spare)
                break
            offset += size
        else:
            raise ValueError(f"{path}: no {name}")
    if not issubclass(variation, base.Element):
        raise ValueError(f"{path} is a {variation.__name__}, not an element")
    content = getattr(variation.cv_rule, "cv_content", None)
    lsb = None
    is_signed = False
    if content is not None and issubclass(content, base.ContentQuantity):
        lsb = float(content.cv_lsb)
        is_signed = issubclass(content.cv_signedness, base.Signed)
    elif content is not None and issubclass(content, base.ContentInteger):
        is_signed = issubclass(content.cv_signedness, base.Signed)
    return offset, int(variation.cv_bit_size), lsb, is_signed


def _variation(non_spare: Any) -> Any:
    rule = non_spare.cv_rule
    variation = getattr(rule, "cv_variation", None)
    return rule.cv_default_variation if variation is None else variation
