"""``[tracker]`` and ``[assess]``: optional overrides of the engines' defaults.

The defaults are the ones the engines document (``track.tracker.TrackerConfig``,
``assess.lifecycle.AssessConfig``) and are meant to be right for a deployment: a key is
written only to depart from them. Each section accepts exactly the engine's own field names
(an unknown key is an error), with the type of the default; ``apply`` lays the overrides on
the defaults.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from dronewarn.assess.lifecycle import AssessConfig
from dronewarn.track.tracker import TrackerConfig

_T = TypeVar("_T")


def _overrides(name: str, engine: type[Any], extra: dict[str, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(engine):
        default = item.default
        kind = type(default) if default is not dataclasses.MISSING else Any
        fields[item.name] = (kind | None, Field(default=None, description=f"default {default}"))
    fields.update(extra)
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__=f"Overrides of {engine.__name__} (each key optional).",
        **fields,
    )


if TYPE_CHECKING:  # the classes are made from the engines' fields at import

    class TrackerOverrides(BaseModel):
        frame_s: float | None = None

    class AssessOverrides(BaseModel): ...

else:
    _FRAME = Field(
        default=None,
        ge=0,
        description="reports arriving within one frame are fused together (default 2)",
    )
    TrackerOverrides = _overrides(
        "TrackerOverrides", TrackerConfig, {"frame_s": (float | None, _FRAME)}
    )
    AssessOverrides = _overrides("AssessOverrides", AssessConfig, {})


def apply(defaults: _T, overrides: BaseModel, skip: frozenset[str] = frozenset()) -> _T:
    """``defaults`` (a dataclass instance) with every override that was given."""
    given = {k: v for k, v in overrides.model_dump(exclude_none=True).items() if k not in skip}
    return dataclasses.replace(defaults, **given)  # type: ignore[type-var]
