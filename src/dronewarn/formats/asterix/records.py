"""The decoded ASTERIX records that can become a Report (one name for the union)."""

from __future__ import annotations

from dronewarn.formats.asterix.cat001 import Cat001Report
from dronewarn.formats.asterix.cat010 import Cat010Report
from dronewarn.formats.asterix.cat015 import Cat015Report
from dronewarn.formats.asterix.cat020 import Cat020Report
from dronewarn.formats.asterix.cat021 import Cat021Report
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.cat062 import Cat062Track

PositionRecord = (
    Cat001Report
    | Cat048Plot
    | Cat062Track
    | Cat021Report
    | Cat015Report
    | Cat010Report
    | Cat020Report
)
"""The records that can give a Report (the status categories and CAT034 cannot)."""
