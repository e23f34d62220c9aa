"""A SAPIENT fusion node: the TCP server (DMM side) that SAPIENT edge nodes connect to.

Protocol (BSI Flex 335 v2.0; SAPIENT Interface Control Document v7, DSTL/PUB145591): an edge node
opens a TCP connection and sends length-prefixed ``SapientMessage`` frames (see
``dronewarn.formats.sapient``). Its first message is a Registration; the fusion node answers a
RegistrationAck with ``acceptance`` true, or false with the reasons. A registered node then
sends StatusReports (its state, mode and location), DetectionReports and Alerts; each Alert is
answered by an AlertAck (``ALERT_ACK_STATUS_ACCEPTED``) so that the node can stop repeating it.

What this server does with each message:

* Registration: checked against the schema's mandatory fields, the ICD version and this
  node's configuration (``nodes``; an unconfigured node is refused unless
  ``accept_unconfigured``). Accepted: the node is registered on this connection (a node that
  registers again from a new connection takes its id over and the old connection is closed).
* StatusReport: its ``node_location`` becomes the node's site for range-bearing reports.
* DetectionReport: converted to a ``Report`` and handed to ``on_report`` (and, with the
  velocity a Report cannot carry, to ``on_detection``); from a connection
  that has not registered (or registered as another node) it is refused and counted as
  ``unregistered``.
* Alert: handed to ``on_alert`` and acknowledged.

Every refused message is counted by its error's ``kind`` in ``errors`` and answered with a
SAPIENT ``Error`` message carrying the start of the offending frame and the reason, so that the
node's integrator sees why (silent refusals are what users of other middleware complain of).
A frame that cannot be decoded does not end the connection: the framing still holds. A
connection whose framing breaks (a declared length above the limit) is answered and closed;
other connections are not affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from sapient_msg.bsi_flex_335_v2_0.alert_ack_pb2 import AlertAck
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage

from dronewarn.domain.errors import ConfigError, DecodeError, InputError
from dronewarn.domain.report import GeoPoint, Report
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.sapient.convert import (
    DetectionConversion,
    NodeContext,
    SapientConfig,
    detection_to_report,
    status_site,
)
from dronewarn.formats.sapient.framing import Deframer, FrameTooLargeError, encode_message
from dronewarn.formats.sapient.messages import (
    SapientAlert,
    SapientDetection,
    SapientErrorReport,
    SapientMessageData,
    SapientRegistration,
    SapientStatus,
    decode_message,
)
from dronewarn.formats.sapient.schema import is_uuid

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class UnregisteredNodeError(InputError):
    """A message other than a Registration from a connection not registered as its node."""

    kind = "unregistered"


@dataclass(frozen=True, slots=True)
class SapientServerConfig:
    """The fusion node's listener.

    ``nodes`` maps an edge node's UUID (any case) to the sensor it is at this node: its
    ``sensor_id`` names the Reports and its ``site`` is used until the node reports its own
    location.
    """

    node_id: str
    """This fusion node's own UUID: the ``node_id`` of every message it sends."""
    host: str = "127.0.0.1"
    port: int = 0
    nodes: Mapping[str, SensorConfig] = field(default_factory=lambda: MappingProxyType({}))
    accept_unconfigured: bool = False
    """Register nodes that are not in ``nodes`` (their reports are named ``sapient-<uuid>``,
    or after ``default_sensor``)."""
    default_sensor: SensorConfig | None = None
    """With ``accept_unconfigured``: the sensor an unconfigured node is (a listener that
    belongs to one sensor takes whichever node registers on it)."""
    decode: SapientConfig = field(default_factory=SapientConfig)
    max_clients: int = 64
    read_bytes: int = 65_536
    error_packet_bytes: int = 4_096
    """How much of a refused frame goes back in the Error message."""

    def __post_init__(self) -> None:
        if not is_uuid(self.node_id):
            raise ConfigError(f"SAPIENT fusion node id {self.node_id!r} is not a UUID")


@dataclass(frozen=True, slots=True)
class NodeAlert:
    """An Alert from a registered node."""

    node_id: str
    sensor_id: str
    time_s: float
    alert: SapientAlert


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """A StatusReport from a registered node."""

    node_id: str
    sensor_id: str
    time_s: float
    status: SapientStatus


@dataclass(frozen=True, slots=True)
class NodeDetection:
    """A DetectionReport from a registered node with what dronewarn made of it: the Report
    (None when skipped) and the velocity in m/s, which a Report cannot carry."""

    node_id: str
    sensor_id: str
    time_s: float
    detection: SapientDetection
    conversion: DetectionConversion


@dataclass(slots=True)
class _Node:
    node_id: str
    sensor_id: str
    registration: SapientRegistration
    site: GeoPoint | None


@dataclass(slots=True, eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    peer: str
    node: _Node | None = None
    frame_reports: list[Report] = field(default_factory=list)
    frame_errors: list[InputError] = field(default_factory=list)
    """What the frame being handled gave (each connection its own: handlers interleave)."""


ReportSink = Callable[[Report], None]
FrameSink = Callable[[str | None, list[Report], list[InputError]], None]
"""After each frame: the sensor id of its connection (None: unregistered), the Report it gave
(none or one) and the errors it was refused with."""


class SapientServer:
    """Accepts SAPIENT edge nodes and turns their detections into Reports.

    Counters (all since start): ``received`` by content kind, ``errors`` by error kind,
    ``reports`` handed on, ``skipped`` detections that were no air object or a lost one.
    """

    def __init__(
        self,
        config: SapientServerConfig,
        on_report: ReportSink,
        *,
        on_alert: Callable[[NodeAlert], None] | None = None,
        on_status: Callable[[NodeStatus], None] | None = None,
        on_detection: Callable[[NodeDetection], None] | None = None,
        on_frame: FrameSink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._on_report = on_report
        self._on_alert = on_alert
        self._on_status = on_status
        self._on_detection = on_detection
        self._on_frame = on_frame
        self._clock = clock
        self._own_id = config.node_id.lower()
        self._configured = {k.lower(): v for k, v in config.nodes.items()}
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._by_node: dict[str, _Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.received: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.reports = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> int:
        """Listen; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._accept, self.config.host, self.config.port)
        return self.port

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the SAPIENT server is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def registered(self) -> frozenset[str]:
        """UUIDs of the nodes registered on a live connection."""
        return frozenset(self._by_node)

    async def close(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.writer.close()
        if self._tasks:
            # closing a transport ends its reader: the handlers return by themselves
            _, stuck = await asyncio.wait(list(self._tasks), timeout=5.0)
            for task in stuck:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # ----------------------------------------------------------------- connection

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        peername = writer.get_extra_info("peername")
        connection = _Connection(writer, str(peername))
        try:
            if len(self._connections) >= self.config.max_clients:
                self.errors["too_many_clients"] += 1
                return
            self._connections.add(connection)
            await self._read(reader, connection)
        except (ConnectionError, OSError) as error:
            log.info("SAPIENT connection %s lost: %s", connection.peer, error)
        finally:
            self._drop(connection)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    async def _read(self, reader: asyncio.StreamReader, connection: _Connection) -> None:
        deframer = Deframer(self.config.decode.max_message_bytes)
        while True:
            data = await reader.read(self.config.read_bytes)
            if not data:
                try:
                    deframer.check_complete()
                except DecodeError as error:
                    self.errors[error.kind] += 1
                return
            try:
                frames = deframer.feed(data)
            except FrameTooLargeError as error:
                log.warning("SAPIENT connection %s dropped: %s", connection.peer, error)
                await self._refuse(connection, error, error.data, None)
                return
            for offset, payload in frames:
                await self._handle(connection, offset, payload)
            if connection.writer.is_closing():
                return

    def _drop(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        node = connection.node
        if node is not None and self._by_node.get(node.node_id) is connection:
            del self._by_node[node.node_id]

    # ------------------------------------------------------------------- messages

    async def _handle(self, connection: _Connection, offset: int, payload: bytes) -> None:
        connection.frame_reports, connection.frame_errors = [], []
        try:
            await self._handle_frame(connection, offset, payload)
        finally:
            if self._on_frame is not None:
                node = connection.node
                self._deliver_frame(
                    None if node is None else node.sensor_id,
                    connection.frame_reports,
                    connection.frame_errors,
                )

    def _deliver_frame(
        self, sensor_id: str | None, reports: list[Report], errors: list[InputError]
    ) -> None:
        assert self._on_frame is not None
        try:
            self._on_frame(sensor_id, reports, errors)
        except Exception:  # a consumer's bug must not take the node's connection down
            self.errors["callback"] += 1
            log.exception("SAPIENT consumer failed")

    async def _handle_frame(self, connection: _Connection, offset: int, payload: bytes) -> None:
        try:
            message = decode_message(payload, offset=offset)
        except DecodeError as error:
            await self._refuse(connection, error, payload, None)
            return
        self.received[message.kind.value] += 1
        content = message.content
        if isinstance(content, SapientRegistration):
            await self._register(connection, message, content)
            return
        node = connection.node
        if node is None or node.node_id != message.node_id:
            claimed = "no registration" if node is None else f"registered as {node.node_id}"
            await self._refuse(
                connection,
                UnregisteredNodeError(
                    f"{message.kind.value} from node {message.node_id} on a connection with "
                    f"{claimed}"
                ),
                payload,
                message.node_id,
            )
            return
        try:
            if isinstance(content, SapientDetection):
                self._detection(connection, node, message, content)
            elif isinstance(content, SapientStatus):
                self._status(node, message, content)
            elif isinstance(content, SapientAlert):
                self._alert(node, message, content)
                await self._send(connection, self._alert_ack(message, content))
            elif isinstance(content, SapientErrorReport):
                self.errors["error_from_node"] += 1
                log.warning(
                    "SAPIENT node %s reports an error: %s",
                    node.node_id,
                    "; ".join(content.messages),
                )
            else:
                self.errors["unexpected"] += 1
        except DecodeError as error:
            await self._refuse(connection, error, payload, message.node_id)

    def _detection(
        self,
        connection: _Connection,
        node: _Node,
        message: SapientMessageData,
        content: SapientDetection,
    ) -> None:
        context = NodeContext(node.sensor_id, node.site, node.registration.velocity_units)
        conversion = detection_to_report(message, content, context, self.config.decode)
        if self._on_detection is not None:
            self._deliver(
                self._on_detection,
                NodeDetection(node.node_id, node.sensor_id, message.time_s, content, conversion),
            )
        if conversion.report is None:
            self.skipped[conversion.skipped.value] += 1
            return
        self.reports += 1
        connection.frame_reports.append(conversion.report)
        self._deliver(self._on_report, conversion.report)

    def _status(self, node: _Node, message: SapientMessageData, content: SapientStatus) -> None:
        site = status_site(content, self.config.decode)
        if site is not None:
            node.site = site
        if self._on_status is not None:
            self._deliver(
                self._on_status, NodeStatus(node.node_id, node.sensor_id, message.time_s, content)
            )

    def _alert(self, node: _Node, message: SapientMessageData, content: SapientAlert) -> None:
        if self._on_alert is not None:
            self._deliver(
                self._on_alert, NodeAlert(node.node_id, node.sensor_id, message.time_s, content)
            )

    def _deliver(self, sink: Callable[[_T], None], item: _T) -> None:
        try:
            sink(item)
        except Exception:  # a consumer's bug must not take the node's connection down
            self.errors["callback"] += 1
            log.exception("SAPIENT consumer failed")

    async def _register(
        self, connection: _Connection, message: SapientMessageData, content: SapientRegistration
    ) -> None:
        reasons = list(content.problems)
        configured = self._configured.get(message.node_id)
        if configured is None and self.config.accept_unconfigured:
            configured = self.config.default_sensor
        if configured is None and not self.config.accept_unconfigured:
            reasons.append(f"node {message.node_id} is not configured at this fusion node")
        accepted = not reasons
        if accepted:
            if connection.node is not None and connection.node.node_id != message.node_id:
                self._drop_node(connection)
            previous = self._by_node.get(message.node_id)
            if previous is not None and previous is not connection:
                log.info(
                    "SAPIENT node %s registered again from %s", message.node_id, connection.peer
                )
                previous.node = None
                previous.writer.close()
            site = configured.site if configured is not None else None
            if connection.node is not None and connection.node.site is not None:
                site = connection.node.site
            connection.node = _Node(
                node_id=message.node_id,
                sensor_id=(
                    configured.sensor_id if configured is not None else f"sapient-{message.node_id}"
                ),
                registration=content,
                site=site,
            )
            self._by_node[message.node_id] = connection
        else:
            self.errors["registration_refused"] += 1
            log.warning("SAPIENT registration of %s refused: %s", message.node_id, reasons)
        ack = SapientMessage(node_id=self._own_id, destination_id=message.node_id)
        ack.timestamp.FromNanoseconds(int(self._clock() * 1e9))
        ack.registration_ack.acceptance = accepted
        ack.registration_ack.ack_response_reason.extend(reasons)
        await self._send(connection, ack)

    def _drop_node(self, connection: _Connection) -> None:
        node = connection.node
        if node is not None and self._by_node.get(node.node_id) is connection:
            del self._by_node[node.node_id]
        connection.node = None

    def _alert_ack(self, message: SapientMessageData, alert: SapientAlert) -> SapientMessage:
        ack = SapientMessage(node_id=self._own_id, destination_id=message.node_id)
        ack.timestamp.FromNanoseconds(int(self._clock() * 1e9))
        ack.alert_ack.alert_id = alert.alert_id
        ack.alert_ack.alert_ack_status = AlertAck.ALERT_ACK_STATUS_ACCEPTED
        return ack

    async def _refuse(
        self,
        connection: _Connection,
        error: InputError,
        payload: bytes,
        node_id: str | None,
    ) -> None:
        self.errors[error.kind] += 1
        connection.frame_errors.append(error)
        where = getattr(error, "field", "")
        log.info("SAPIENT message from %s refused: %s %s", connection.peer, where, error)
        reply = SapientMessage(node_id=self._own_id)
        reply.timestamp.FromNanoseconds(int(self._clock() * 1e9))
        destination = node_id or (connection.node.node_id if connection.node else None)
        if destination is not None and is_uuid(destination):
            reply.destination_id = destination
        reply.error.packet = payload[: self.config.error_packet_bytes]
        reply.error.error_message.append(f"{where}: {error}" if where else str(error))
        await self._send(connection, reply)

    async def _send(self, connection: _Connection, message: SapientMessage) -> None:
        if connection.writer.is_closing():
            return
        connection.writer.write(encode_message(message))
        await connection.writer.drain()


__all__ = [
    "FrameSink",
    "NodeAlert",
    "NodeDetection",
    "NodeStatus",
    "ReportSink",
    "SapientServer",
    "SapientServerConfig",
    "UnregisteredNodeError",
]
