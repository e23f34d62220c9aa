"""The replay clock: a feeder, not the wall clock, says what time it is (simulated nights).

Only a node whose node.toml has a ``[replay]`` section runs this; it listens on
``clock_listen`` for one feeder at a time. The feeder sends the simulated sensors' messages
to the node's real listeners (UDP, TCP, MQTT, HTTP) and, on this connection, one JSON line
per *step* saying what they were::

    {"t": 1757451600.5, "channel": "pl-radar-siedlce", "n": 3}   the next 3 messages of that
                                                                  channel arrived at t
    {"t": 1757451601.0}                                           time t has come (no input)
    {"t": 1757451601.0, "hold": true}                             the clock reads t; nothing
                                                                  runs (an HTTP endpoint about
                                                                  to be called judges by it)
    {"drain": true}          answer when everything this node sent has been acknowledged
    {"outcome": true}        answer with what the node ended with (warnings, counts, links)

The node takes exactly ``n`` messages of the channel from its listeners' queues (waiting up
to ``step_timeout_s`` for any still on the way; one that never comes is counted as missing),
hands them to its stages at time ``t`` and then runs its cycle at ``t``, exactly as if the
clock had read ``t``. Steps arrive in time order across channels, so the result does not
depend on which socket was faster. After every few steps it answers ``{"done": k}`` (steps
completed so far): the feeder keeps a bounded number of steps in flight, so no socket buffer
overflows however fast it replays. Every answer is one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Step:
    """One line from the feeder."""

    time_s: float | None = None
    channel: str | None = None
    count: int = 0
    hold: bool = False
    """Only set the clock: no input, no cycle."""
    request: str | None = None
    """``drain`` or ``outcome`` for a question, else None."""


def parse_step(line: bytes) -> Step:
    """A feeder line; ValueError with the reason when it is not one."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("a step is a JSON object")
    for request in ("drain", "outcome"):
        if data.get(request):
            return Step(request=request)
    time_s = data.get("t")
    if not isinstance(time_s, int | float) or isinstance(time_s, bool):
        raise ValueError(f"a step needs a number t, not {time_s!r}")
    channel = data.get("channel")
    count = data.get("n", 0)
    if channel is not None and not isinstance(channel, str):
        raise ValueError("channel is a string")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"n is a count, not {count!r}")
    hold = data.get("hold", False)
    if not isinstance(hold, bool):
        raise ValueError("hold is true or false")
    return Step(float(time_s), channel, count, hold)


class ReplayControl:
    """The clock listener: steps in (``next``), answers out (``answer``)."""

    def __init__(self, host: str, port: int) -> None:
        self._server = socket.create_server((host, port), reuse_port=False)
        self._server.settimeout(0.5)
        self.port = int(self._server.getsockname()[1])
        self._steps: queue.Queue[Step] = queue.Queue()
        self._connection: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="replay-clock", daemon=True)
        self.refused = 0
        self.connected = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._server.close()
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(2.0)

    def next(self, timeout_s: float) -> Step | None:
        try:
            return self._steps.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def pending(self) -> int:
        return self._steps.qsize()

    def answer(self, message: dict[str, Any]) -> None:
        """One JSON line to the feeder (dropped if none is connected)."""
        connection = self._connection
        if connection is None:
            return
        data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"
        with self._send_lock, contextlib.suppress(OSError):
            connection.sendall(data)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connection = connection
            self.connected = True
            try:
                self._read(connection)
            finally:
                self.connected = False
                self._connection = None
                with contextlib.suppress(OSError):
                    connection.close()

    def _read(self, connection: socket.socket) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            if len(buffer) > MAX_LINE_BYTES and b"\n" not in buffer:
                log.warning("replay feeder sent an over-long line; connection closed")
                return
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                try:
                    self._steps.put(parse_step(line))
                except ValueError as exc:
                    self.refused += 1
                    self.answer({"error": f"not a step: {exc}"})
