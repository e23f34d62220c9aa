"""A deployed node's sensor listeners: each configured channel on its real socket.

=============================  ===========================================  ==============
format (transport)             listener                                     hands the node
=============================  ===========================================  ==============
asterix (udp, multicast)       ``transports.udp_receiver`` datagrams         each datagram
cot (udp, the mesh)            the same                                     each datagram
sapient (tcp)                  ``sense.sapient_server`` (registration,      each frame's
                               acknowledgements)                            Report
mqtt-acoustic (mqtt, mqtts)    ``sense.acoustic_network`` (topic checks)each message's
                                                                            Reports
sighting-json (http, https)    ``sense.sighting_http`` (rate limits,        each request's
                               202/4xx answers)                             Reports
cot, sbs (tcp listen)          a TCP server, one decoder per sender         each chunk's
                                                                            Reports
sbs, cot (tcp/tls connect)     a client that calls again after a failure    each chunk
readsb (http connect)          a poller of aircraft.json                    each document
=============================  ===========================================  ==============

Everything runs off the node's loop: the sockets on one asyncio loop in a thread of its own
("node-io"), MQTT on paho's thread, HTTP on uvicorn's. A listener that cannot bind (the port
is taken, the broker is down) is retried every ``retry_s`` and shows in ``status`` as not
bound; a sender that disconnects is waited for. Nothing a listener receives can stop the
node: what does not decode is counted and stored by the node.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import socket
import ssl
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI

from dronewarn.api.server import OperatorServer
from dronewarn.deploy.endpoints import Endpoint
from dronewarn.deploy.load import Deployment
from dronewarn.deploy.model import SensorEntry
from dronewarn.domain.errors import DecodeError, InputError
from dronewarn.domain.report import Report
from dronewarn.domain.sensor import WireFormat
from dronewarn.formats.acoustic import AcousticConfig
from dronewarn.formats.sighting import ReporterRateLimiter, SightingConfig
from dronewarn.node.config import InputChannel, NodeConfig
from dronewarn.node.inbound import Inbound, InboundQueues
from dronewarn.sense.acoustic_network import acoustic_subscriber
from dronewarn.sense.sapient_server import SapientServer, SapientServerConfig
from dronewarn.sense.sensor_input import sensor_input
from dronewarn.sense.sighting_http import SightingHttpConfig, create_sighting_app, sighting_handler
from dronewarn.transports.mqtt import MqttConfig
from dronewarn.transports.udp_receiver import UdpEndpoint, open_receiver

log = logging.getLogger(__name__)
_T = TypeVar("_T")

Clock = Callable[[], float]
READ_BYTES = 65_536
RETRY_S = 5.0


@dataclass
class ListenerStatus:
    """What a listener is doing, for health, metrics and the log."""

    channel_id: str
    sensors: tuple[str, ...]
    address: str
    bound: bool = False
    error: str = ""
    connections: int = 0
    """Connected senders (TCP), or 1 when connected to a broker or a source."""
    counts: Counter[str] = field(default_factory=Counter)
    """Listener-side outcomes (refused requests, reconnects...)."""


@dataclass(frozen=True)
class MountedRoute:
    """A sightings endpoint served on the operator API's own server (``listen = "/path"``)."""

    path: str
    endpoint: Callable[..., Any]


class Listeners:
    """Starts and stops every sensor listener of a node."""

    def __init__(
        self,
        deployment: Deployment,
        config: NodeConfig,
        queues: InboundQueues,
        clock: Clock,
        retry_s: float = RETRY_S,
    ) -> None:
        self._deployment = deployment
        self._config = config
        self._queues = queues
        self._clock = clock
        self._retry_s = retry_s
        self._entries = {s.id: s for s in deployment.file.sensors}
        self._sensors = {s.sensor_id: s for s in config.sensors}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="node-io", daemon=True)
        self._stopping = asyncio.Event()
        self._tasks: list[concurrent.futures.Future[None]] = []
        self._closers: list[Callable[[], None]] = []
        self.status: dict[str, ListenerStatus] = {}
        self.routes: list[MountedRoute] = []
        """Sightings endpoints to serve on the operator API (built before it starts)."""
        for channel in config.input_channels():
            entry = self._entries[channel.sensor_ids[0]]
            self.status[channel.channel_id] = ListenerStatus(
                channel.channel_id, channel.sensor_ids, entry.listen or entry.connect or ""
            )
            if entry.format.value == "sighting-json" and entry.endpoint.scheme == "path":
                self.routes.append(self._mounted_sightings(channel, entry))

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread.start()
        for channel in self._config.input_channels():
            entry = self._entries[channel.sensor_ids[0]]
            endpoint = entry.endpoint
            if endpoint.scheme == "path":
                self.status[channel.channel_id].bound = True  # served by the operator API
                continue
            self._submit(self._keep(channel, entry, endpoint))

    def stop(self, timeout_s: float = 3.0) -> None:
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        concurrent.futures.wait(self._tasks, timeout_s)
        for task in self._tasks:
            task.cancel()  # one that did not end in time
        for close in self._closers:
            with contextlib.suppress(Exception):
                close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._loop.close()

    def all_bound(self) -> bool:
        return all(s.bound for s in self.status.values())

    def _submit(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.run_coroutine_threadsafe(work, self._loop))

    def _put(self, item: Inbound) -> None:
        self._queues.put(item)

    async def _keep(self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint) -> None:
        """Run a listener; retry it after a failure until the node stops."""
        status = self.status[channel.channel_id]
        while not self._stopping.is_set():
            try:
                await self._run(channel, entry, endpoint, status)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever broke, the listener is tried again
                status.bound = False
                status.error = f"{type(exc).__name__}: {exc}"
                status.counts["failures"] += 1
                log.warning(
                    "listener failed",
                    extra={
                        "channel": channel.channel_id,
                        "address": status.address,
                        "error": status.error,
                    },
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._retry_s)

    async def _run(
        self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        wire = channel.wire
        datagrams = (WireFormat.ASTERIX, WireFormat.COT_DATAGRAM, WireFormat.ODID)
        if entry.listen is not None and wire in datagrams:
            await self._udp(channel, endpoint, status)
        elif wire is WireFormat.SAPIENT:
            await self._sapient(channel, entry, endpoint, status)
        elif wire is WireFormat.ACOUSTIC_JSON:
            await self._mqtt(channel, entry, endpoint, status)
        elif wire is WireFormat.SIGHTING_JSON:
            await self._sightings(channel, entry, endpoint, status)
        elif entry.listen is not None:  # cot, sbs: TAK clients or a receiver push to us
            await self._stream_server(channel, endpoint, status)
        elif wire is WireFormat.READSB:
            await self._poll(channel, entry, endpoint, status)
        else:  # sbs, cot: we call the source
            await self._stream_client(channel, entry, endpoint, status)

    # ------------------------------------------------------------------ transports

    async def _udp(self, channel: InputChannel, endpoint: Endpoint, status: ListenerStatus) -> None:
        group = endpoint.host if endpoint.is_multicast else None
        where = UdpEndpoint(
            endpoint.port,
            bind_host="0.0.0.0" if group else endpoint.host,
            group=group,
            interface=endpoint.option("interface", "0.0.0.0") or "0.0.0.0",
        )
        name = channel.channel_id

        def datagram(received_s: float, data: bytes, peer: tuple[str, int]) -> None:
            self._put(Inbound(name, received_s, payload=data))

        transport, _ = await open_receiver(where, datagram, clock=self._clock)
        status.bound, status.error = True, ""
        try:
            await self._stopping.wait()
        finally:
            transport.close()

    async def _sapient(
        self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        sensor = self._sensors[entry.id]
        name = channel.channel_id
        own = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dronewarn:{self._config.node_id}:{entry.id}"))
        config = SapientServerConfig(
            node_id=own,
            host=endpoint.host,
            port=endpoint.port,
            nodes={entry.sapient_node: sensor} if entry.sapient_node else {},
            accept_unconfigured=entry.sapient_node is None,
            default_sensor=sensor,
        )

        def frame(sensor_id: str | None, reports: list[Report], errors: list[InputError]) -> None:
            self._put(Inbound(name, self._clock(), reports=tuple(reports), errors=tuple(errors)))

        server = SapientServer(config, lambda report: None, on_frame=frame, clock=self._clock)
        await server.start()
        status.bound, status.error = True, ""
        try:
            while not self._stopping.is_set():
                status.connections = len(server.registered)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 1.0)
        finally:
            await server.close()

    async def _mqtt(
        self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        sensor = self._sensors[entry.id]
        name = channel.channel_id
        password = None
        if entry.password_file is not None:
            password = self._deployment.resolve(entry.password_file).read_text().strip()
        mqtt = MqttConfig(
            host=endpoint.host,
            port=endpoint.port,
            client_id=f"dronewarn-{self._config.node_id}-{entry.id}",
            username=entry.username,
            password=password,
            tls=endpoint.scheme == "mqtts",
            ca_file=None if entry.ca_file is None else str(self._deployment.resolve(entry.ca_file)),
            clean_session=endpoint.option("session", "clean") != "persistent",
        )
        network = endpoint.path.strip("/") or entry.id
        acoustic = AcousticConfig(entry.id, network, default_radius_m=sensor.max_range_m or 2000.0)

        def message(reports: list[Report], errors: list[DecodeError]) -> None:
            self._put(Inbound(name, self._clock(), reports=tuple(reports), errors=tuple(errors)))

        listener = acoustic_subscriber(mqtt, acoustic, lambda batch: None, on_message=message)
        listener.start()
        try:
            while not self._stopping.is_set():
                stats = listener.stats()
                status.bound = listener.wait_subscribed(0.0)
                status.connections = int(stats.connected)
                status.error = "" if stats.connected else f"not connected to {endpoint}"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 0.5)
        finally:
            await _in_daemon_thread(functools.partial(listener.stop, 2.0))

    def _sighting_config(self, entry: SensorEntry) -> SightingHttpConfig:
        token = None
        if entry.token_file is not None:
            token = self._deployment.resolve(entry.token_file).read_text().strip()
            if not token:
                raise ValueError(f"{entry.token_file} is empty: no request could be checked")
        return SightingHttpConfig(SightingConfig(entry.id), bearer_token=token)

    def _mounted_sightings(self, channel: InputChannel, entry: SensorEntry) -> MountedRoute:
        name = channel.channel_id
        config = self._sighting_config(entry)

        def reports(found: list[Report]) -> None:
            self._put(Inbound(name, self._clock(), reports=tuple(found)))

        counts = self.status[name].counts
        limiter = ReporterRateLimiter(config.rate, self._clock)
        handler = sighting_handler(
            config, reports, self._clock, counts, limiter, self._refusals(name)
        )
        return MountedRoute(entry.endpoint.path, handler)

    def _refusals(self, name: str) -> Callable[[list[InputError]], None]:
        """A refused request still counts as the one message it was (replay steps)."""

        def refused(errors: list[InputError]) -> None:
            self._put(Inbound(name, self._clock(), errors=tuple(errors)))

        return refused

    async def _sightings(
        self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        name = channel.channel_id

        def reports(found: list[Report]) -> None:
            self._put(Inbound(name, self._clock(), reports=tuple(found)))

        app: FastAPI = create_sighting_app(
            self._sighting_config(entry),
            reports,
            clock=self._clock,
            path=endpoint.path or "/",
            on_refused=self._refusals(name),
        )
        app.state.sighting_counts = status.counts
        tls = endpoint.scheme == "https"
        server = OperatorServer(
            app,
            endpoint.host,
            endpoint.port,
            self._deployment.resolve(entry.tls_cert) if tls and entry.tls_cert else None,
            self._deployment.resolve(entry.tls_key) if tls and entry.tls_key else None,
            name=f"sightings-{entry.id}",
        )
        await _in_daemon_thread(server.start)
        status.bound, status.error = True, ""
        try:
            await self._stopping.wait()
        finally:
            await _in_daemon_thread(server.stop)

    async def _stream_server(
        self, channel: InputChannel, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        """TCP senders (TAK clients pushing CoT, an SBS feed): one decoder per connection."""
        sensor = self._sensors[channel.sensor_ids[0]]
        name = channel.channel_id

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            decoder = sensor_input(sensor)
            status.connections += 1
            try:
                while data := await reader.read(READ_BYTES):
                    decoded = decoder.decode(data, self._clock())
                    self._put(Inbound(name, self._clock(), None, decoded.reports, decoded.errors))
                finish = getattr(decoder, "finish", None)
                if finish is not None:
                    decoded = finish()
                    if decoded.reports or decoded.errors:
                        self._put(
                            Inbound(name, self._clock(), None, decoded.reports, decoded.errors)
                        )
            except (ConnectionError, OSError):
                pass
            finally:
                status.connections -= 1
                writer.close()

        server = await asyncio.start_server(serve, endpoint.host, endpoint.port)
        status.bound, status.error = True, ""
        try:
            await self._stopping.wait()
        finally:
            server.close()

    async def _stream_client(
        self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        """Call the source (an SBS port, a TAK server) and read its stream until it ends."""
        context = None
        if endpoint.scheme == "tls":
            context = ssl.create_default_context(
                cafile=None
                if entry.ca_file is None
                else str(self._deployment.resolve(entry.ca_file))
            )
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(endpoint.host, endpoint.port, ssl=context), 10.0
        )
        _keep_alive(writer)  # a peer that vanished without closing is noticed and redialled
        status.bound, status.error, status.connections = True, "", 1
        name = channel.channel_id
        try:
            while not self._stopping.is_set():
                read = asyncio.ensure_future(reader.read(READ_BYTES))
                stop = asyncio.ensure_future(self._stopping.wait())
                done, _ = await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
                if read not in done:
                    read.cancel()
                    return
                data = read.result()
                if not data:
                    raise ConnectionError(f"{endpoint} closed the stream")
                self._put(Inbound(name, self._clock(), payload=data))
        finally:
            status.connections = 0
            writer.close()

    async def _poll(
        self, channel: InputChannel, entry: SensorEntry, endpoint: Endpoint, status: ListenerStatus
    ) -> None:
        """Fetch aircraft.json every ``poll_s``."""
        url = entry.connect or ""
        name = channel.channel_id

        def fetch() -> bytes:
            with urllib.request.urlopen(url, timeout=5.0) as answer:
                return bytes(answer.read(16 * 1024 * 1024))

        while not self._stopping.is_set():
            started = time.monotonic()
            data = await _in_daemon_thread(fetch)
            status.bound, status.error, status.connections = True, "", 1
            self._put(Inbound(name, self._clock(), payload=data))
            left = entry.poll_s - (time.monotonic() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), max(left, 0.0))


async def _in_daemon_thread(work: Callable[[], _T]) -> _T:
    """Blocking work off the loop, in a daemon thread: a stuck call (a fetch, a server that
    will not stop) never holds the process at exit, as the loop's executor would."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[_T] = loop.create_future()

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting coroutine
            loop.call_soon_threadsafe(_settle, done, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, done, result, None)

    threading.Thread(target=run, name="node-io-call", daemon=True).start()
    return await done


def _settle(done: asyncio.Future[_T], result: _T | None, error: BaseException | None) -> None:
    if done.done():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)  # type: ignore[arg-type]


def _keep_alive(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
