"""Reconnection backoff: doubling with jitter up to the maximum, reset, woken early."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from dronewarn.transports.backoff import Backoff


def test_delays_double_up_to_the_maximum_and_reset() -> None:
    backoff = Backoff(0.001, 0.004, rng=random.Random(1))
    never = asyncio.Event()

    async def fail_four_times() -> list[float]:
        seen = []
        for _ in range(4):
            seen.append(backoff.next_s)
            await backoff.wait(never)
        return seen

    assert asyncio.run(fail_four_times()) == [0.001, 0.002, 0.004, 0.004]
    backoff.reset()
    assert backoff.next_s == 0.001


def test_the_event_cuts_the_wait_short() -> None:
    backoff = Backoff(60.0, 60.0)

    async def woken() -> float:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_soon(stop.set)
        started = time.monotonic()
        await backoff.wait(stop)
        return time.monotonic() - started

    assert asyncio.run(woken()) < 5.0


def test_impossible_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="initial_s <= max_s"):
        Backoff(2.0, 1.0)
    with pytest.raises(ValueError):
        Backoff(0.0, 1.0)
