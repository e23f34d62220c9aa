"""The typed error hierarchy. Every error dronewarn raises on purpose derives from DronewarnError.

DronewarnError
├── ConfigError                 a configuration or scenario file is wrong
│   └── ScenarioError           ... with the file, line and field at fault
├── InputError                  bad input from a sensor or partner (counted, never fatal)
│   ├── DecodeError             bytes that do not decode (carries bytes, offset, field)
│   │   ├── TruncatedError      the input ends inside a field
│   │   ├── FieldValueError     a field holds a value its specification forbids
│   │   └── UnsupportedError    a category, edition or message type dronewarn does not read
│   ├── ImplausibleReportError  values that cannot be physically true
│   └── TimeOrderError          time going backwards beyond a sensor's tolerance
├── NaiveTimeError              a datetime without a timezone
└── GeoError                    unknown country, unusable geometry
"""

from __future__ import annotations


class DronewarnError(Exception):
    """Base of every error dronewarn raises on purpose."""


class ConfigError(DronewarnError):
    """A configuration or scenario file is invalid."""


class ScenarioError(ConfigError):
    """A scenario file is invalid at a known place."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class InputError(DronewarnError):
    """Bad input from outside the node. Counted by kind, recorded, never fatal."""

    kind = "input"
    recorded = True
    """Whether the node's store keeps a row for it (routine refusals are only counted)."""


class DecodeError(InputError):
    """Bytes that cannot be decoded."""

    kind = "decode"

    def __init__(
        self, message: str, *, data: bytes = b"", offset: int | None = None, field: str = ""
    ) -> None:
        self.data = data
        self.offset = offset
        self.field = field
        super().__init__(message)


class TruncatedError(DecodeError):
    """The input ends before a field (or a length it announced) does."""

    kind = "truncated"


class FieldValueError(DecodeError):
    """A field holds a value its specification forbids (or a required field is missing)."""

    kind = "bad_field"


class ImplausibleValueError(FieldValueError):
    """A decoded value no real target can have (a latitude of 215 degrees, a height of 90 km):
    the record is refused and never becomes a Report. The message names the item and the
    likely cause (usually the wrong edition for the category)."""

    kind = "implausible_value"


class UnsupportedError(DecodeError):
    """Well-formed input of a category, edition or message type dronewarn does not read."""

    kind = "unsupported"


class ImplausibleReportError(InputError):
    """A report whose values cannot be physically true (NaN, latitude 95, 3 Mach drones...)."""

    kind = "implausible"

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class TimeOrderError(InputError):
    """A sensor's clock went backwards beyond its tolerance."""

    kind = "time_backwards"


class UnknownSensorError(InputError):
    """A report from a sensor the node is not configured with."""

    kind = "unknown_sensor"


class NaiveTimeError(DronewarnError, ValueError):
    """A datetime without a timezone was given where UTC is required."""


class GeoError(DronewarnError):
    """Unknown country or unusable geometry."""
