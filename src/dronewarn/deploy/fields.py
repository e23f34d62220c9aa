"""Field types shared by the configuration files users write (node.toml, scenario YAML)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _check_latlon(value: tuple[float, float]) -> tuple[float, float]:
    lat, lon = value
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} outside [-90, 90]")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} outside [-180, 180]")
    return value


def _check_position(value: tuple[float, ...]) -> tuple[float, ...]:
    if len(value) not in (2, 3):
        raise ValueError(f"a position is [lat, lon] or [lat, lon, alt_m], not {len(value)} numbers")
    _check_latlon((value[0], value[1]))
    if len(value) == 3 and not -1000.0 <= value[2] <= 30_000.0:
        raise ValueError(f"height {value[2]} m outside [-1000, 30000]")
    return value


def _check_range(value: tuple[float, float]) -> tuple[float, float]:
    low, high = value
    if low > high:
        raise ValueError(f"range [{low}, {high}] has its low end above its high end")
    return value


LatLon = Annotated[tuple[float, float], AfterValidator(_check_latlon)]
"""[lat_deg, lon_deg]"""
Position = Annotated[tuple[float, ...], AfterValidator(_check_position)]
"""[lat_deg, lon_deg] or [lat_deg, lon_deg, alt_m] (height above the WGS84 ellipsoid)"""
Range = Annotated[tuple[float, float], AfterValidator(_check_range)]
"""[low, high], drawn uniformly"""
Positive = Annotated[float, Field(gt=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
Iso3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""ISO 3166-1 alpha-3 country code, e.g. POL"""
NodeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
"""A node's id as it signs its messages: 1-64 letters, digits, '-', '_' or '.'"""


class StrictModel(BaseModel):
    """A file section: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
