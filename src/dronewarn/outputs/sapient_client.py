"""dronewarn as a SAPIENT node of a DMM (a fusion or decision-making node): the TCP session.

``SapientClient`` is the session: it connects, sends a Registration (node definition
``NODE_TYPE_FUSION_NODE``, capabilities, status interval, one mode with its detection
definition and class taxonomy: every field the v2.0 schema makes mandatory), waits for the
RegistrationAck, then sends what is queued, a StatusReport every ``status_interval_s`` and
Alerts until each is acknowledged (an AlertAck). Tasks are answered with a TaskAck that
rejects them. A lost or refused connection is retried with exponential backoff.
Track reports are at-most-once (a stale track is worth nothing); alerts are at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf.message import (  # type: ignore[import-untyped, unused-ignore]
    DecodeError as ProtobufDecodeError,
)
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage
from sapient_msg.bsi_flex_335_v2_0.task_ack_pb2 import TaskAck

from dronewarn.domain.errors import FieldValueError
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import Warning
from dronewarn.formats.sapient.encode import (
    SapientClientConfig,
    envelope,
    registration_message,
    status_message,
    track_message,
    warning_message,
)
from dronewarn.formats.sapient.framing import MAX_MESSAGE_BYTES
from dronewarn.formats.sapient.framing import encode_message as frame
from dronewarn.transports.backoff import Backoff

log = logging.getLogger(__name__)
_HEADER = struct.Struct("<I")


async def read_message(
    reader: asyncio.StreamReader, max_message_bytes: int = MAX_MESSAGE_BYTES
) -> SapientMessage:
    """The next framed message of a stream (IncompleteReadError at its end).

    A length above the limit or bytes that are no SapientMessage raise FieldValueError: the
    stream cannot be trusted any more.
    """
    header = await reader.readexactly(_HEADER.size)
    (length,) = _HEADER.unpack(header)
    if length > max_message_bytes:
        raise FieldValueError(
            f"frame declares {length} bytes, above {max_message_bytes}", data=header, field="length"
        )
    payload = await reader.readexactly(length)
    message = SapientMessage()
    try:
        message.ParseFromString(payload)
    except (ProtobufDecodeError, ValueError) as error:
        raise FieldValueError(
            f"not a SapientMessage: {error}", data=payload, field="message"
        ) from error
    return message


class RegistrationRefusedError(Exception):
    """The DMM answered our Registration with ``acceptance`` false."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons) or "registration refused without a reason")


@dataclass(slots=True)
class ClientStats:
    connects: int = 0
    registrations: int = 0
    refusals: int = 0
    last_refusal: tuple[str, ...] = ()
    sent: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    errors_from_dmm: list[str] = field(default_factory=list)


class SapientClient:
    """dronewarn's SAPIENT session to one DMM: ``send_track``/``send_warning`` queue, ``run``
    connects, registers and delivers until ``close``."""

    def __init__(
        self, config: SapientClientConfig, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self._clock = clock
        self._tracks: deque[tuple[float, SapientMessage]] = deque()
        self._control: deque[SapientMessage] = deque()
        self._unacked: dict[str, SapientMessage] = {}
        self._alert_of_warning: dict[str, str] = {}
        self._alerts_due: deque[str] = deque()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._registered = asyncio.Event()
        self._acked = asyncio.Event()
        self.stats = ClientStats()

    # -------------------------------------------------------------------- queueing

    def send_track(self, state: TrackState) -> None:
        """Queue a track state (dropped, counted, if the queue is full or it goes stale)."""
        if len(self._tracks) >= self.config.queue_limit:
            self._tracks.popleft()
            self.stats.dropped["track_queue_full"] += 1
        message = track_message(
            state, self.config.node_id, destination_id=self.config.destination_id
        )
        self._tracks.append((state.time_s, message))
        self._wake.set()

    def send_warning(self, warning: Warning) -> None:
        """Queue a warning; it is sent (again after a reconnect) until the DMM acknowledges it.

        A newer message of the same warning replaces one not yet acknowledged.
        """
        message = warning_message(
            warning, self.config.node_id, destination_id=self.config.destination_id
        )
        alert_id = str(message.alert.alert_id)
        superseded = self._alert_of_warning.get(warning.warning_id)
        if (
            superseded is not None
            and superseded != alert_id
            and self._unacked.pop(superseded, None) is not None
        ):
            self.stats.dropped["alert_superseded"] += 1
        if warning.state.is_closing:
            self._alert_of_warning.pop(warning.warning_id, None)
        else:
            self._alert_of_warning[warning.warning_id] = alert_id
        if alert_id not in self._unacked and len(self._unacked) >= self.config.queue_limit:
            oldest = next(iter(self._unacked))
            del self._unacked[oldest]
            self.stats.dropped["alert_queue_full"] += 1
        self._unacked[alert_id] = message
        self._alerts_due.append(alert_id)
        self._wake.set()

    @property
    def unacknowledged(self) -> frozenset[str]:
        """Alert ids sent or queued and not yet acknowledged."""
        return frozenset(self._unacked)

    @property
    def registered(self) -> bool:
        return self._registered.is_set()

    async def wait_registered(self) -> None:
        await self._registered.wait()

    async def wait_acknowledged(self) -> None:
        """Until every queued alert has been acknowledged."""
        while self._unacked:
            self._acked.clear()
            await self._acked.wait()

    async def close(self) -> None:
        """Stop ``run`` (it returns after closing the connection)."""
        self._stop.set()
        self._wake.set()

    # ----------------------------------------------------------------------- session

    async def run(self) -> None:
        """Connect, register and deliver; reconnect with backoff until ``close``."""
        backoff = Backoff(self.config.backoff_initial_s, self.config.backoff_max_s)
        while not self._stop.is_set():
            registrations = self.stats.registrations
            try:
                await self._session()
            except RegistrationRefusedError as error:
                self.stats.refusals += 1
                self.stats.last_refusal = error.reasons
                log.warning("SAPIENT DMM refused our registration: %s", error)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, FieldValueError) as error:
                log.info(
                    "SAPIENT connection to %s:%s: %s", self.config.host, self.config.port, error
                )
            finally:
                self._registered.clear()
            if self._stop.is_set():
                break
            if self.stats.registrations > registrations:  # it worked for a while: start over
                backoff.reset()
            await backoff.wait(self._stop)

    async def _session(self) -> None:
        """One connection, until it fails or ``close``."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.config.host, self.config.port),
            self.config.connect_timeout_s,
        )
        self.stats.connects += 1
        tasks: list[asyncio.Task[None]] = []
        try:
            writer.write(frame(registration_message(self.config, self._clock())))
            await writer.drain()
            await asyncio.wait_for(self._await_ack(reader), self.config.ack_timeout_s)
            self.stats.registrations += 1
            self._registered.set()
            self._alerts_due = deque(self._unacked)
            self._control.appendleft(status_message(self.config, self._clock(), first=True))
            self._wake.set()
            tasks = [
                asyncio.create_task(self._send_loop(writer)),
                asyncio.create_task(self._receive_loop(reader)),
                asyncio.create_task(self._status_loop()),
                asyncio.create_task(self._wait_stop()),
            ]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _wait_stop(self) -> None:
        await self._stop.wait()

    async def _await_ack(self, reader: asyncio.StreamReader) -> None:
        while True:
            message = await read_message(reader, self.config.max_message_bytes)
            kind = message.WhichOneof("content")
            self.stats.received[str(kind)] += 1
            if kind == "registration_ack":
                ack = message.registration_ack
                if not ack.acceptance:
                    raise RegistrationRefusedError(tuple(ack.ack_response_reason))
                return
            if kind == "error":
                self.stats.errors_from_dmm.extend(message.error.error_message)

    async def _receive_loop(self, reader: asyncio.StreamReader) -> None:
        while True:
            message = await read_message(reader, self.config.max_message_bytes)
            kind = message.WhichOneof("content")
            self.stats.received[str(kind)] += 1
            if kind == "alert_ack":
                if self._unacked.pop(str(message.alert_ack.alert_id), None) is not None:
                    self._acked.set()
            elif kind == "error":
                reasons = list(message.error.error_message)
                self.stats.errors_from_dmm.extend(reasons)
                log.warning("SAPIENT DMM reports an error: %s", "; ".join(reasons))
            elif kind == "task":
                self._control.append(self._task_refusal(message))
                self._wake.set()

    def _task_refusal(self, task: SapientMessage) -> SapientMessage:
        reply = envelope(self.config.node_id, self._clock(), str(task.node_id) or None)
        reply.task_ack.task_id = task.task.task_id
        reply.task_ack.task_status = TaskAck.TASK_STATUS_REJECTED
        reply.task_ack.reason.append("dronewarn accepts no tasks")
        return reply

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.status_interval_s)
            self._control.append(status_message(self.config, self._clock(), first=False))
            self._wake.set()

    def _next(self) -> tuple[str, SapientMessage] | None:
        if self._control:
            message = self._control.popleft()
            return str(message.WhichOneof("content")), message
        while self._alerts_due:
            alert = self._unacked.get(self._alerts_due.popleft())
            if alert is not None:
                return "alert", alert
        while self._tracks:
            time_s, message = self._tracks.popleft()
            if self._clock() - time_s > self.config.track_max_age_s:
                self.stats.dropped["track_stale"] += 1
                continue
            return "detection_report", message
        return None

    async def _send_loop(self, writer: asyncio.StreamWriter) -> None:
        while True:
            item = self._next()
            if item is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            kind, message = item
            writer.write(frame(message))
            await writer.drain()
            self.stats.sent[kind] += 1
