"""ADS-B position accuracy categories as distances: what NACp and NUCp mean in metres.

Shared by every ADS-B input (``formats.adsb`` for aircraft.json, SBS and raw Mode S;
``formats.asterix.reports`` for CAT021). Both tables give a 95 % bound; a 1-sigma horizontal
error is the bound / 2.4477 (the 95 % radius of a circular Gaussian).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

NM_M = 1852.0
CIRCULAR_95_SIGMAS = 2.4477
"""The 95 % containment radius of a circular 2-D Gaussian, in sigmas."""

NACP_EPU_M: Mapping[int, float] = MappingProxyType(
    {
        11: 3.0,
        10: 10.0,
        9: 30.0,
        8: 0.05 * NM_M,
        7: 0.1 * NM_M,
        6: 0.3 * NM_M,
        5: 0.5 * NM_M,
        4: 1.0 * NM_M,
        3: 2.0 * NM_M,
        2: 4.0 * NM_M,
        1: 10.0 * NM_M,
    }
)
"""NACp -> estimated position uncertainty, 95 % bound (RTCA DO-260B 2.2.5.1.35, table 2-70);
0 is unknown."""

NUCP_RC_M: Mapping[int, float] = MappingProxyType(
    {
        9: 3.0,
        8: 10.0,
        7: 0.05 * NM_M,
        6: 0.1 * NM_M,
        5: 0.25 * NM_M,
        4: 0.5 * NM_M,
        3: 1.0 * NM_M,
        2: 5.0 * NM_M,
        1: 10.0 * NM_M,
    }
)
"""NUCp -> 95 % horizontal containment radius (RTCA DO-260, ADS-B version 0; CAT021 0.2x
calls it HFOM); 0 is unknown."""
