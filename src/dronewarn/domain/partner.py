"""Partner: another node this node shares with, and the airspace it guards."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Partner:
    node_id: str
    country_iso3: str
    name: str = ""
    zones: tuple[str, ...] = ()
    """Protected zones of the partner's (airports, restricted areas) that it is warned about,
    besides its country."""

    @property
    def areas(self) -> tuple[str, ...]:
        return (self.country_iso3, *self.zones)
