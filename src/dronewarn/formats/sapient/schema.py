"""SAPIENT schema rules: the mandatory fields and ULID/UUID formats that the v2.0 schema itself
declares (``sapient_msg.ValidationOptions``: ``is_mandatory``, ``is_ulid``, ``is_uuid``), read
from the protobuf descriptors at import, so a field the schema makes mandatory is checked
without a hand-kept list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from sapient_msg import proto_options_pb2
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage

_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


# ------------------------------------------------------------------ schema validation rules


@dataclass(frozen=True, slots=True)
class _FieldRule:
    name: str
    mandatory: bool
    repeated: bool
    ulid: bool
    uuid: bool
    message: str | None
    """Full name of the field's message type when it is a SAPIENT message (to descend into)."""


@dataclass(frozen=True, slots=True)
class _MessageRules:
    fields: tuple[_FieldRule, ...]
    mandatory_oneofs: tuple[str, ...]


def _options(holder: Any, extension: Any) -> Any:
    options = holder.GetOptions()
    return options.Extensions[extension] if options.HasExtension(extension) else None


def _schema_rules(root: Any) -> MappingProxyType[str, _MessageRules]:
    """Validation rules of every SAPIENT message reachable from ``root``, by full name."""
    rules: dict[str, _MessageRules] = {}
    todo = [root]
    while todo:
        descriptor = todo.pop()
        if descriptor.full_name in rules:
            continue
        fields: list[_FieldRule] = []
        for fd in descriptor.fields:
            opts = _options(fd, proto_options_pb2.field_options)
            sub = fd.message_type
            sapient_sub = sub is not None and sub.full_name.startswith("sapient_msg.")
            if sapient_sub:
                todo.append(sub)
            fields.append(
                _FieldRule(
                    name=fd.name,
                    mandatory=bool(opts is not None and opts.is_mandatory),
                    repeated=bool(fd.is_repeated),
                    ulid=bool(opts is not None and opts.is_ulid),
                    uuid=bool(opts is not None and opts.is_uuid),
                    message=sub.full_name if sapient_sub else None,
                )
            )
        oneofs = tuple(
            o.name
            for o in descriptor.oneofs
            if (opt := _options(o, proto_options_pb2.oneof_options)) is not None
            and opt.is_mandatory
        )
        checked = tuple(f for f in fields if f.mandatory or f.message or f.ulid or f.uuid)
        rules[descriptor.full_name] = _MessageRules(checked, oneofs)
    return MappingProxyType(rules)


_RULES: Final = _schema_rules(SapientMessage.DESCRIPTOR)


def is_ulid(text: str) -> bool:
    """A 26-character Crockford base-32 ULID (case-insensitive, as the ULID spec reads it)."""
    return _ULID.fullmatch(text) is not None


def is_uuid(text: str) -> bool:
    """A UUID in its canonical 8-4-4-4-12 hexadecimal form (any version, any case)."""
    return _UUID.fullmatch(text) is not None


def schema_problems(message: Any, path: str) -> list[str]:
    """Every breach of the schema's own rules in ``message``: missing mandatory fields and
    oneofs, malformed ULIDs and UUIDs. Each problem is ``"dotted.path: what"``."""
    problems: list[str] = []
    _check(message, path, problems)
    return problems


def _id_problem(rule: _FieldRule, value: str) -> str | None:
    if rule.ulid and not is_ulid(value):
        return f"{value[:40]!r} is not a ULID"
    if rule.uuid and not is_uuid(value):
        return f"{value[:40]!r} is not a UUID"
    return None


def _check(message: Any, path: str, problems: list[str]) -> None:
    rules = _RULES.get(message.DESCRIPTOR.full_name)
    if rules is None:
        return
    for oneof in rules.mandatory_oneofs:
        if message.WhichOneof(oneof) is None:
            problems.append(f"{path}.{oneof}: mandatory, missing")
    # ListFields holds exactly the fields present (set, or non-empty when repeated)
    present = {fd.name: value for fd, value in message.ListFields()}
    for rule in rules.fields:
        value = present.get(rule.name)
        if value is None:
            if rule.mandatory:
                what = "empty" if rule.repeated else "missing"
                problems.append(f"{path}.{rule.name}: mandatory, {what}")
            continue
        items = value if rule.repeated else (value,)
        for i, item in enumerate(items):
            if rule.message is not None:
                _check(item, _at(path, rule, i), problems)
            elif isinstance(item, str) and (bad := _id_problem(rule, item)) is not None:
                problems.append(f"{_at(path, rule, i)}: {bad}")


def _at(path: str, rule: _FieldRule, index: int) -> str:
    return f"{path}.{rule.name}[{index}]" if rule.repeated else f"{path}.{rule.name}"
