"""What can physically be true of an air object and of the sensors that see it.

One set of bounds for every gate: a decoder refuses a record whose values fall outside them
(``formats.asterix.plausibility``), and ``sense.ingest`` refuses any Report that does. They are
physical limits, not tuning: a value outside them is a decoding error (a wrong edition, a
corrupt record) or a faulty sender, never a target.
"""

from __future__ import annotations

from typing import Final

MIN_ALT_M: Final = -1_000.0
"""Below any land (the Dead Sea shore is -430 m) with room for a barometric altitude's error."""
MAX_ALT_M: Final = 30_000.0
"""Above anything that flies in an air picture (airliners 13 km, U-2 21 km, balloons 30 km)."""
MAX_RANGE_M: Final = 1_000_000.0
"""No sensor dronewarn knows sees farther than 1,000 km."""
RANGE_MARGIN: Final = 1.2
"""A plot up to 20 % beyond a radar's configured reach is still believed (anomalous
propagation: ducting carries a radar's beam beyond its horizon)."""
MAX_SPEED_MPS: Final = 3_500.0
"""Mach 10: faster than any aircraft, drone or cruise missile, and than the air-launched
ballistic missiles (Kinzhal) an air picture may show."""
MAX_TIME_OF_DAY_S: Final = 86_401.0
"""An ASTERIX time of day may reach 86400.x during a leap second, never beyond."""
