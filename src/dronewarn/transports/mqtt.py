"""MQTT subscriber: broker -> a format's decoder -> Reports -> the node, in batches.

Spec: OASIS MQTT Version 3.1.1 (2014): section 3.8 (SUBSCRIBE, QoS 1), 4.4 (message delivery
retry: a QoS 1 message is acknowledged once paho's ``on_message`` returns), 4.7 (topic
filters). Client: paho-mqtt 2.x with ``CallbackAPIVersion.VERSION2``. The subscriber knows no
format: it is given a topic filter and a ``decode(topic, payload)`` that returns the Reports and
the refused elements of one message (or raises ``DecodeError`` for the whole message); the
acoustic network's is ``sense.acoustic_network.acoustic_subscriber``.

Threads and hand-off::

    paho network thread                      dispatcher thread (ours)
    on_message: decode()          --put-->   ReportQueue  --take_batch-->  on_reports(batch)
                count errors by kind          bounded, drops the OLDEST Reports when full

Decoding happens on paho's thread (about 15 us a message), so error counts are current the
moment a message arrives; the node's callback runs on the dispatcher thread, never on paho's,
so a slow node cannot stall acknowledgements and keep-alives. When the node falls behind by
more than ``queue_capacity`` Reports, the oldest are dropped and counted (``dropped``): for
early warning the newest detections are worth more than a complete backlog.

Reconnection is paho's: ``loop_start`` runs ``loop_forever(retry_first_connection=True)``,
which retries with the exponential back-off of ``reconnect_delay_set``; ``on_connect``
subscribes again every time (a clean session forgets subscriptions). With
``clean_session=False`` and a fixed ``client_id`` the broker also keeps QoS 1 messages that
arrive while the listener is away.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from dronewarn.domain.errors import DecodeError
from dronewarn.domain.report import Report

log = logging.getLogger(__name__)

ReportSink = Callable[[list[Report]], None]
ErrorSink = Callable[[str, bytes, DecodeError], None]
"""Called on paho's thread with (topic, payload, error) for every refused message or element."""


class Decoded(Protocol):
    """What a decoder makes of one message: its Reports and the elements it refused."""

    @property
    def reports(self) -> Sequence[Report]: ...

    @property
    def errors(self) -> Sequence[DecodeError]: ...


TopicDecoder = Callable[[str, bytes], Decoded]
"""Decodes one message from its topic and payload; raises DecodeError to refuse all of it."""

MessageSink = Callable[[list[Report], list[DecodeError]], None]
"""Called on paho's thread once per message with its Reports and errors: for a consumer that
keeps its own bounded hand-off (a node's inbound queues); it must return at once."""


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """How to reach the broker.

    TLS: ``tls=True`` verifies the broker against ``ca_file`` (or the system store when
    None); ``cert_file``/``key_file`` add a client certificate. ``username``/``password`` are
    sent in CONNECT (use them only over TLS outside a closed network).
    """

    host: str
    port: int = 1883
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive_s: int = 30
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    clean_session: bool = True
    qos: int = 1


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    """The queue between paho's thread and the node's callback."""

    queue_capacity: int = 100_000
    batch_max: int = 2000
    batch_wait_s: float = 0.05
    """How long the dispatcher waits for more Reports before handing over a partial batch."""


@dataclass(frozen=True, slots=True)
class ListenerStats:
    """A snapshot of the listener's counters."""

    connected: bool
    connects: int
    messages: int
    reports: int
    delivered: int
    dropped: int
    errors: dict[str, int] = field(default_factory=dict)
    callback_failures: int = 0


class ReportQueue:
    """A bounded, thread-safe FIFO of Reports that drops the oldest when full."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._items: deque[Report] = deque()
        self._capacity = capacity
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, reports: list[Report]) -> int:
        """Append reports; returns how many old ones were dropped to make room."""
        with self._ready:
            self._items.extend(reports)
            over = len(self._items) - self._capacity
            if over > 0:
                for _ in range(over):
                    self._items.popleft()
                self.dropped += over
            self._ready.notify()
            return max(over, 0)

    def take(self, max_items: int, wait_s: float) -> list[Report]:
        """Up to ``max_items`` Reports, waiting up to ``wait_s`` for the first one."""
        with self._ready:
            if not self._items and not self._closed:
                self._ready.wait(wait_s)
            n = min(max_items, len(self._items))
            return [self._items.popleft() for _ in range(n)]

    def close(self) -> None:
        """Wake a waiting ``take``; Reports still queued can be taken."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)


class MqttSubscriber:
    """Subscribes to one topic filter and feeds the Reports ``decode`` makes of each message to
    ``on_reports`` in batches.

    ``start()`` returns at once (connection, retries and subscription happen in the
    background); ``wait_subscribed()`` blocks until the broker granted the subscription;
    ``stop()`` disconnects, hands over what is still queued and joins the threads. Usable as a
    context manager.
    """

    def __init__(
        self,
        mqtt_config: MqttConfig,
        topic_filter: str,
        decode: TopicDecoder,
        on_reports: ReportSink,
        *,
        name: str = "mqtt",
        handoff: HandoffConfig | None = None,
        on_error: ErrorSink | None = None,
        on_message: MessageSink | None = None,
    ) -> None:
        self._mqtt_config = mqtt_config
        self._topic_filter = topic_filter
        self._decode = decode
        self._name = name
        self._on_reports = on_reports
        self._on_error = on_error
        self._on_message_sink = on_message
        self._handoff = handoff or HandoffConfig()
        self._queue = ReportQueue(self._handoff.queue_capacity)
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._stopping = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._connected = False
        self._connects = 0
        self._messages = 0
        self._reports = 0
        self._delivered = 0
        self._callback_failures = 0
        self._errors: Counter[str] = Counter()
        self._client = self._make_client()

    # ------------------------------------------------------------ lifecycle

    def _make_client(self) -> mqtt.Client:
        cfg = self._mqtt_config
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            clean_session=cfg.clean_session,
            protocol=mqtt.MQTTv311,
        )
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls:
            client.tls_set(
                ca_certs=cfg.ca_file,
                certfile=cfg.cert_file,
                keyfile=cfg.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Connect in the background and start handing Reports over."""
        if self._dispatcher is not None:
            raise RuntimeError("listener already started")
        self._dispatcher = threading.Thread(target=self._dispatch, name=self._name, daemon=True)
        self._dispatcher.start()
        cfg = self._mqtt_config
        self._client.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive_s)
        self._client.loop_start()

    def wait_subscribed(self, timeout_s: float) -> bool:
        """True once the broker has granted the subscription (after the latest connect)."""
        return self._subscribed.wait(timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Disconnect, deliver the Reports still queued, and join both threads."""
        self._client.disconnect()
        self._client.loop_stop()
        self._stopping.set()
        self._queue.close()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout_s)

    def __enter__(self) -> MqttSubscriber:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> ListenerStats:
        """The counters now."""
        with self._lock:
            return ListenerStats(
                connected=self._connected,
                connects=self._connects,
                messages=self._messages,
                reports=self._reports,
                delivered=self._delivered,
                dropped=self._queue.dropped,
                errors=dict(self._errors),
                callback_failures=self._callback_failures,
            )

    # ------------------------------------------------------------ paho callbacks (its thread)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        with self._lock:
            self._connected = True
            self._connects += 1
        client.subscribe(self._topic_filter, qos=self._mqtt_config.qos)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("broker refused the subscription to %s", self._topic_filter)
            return
        self._subscribed.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._subscribed.clear()
        with self._lock:
            self._connected = False
        if not self._stopping.is_set():
            log.warning("disconnected from the broker (%s); paho reconnects", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        payload = bytes(message.payload)
        errors: list[DecodeError]
        try:
            decoded = self._decode(topic, payload)
            reports, errors = list(decoded.reports), list(decoded.errors)
        except DecodeError as refused:
            reports, errors = [], [refused]
        with self._lock:
            self._messages += 1
            self._reports += len(reports)
            self._errors.update(e.kind for e in errors)
        if self._on_error is not None:
            for e in errors:
                self._on_error(topic, payload, e)
        if self._on_message_sink is not None:
            try:
                self._on_message_sink(reports, errors)
            except Exception:  # the consumer's fault must not stall paho's thread
                log.exception("on_message failed")
                with self._lock:
                    self._callback_failures += 1
            else:
                with self._lock:
                    self._delivered += len(reports)
        elif reports:
            self._queue.put(reports)

    # ------------------------------------------------------------ dispatcher (our thread)

    def _dispatch(self) -> None:
        handoff = self._handoff
        while True:
            batch = self._queue.take(handoff.batch_max, handoff.batch_wait_s)
            if not batch:
                if self._stopping.is_set():
                    return
                continue
            try:
                self._on_reports(batch)
            except Exception:  # the node's fault must not end the listener
                log.exception("on_reports failed; %d reports lost", len(batch))
                with self._lock:
                    self._callback_failures += 1
                continue
            with self._lock:
                self._delivered += len(batch)
