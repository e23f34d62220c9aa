"""What a node shares with one partner, as users write it (``[partners.policy]`` in node.toml,
``share`` in a scenario), and the typed ``SharingPolicy`` the node applies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dronewarn.deploy.fields import StrictModel
from dronewarn.domain.report import ObjectClass
from dronewarn.domain.warning import WarningGrade, WarningState
from dronewarn.share.policy import SharingPolicy


class PolicySpec(StrictModel):
    """What a node shares with one partner (``share.policy``); omitted keys share everything.

    ``kinds = []`` keeps the link for acknowledgements and ratings only: the node warns the
    partner of nothing and shares no air picture with it (it may still receive from it).
    """

    states: list[WarningState] | None = None
    classes: list[ObjectClass] | None = None
    areas: list[str] | None = None
    position_precision_deg: Annotated[float, Field(gt=0, le=1)] | None = None
    max_per_minute: Annotated[int, Field(ge=1)] | None = None
    kinds: list[Literal["warning", "tracks"]] | None = None
    tracks_within_km: Annotated[float, Field(ge=0)] = 50.0
    track_period_s: Annotated[float, Field(gt=0)] = 10.0
    delay_s: Annotated[float, Field(ge=0)] = 0.0
    track_fields: list[Literal["sigma_m", "object_class", "cooperative"]] | None = None
    grades: list[WarningGrade] | None = None
    """``["warning"]``: no watches, only probable crossings (default: both)."""
    watch_probability: Annotated[float, Field(gt=0, le=1)] | None = None
    warning_probability: Annotated[float, Field(gt=0, le=1)] | None = None
    """The crossing probabilities that open a watch and a warning to this partner
    (default: the node's ``[assess]`` values)."""

    @model_validator(mode="after")
    def _ordered(self) -> PolicySpec:
        if (
            self.watch_probability is not None
            and self.warning_probability is not None
            and self.watch_probability > self.warning_probability
        ):
            raise ValueError(
                f"watch_probability {self.watch_probability} is above warning_probability "
                f"{self.warning_probability}: a watch is the lower bar"
            )
        return self

    @property
    def link_only(self) -> bool:
        """Nothing is shared: the link carries acknowledgements and ratings only."""
        return self.kinds is not None and not self.kinds


def sharing_policy(spec: PolicySpec) -> SharingPolicy:
    """The typed policy of a ``[partners.policy]`` (or a scenario's ``share``) entry."""
    return SharingPolicy(
        states=None if spec.states is None else frozenset(spec.states),
        classes=None if spec.classes is None else frozenset(spec.classes),
        areas=None if spec.areas is None else frozenset(spec.areas),
        position_precision_deg=spec.position_precision_deg,
        max_per_minute=spec.max_per_minute,
        kinds=None if spec.kinds is None else frozenset(spec.kinds),
        tracks_within_km=spec.tracks_within_km,
        track_period_s=spec.track_period_s,
        delay_s=spec.delay_s,
        track_fields=None if spec.track_fields is None else frozenset(spec.track_fields),
        grades=None if spec.grades is None else frozenset(spec.grades),
        watch_probability=spec.watch_probability,
        warning_probability=spec.warning_probability,
    )
