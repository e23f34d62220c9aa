"""The replay clock: a feeder, not the wall clock, says what time it is (simulated nights).

Only a node whose node.toml has a ``[replay]`` section runs this; it listens on
``clock_listen`` for one feeder at a time. The feeder sends the simulated sensors' messages
to the node's real listeners (UDP, TCP, MQTT, HTTP) and, on this connection, one JSON line
per *step* saying what they were::

    {"t": 1757451600.5, "channel": "pl-radar-siedlce", "n": 3, "total": 1207}
                                     the next 3 messages of that channel arrived at t
                                     (1,207 of its messages since the feeder connected)
    {"t": 1757451601.0}                                           time t has come (no input)
    {"t": 1757451601.0, "hold": true}                             the clock reads t; nothing
                                                                  runs (an HTTP endpoint about
                                                                  to be called judges by it)
    {"drain": true}          answer when everything this node sent has been acknowledged
    {"outcome": true}        answer with what the node ended with (warnings, counts, links)

The node takes the channel's messages from its listeners' queues until it has taken
``total`` since the feeder connected (waiting up to ``step_timeout_s`` for any still on the
way; one that never comes is counted as missing, and one that comes late is taken with the
next step, so the count never drifts),
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
import math
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1 << 20
SEND_TIMEOUT_S = 10.0
"""An answer the feeder does not take within this ends its connection (never the node's
loop)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One line from the feeder."""

    time_s: float | None = None
    channel: str | None = None
    count: int = 0
    total: int = 0
    """The channel's messages since the feeder connected, this step's included (0: not
    given; ``count`` alone)."""
    hold: bool = False
    """Only set the clock: no input, no cycle."""
    request: str | None = None
    """``drain`` or ``outcome`` for a question (``connected``: a new feeder), else None."""


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
    try:
        when = float(time_s)
    except OverflowError:
        raise ValueError(f"t {time_s} is no time") from None
    if not math.isfinite(when):
        raise ValueError(f"t {time_s} is no time")
    channel = data.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise ValueError("channel is a string")
    counts = [data.get("n", 0), data.get("total", 0)]
    for value in counts:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"n and total are counts, not {value!r}")
    hold = data.get("hold", False)
    if not isinstance(hold, bool):
        raise ValueError("hold is true or false")
    return Step(when, channel, counts[0], counts[1], hold)


class ReplayControl:
    """The clock listener: steps in (``next``), answers out (``answer``)."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._server: socket.socket | None = None
        self.port = port
        self._steps: queue.Queue[Step] = queue.Queue()
        self._connection: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="replay-clock", daemon=True)
        self.refused = 0
        self.connected = False

    def start(self) -> None:
        """Bind (OSError if the address is taken) and serve."""
        self._server = socket.create_server(self._address)
        self._server.settimeout(0.5)
        self.port = int(self._server.getsockname()[1])
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread.ident is not None:
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
        with self._send_lock:
            try:
                connection.sendall(data)
            except OSError:  # a feeder that stopped reading (the send timed out) is dropped
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def _serve(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.settimeout(SEND_TIMEOUT_S)
            self._steps.put(Step(request="connected"))
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
            except TimeoutError:
                continue  # an idle feeder
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
