"""Operator commands: the API queues them, the node's loop carries them out.

The node is owned by its loop's thread, so the web server never touches it: a command goes
into this queue with a future, the loop drains the queue between deliveries (and while it
idles after the night) and resolves each future with the result or the error.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum


class CommandKind(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    """A received warning was seen: the sender hears "received"."""
    RATE = "rate"
    """A received warning was useful / not useful / a false alarm."""
    CONFIRM = "confirm"
    """An outgoing warning is confirmed by the operator."""
    SUPPRESS = "suppress"
    """An outgoing warning is cancelled; the partner hears CANCELLED."""


@dataclass(frozen=True)
class OperatorCommand:
    kind: CommandKind
    warning_id: str
    operator: str
    rating: str = ""
    note: str = ""


class CommandRefusedError(Exception):
    """The node could not carry out a command (unknown warning, closed warning...)."""


Executor = Callable[[OperatorCommand], dict[str, object]]


class CommandQueue:
    def __init__(self, maxsize: int = 1000) -> None:
        self._queue: queue.Queue[tuple[OperatorCommand, Future[dict[str, object]]]] = queue.Queue(
            maxsize
        )

    def submit(self, command: OperatorCommand) -> Future[dict[str, object]]:
        """Queue a command; raises ``queue.Full`` when the node is not draining."""
        future: Future[dict[str, object]] = Future()
        self._queue.put_nowait((command, future))
        return future

    async def run(self, command: OperatorCommand, timeout_s: float) -> dict[str, object]:
        """Submit and wait (without blocking the event loop) for the node's answer."""
        future = self.submit(command)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)

    def drain(self, execute: Executor) -> int:
        """Carry out every queued command (in the node's thread); returns how many."""
        done = 0
        while True:
            try:
                command, future = self._queue.get_nowait()
            except queue.Empty:
                return done
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(execute(command))
            except (KeyError, ValueError, CommandRefusedError) as exc:
                future.set_exception(CommandRefusedError(str(exc).strip("'\"")))
            except Exception as exc:  # the node keeps running; the operator sees why
                future.set_exception(exc)
            done += 1
