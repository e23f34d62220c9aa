"""Partner: another node this node shares with, and the airspace it guards."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Partner:
    node_id: str
    country_iso3: str
    name: str = ""
