"""The hand-off from a node's listeners to its loop: one bounded queue per input channel.

Listeners run on their own threads (the asyncio loop of the sockets, paho's MQTT thread, the
HTTP server's) and put one ``Inbound`` per message they received: a UDP datagram or a stream
chunk as raw bytes for the node to decode, or what a listener that must answer its sender
has decoded already (a SAPIENT frame, an HTTP request of sightings, an MQTT message whose
topic it checked). The node's loop takes them in arrival order.

Each channel's queue is bounded and drops its *oldest* message when full (counted in
``dropped``): for early warning the newest detections are worth more than a backlog. With
a replay clock, ``take_exactly`` hands over exactly the messages of one feeder step.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from dronewarn.domain.errors import InputError
from dronewarn.domain.report import Report

DEFAULT_CAPACITY = 50_000
"""Messages a channel may hold before the oldest go (about a minute of a busy radar feed)."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message a listener received on ``channel_id`` at ``received_s`` (UTC s)."""

    channel_id: str
    received_s: float
    payload: bytes | None = None
    """Bytes for the node to decode (``Node.on_payloads``); None: already decoded."""
    reports: tuple[Report, ...] = ()
    errors: tuple[InputError, ...] = ()


@dataclass
class ChannelCounts:
    received: int = 0
    dropped: int = 0
    last_s: float = float("nan")


class InboundQueues:
    """Per-channel FIFOs with drop-oldest, shared by listener threads and the node's loop."""

    def __init__(self, channels: Iterable[str], capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._queues: dict[str, deque[tuple[int, Inbound]]] = {name: deque() for name in channels}
        self.counts = {name: ChannelCounts() for name in self._queues}
        self._ready = threading.Condition()
        self._sequence = 0
        self._queued = 0

    def put(self, item: Inbound) -> None:
        """From any thread. A message on an unknown channel is a bug of the caller."""
        with self._ready:
            queue = self._queues[item.channel_id]
            counts = self.counts[item.channel_id]
            counts.received += 1
            counts.last_s = item.received_s
            if len(queue) >= self.capacity:
                queue.popleft()
                counts.dropped += 1
                self._queued -= 1
            self._sequence += 1
            queue.append((self._sequence, item))
            self._queued += 1
            self._ready.notify_all()

    def take_all(self, wait_s: float, max_items: int = 10_000) -> list[Inbound]:
        """What is queued (up to ``max_items``) in arrival order across channels, waiting up
        to ``wait_s`` for the first message."""
        with self._ready:
            if not self._queued:
                self._ready.wait(wait_s)
            heads = [q for q in self._queues.values() if q]
            out: list[Inbound] = []
            while heads and len(out) < max_items:
                first = min(heads, key=lambda q: q[0][0])
                out.append(first.popleft()[1])
                if not first:
                    heads.remove(first)
            self._queued -= len(out)
            return out

    def take_exactly(self, channel_id: str, count: int, timeout_s: float) -> list[Inbound]:
        """The next ``count`` messages of one channel, waiting up to ``timeout_s`` for them
        (fewer if they do not come: a datagram lost on the way)."""
        deadline = time.monotonic() + timeout_s
        with self._ready:
            queue = self._queues[channel_id]
            while len(queue) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._ready.wait(left)
            out = [queue.popleft()[1] for _ in range(min(count, len(queue)))]
            self._queued -= len(out)
            return out

    def depth(self) -> dict[str, int]:
        with self._ready:
            return {name: len(q) for name, q in self._queues.items()}

    def wake(self) -> None:
        """Wake a waiting ``take_all`` (the node is stopping)."""
        with self._ready:
            self._ready.notify_all()
