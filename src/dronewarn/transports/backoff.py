"""Waiting between reconnections: exponential backoff with jitter, cut short by an event.

Every client that keeps a connection to a server it does not control (a TAK server, a SAPIENT
DMM, a stream target) waits ``initial_s`` after the first failure, twice as long after each
further one up to ``max_s``, each wait jittered by +/-50 % so that many clients cut off together
do not call back in step; a connection that worked ``reset``s it. The wait ends early when the
given event is set (the client is closing, or has something new to send).
"""

from __future__ import annotations

import asyncio
import contextlib
import random


class Backoff:
    def __init__(self, initial_s: float, max_s: float, *, rng: random.Random | None = None) -> None:
        if not 0.0 < initial_s <= max_s:
            raise ValueError(f"backoff wants 0 < initial_s <= max_s, not {initial_s}, {max_s}")
        self.initial_s = initial_s
        self.max_s = max_s
        self.next_s = initial_s
        self._random = rng or random.Random()

    def reset(self) -> None:
        """The connection worked: the next failure waits ``initial_s`` again."""
        self.next_s = self.initial_s

    async def wait(self, until: asyncio.Event) -> None:
        """Sleep the next (jittered) delay or until ``until`` is set; then double the delay."""
        delay_s = self.next_s * self._random.uniform(0.5, 1.5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), delay_s)
        self.next_s = min(self.next_s * 2.0, self.max_s)
