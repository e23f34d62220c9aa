"""The acoustic MQTT listener against a real Debian mosquitto on 127.0.0.1.

5,000 messages from 2,000 simulated nodes (some as batches, some through a gateway) plus
malformed ones: every good detection arrives as a Report, every bad one is counted by kind.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

from dronewarn.domain.errors import DecodeError
from dronewarn.domain.report import BearingMeasurement, ClassHint, GeoPoint, ObjectClass, Report
from dronewarn.formats.acoustic import (
    SCHEMA_VERSION,
    AcousticClass,
    AcousticConfig,
    AcousticDetection,
    encode_batch,
    encode_detection,
    gateway_topic,
    node_topic,
)
from dronewarn.harness.broker import Broker, mosquitto_binary, running_mosquitto
from dronewarn.sense.acoustic_network import acoustic_subscriber
from dronewarn.transports.mqtt import (
    HandoffConfig,
    ListenerStats,
    MqttConfig,
    ReportQueue,
)

MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
NETWORK = "ua"
ACOUSTIC = AcousticConfig("ua-acoustic", NETWORK, default_radius_m=2000.0)
T0_MS = 1_757_466_000_000


@contextmanager
def _mosquitto(directory: Path, extra_config: str = "") -> Iterator[Broker]:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto not installed: apt-get install mosquitto")
    with running_mosquitto(directory, extra_config) as running:
        yield running


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with _mosquitto(tmp_path) as running:
        yield running


class Collector:
    """The node's side: collects the batches the listener hands over."""

    def __init__(self) -> None:
        self.reports: list[Report] = []
        self.batches = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, batch: list[Report]) -> None:
        with self._lock:
            self.reports.extend(batch)
            self.batches += 1
            self.threads.add(threading.current_thread().name)


def _publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="sim-nodes")
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _publish_all(client: mqtt.Client, messages: list[tuple[str, bytes]]) -> None:
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(30.0)
        assert info.is_published()


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def _detection(rng: random.Random, node: str, time_ms: int) -> AcousticDetection:
    bearing = rng.random() < 0.7
    return AcousticDetection(
        version=SCHEMA_VERSION,
        node_id=node,
        lat_deg=round(rng.uniform(48.0, 51.5), 6),
        lon_deg=round(rng.uniform(23.0, 40.0), 6),
        time_ms=time_ms,
        confidence=round(rng.uniform(0.3, 1.0), 2),
        acoustic_class=rng.choice([AcousticClass.SHAHED, AcousticClass.JET, AcousticClass.UNKNOWN]),
        alt_m=round(rng.uniform(50.0, 400.0), 1) if rng.random() < 0.5 else None,
        bearing_deg=round(rng.uniform(0.0, 359.9), 1) if bearing else None,
        sigma_bearing_deg=8.0 if bearing else None,
        radius_m=2500.0 if rng.random() < 0.3 else None,
    )


_CLASS = {
    AcousticClass.SHAHED: ObjectClass.SHAHED,
    AcousticClass.JET: ObjectClass.JET_DRONE,
    AcousticClass.UNKNOWN: None,
}


def _expected(d: AcousticDetection, source: str) -> Report:
    """The Report a detection must become, written out from the schema's documentation."""
    cls = _CLASS[d.acoustic_class]
    return Report(
        "ua-acoustic",
        d.time_ms / 1000.0,
        BearingMeasurement(
            GeoPoint(d.lat_deg, d.lon_deg, d.alt_m),
            d.radius_m if d.radius_m is not None else 2000.0,
            d.bearing_deg,
            d.sigma_bearing_deg,
        ),
        None if cls is None else ClassHint(cls, d.confidence),
        source,
    )


def _traffic() -> tuple[list[tuple[str, bytes]], list[Report], Counter[str]]:
    """5,000 good messages from 2,000 nodes plus malformed ones; expected Reports and errors."""
    rng = random.Random(4)
    messages: list[tuple[str, bytes]] = []
    expected: list[Report] = []
    for k in range(5000):
        node = f"n{k % 2000:05d}"
        topic = node_topic(NETWORK, node)
        if k % 25 == 0:  # a node catching up: two detections in one array
            pair = [
                _detection(rng, node, T0_MS + 10 * k),
                _detection(rng, node, T0_MS + 10 * k + 1),
            ]
            messages.append((topic, encode_batch(pair)))
            expected += [_expected(d, f"mqtt:{topic}[{i}]") for i, d in enumerate(pair)]
        elif k % 50 == 1:  # relayed by a gateway
            topic = gateway_topic(NETWORK, "gw-3")
            relayed = [_detection(rng, f"n{(k + j) % 2000:05d}", T0_MS + 10 * k) for j in range(3)]
            messages.append((topic, encode_batch(relayed)))
            expected += [_expected(d, f"mqtt:{topic}[{i}]") for i, d in enumerate(relayed)]
        else:
            d = _detection(rng, node, T0_MS + 10 * k)
            messages.append((topic, encode_detection(d)))
            expected.append(_expected(d, f"mqtt:{topic}"))

    good_detection = _detection(rng, "n00007", T0_MS)
    good = json.loads(encode_detection(good_detection))
    topic = node_topic(NETWORK, "n00007")
    bad: list[tuple[str, bytes, dict[str, int]]] = [
        (topic, b'{"v":1,"node":"n00007","lat":50.1', {"truncated": 1}),
        (topic, b"not json", {"bad_field": 1}),
        (topic, b"\xff\xfe\x00", {"bad_field": 1}),
        (topic, json.dumps({**good, "conf": 1.5}).encode(), {"bad_field": 1}),
        (topic, json.dumps({**good, "brg_deg": 360.0, "brg_sd_deg": 5}).encode(), {"bad_field": 1}),
        (topic, json.dumps({**good, "t_ms": "2025-09-10T01:00:00"}).encode(), {"bad_field": 1}),
        (topic, json.dumps({**good, "lat": float("nan")}).encode(), {"bad_field": 1}),
        (topic, json.dumps({**good, "v": 2}).encode(), {"unsupported": 1}),
        (topic, encode_detection(_detection(rng, "n00008", T0_MS)), {"bad_topic": 1}),
        ("dronewarn/acoustic/ua/n00007/extra", json.dumps(good).encode(), {"bad_topic": 1}),
        (topic, json.dumps(good).encode() + b" " * 70_000, {"oversize": 1}),
        (topic, b"[]", {"bad_field": 1}),
    ]
    # a batch with one bad element among good ones: the good ones still arrive
    mixed = [good, {**good, "cls": "ufo"}, {**good, "t_ms": T0_MS + 1}]
    bad.append((topic, json.dumps(mixed).encode(), {"bad_field": 1}))
    expected.append(_expected(good_detection, f"mqtt:{topic}[0]"))
    expected.append(_expected(replace(good_detection, time_ms=T0_MS + 1), f"mqtt:{topic}[2]"))
    errors: Counter[str] = Counter()
    for position, (bad_topic, payload, kinds) in enumerate(bad):
        messages.insert(100 + 300 * position, (bad_topic, payload))
        errors.update(kinds)
    return messages, expected, errors


def _key(report: Report) -> tuple[str, float]:
    return report.source, report.time_s


def test_every_good_detection_arrives_and_every_bad_one_is_counted(broker: Broker) -> None:
    messages, expected, errors = _traffic()
    collector = Collector()
    refused: list[tuple[str, DecodeError]] = []
    listener = acoustic_subscriber(
        MqttConfig("127.0.0.1", broker.port, client_id="dronewarn-ua"),
        ACOUSTIC,
        collector,
        on_error=lambda topic, payload, error: refused.append((topic, error)),
    )
    with listener:
        assert listener.wait_subscribed(10.0)
        publisher = _publisher(broker.port)
        try:
            _publish_all(publisher, messages)
        finally:
            publisher.disconnect()
            publisher.loop_stop()
        _wait_for(lambda: listener.stats().messages == len(messages), "all messages")
        _wait_for(lambda: listener.stats().delivered == len(expected), "all reports")
    stats = listener.stats()
    assert stats == ListenerStats(
        connected=False,
        connects=1,
        messages=5000 + 13,
        reports=len(expected),
        delivered=len(expected),
        dropped=0,
        errors=dict(errors),
    )
    assert len(expected) == 5000 + 200 + 2 * 100 + 2
    assert sorted(collector.reports, key=_key) == sorted(expected, key=_key)
    assert collector.batches < len(expected)  # handed over in batches...
    assert collector.threads == {f"acoustic-{NETWORK}"}  # ...on the dispatcher thread
    assert Counter(error.kind for _, error in refused) == errors
    assert {error.field for _, error in refused} >= {"payload", "conf", "v", "node", "topic"}


def test_listener_reconnects_and_subscribes_again(broker: Broker) -> None:
    collector = Collector()
    config = MqttConfig("127.0.0.1", broker.port, reconnect_min_s=1, reconnect_max_s=2)
    rng = random.Random(9)
    with acoustic_subscriber(config, ACOUSTIC, collector) as listener:
        assert listener.wait_subscribed(10.0)
        broker.stop()
        _wait_for(lambda: not listener.stats().connected, "the disconnect")
        broker.start()
        _wait_for(lambda: listener.stats().connects == 2, "the reconnect")
        assert listener.wait_subscribed(10.0)
        d = _detection(rng, "n00001", T0_MS)
        publisher = _publisher(broker.port)
        try:
            _publish_all(publisher, [(node_topic(NETWORK, "n00001"), encode_detection(d))])
        finally:
            publisher.disconnect()
            publisher.loop_stop()
        _wait_for(lambda: listener.stats().delivered == 1, "the report after reconnecting")
    assert collector.reports == [_expected(d, "mqtt:dronewarn/acoustic/ua/n00001")]


def test_listener_keeps_retrying_a_broker_that_is_not_there_yet(tmp_path: Path) -> None:
    with _mosquitto(tmp_path) as broker:
        broker.stop()
        config = MqttConfig("127.0.0.1", broker.port, reconnect_min_s=1, reconnect_max_s=1)
        with acoustic_subscriber(config, ACOUSTIC, Collector()) as listener:
            assert not listener.wait_subscribed(0.5)
            broker.start()
            assert listener.wait_subscribed(15.0)
            assert listener.stats().connects == 1


def test_a_failing_callback_is_counted_and_the_listener_goes_on(broker: Broker) -> None:
    calls: list[int] = []

    def flaky(batch: list[Report]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            raise RuntimeError("node store is down")

    rng = random.Random(3)
    config = MqttConfig("127.0.0.1", broker.port)
    topic = node_topic(NETWORK, "n00002")
    with acoustic_subscriber(config, ACOUSTIC, flaky) as listener:
        assert listener.wait_subscribed(10.0)
        publisher = _publisher(broker.port)
        try:
            _publish_all(publisher, [(topic, encode_detection(_detection(rng, "n00002", 0)))])
            _wait_for(lambda: len(calls) == 1, "the first hand-over")
            _publish_all(publisher, [(topic, encode_detection(_detection(rng, "n00002", 1)))])
            _wait_for(lambda: len(calls) == 2, "the second hand-over")
        finally:
            publisher.disconnect()
            publisher.loop_stop()
    stats = listener.stats()
    assert stats.callback_failures == 1 and stats.delivered == 1 and stats.reports == 2


# ---------------------------------------------------------------- the hand-off queue


def _report(i: int) -> Report:
    return Report("ua-acoustic", float(i), BearingMeasurement(GeoPoint(50.0, 30.0), 2000.0))


def test_queue_drops_the_oldest_and_counts_them() -> None:
    queue = ReportQueue(capacity=5)
    assert queue.put([_report(i) for i in range(3)]) == 0
    assert queue.put([_report(i) for i in range(3, 9)]) == 4
    assert queue.dropped == 4 and len(queue) == 5
    assert [r.time_s for r in queue.take(3, 0.0)] == [4.0, 5.0, 6.0]
    assert [r.time_s for r in queue.take(10, 0.0)] == [7.0, 8.0]
    assert queue.take(10, 0.0) == []


def test_queue_hands_over_what_is_left_after_close() -> None:
    queue = ReportQueue(capacity=10)
    queue.put([_report(1)])
    queue.close()
    assert [r.time_s for r in queue.take(10, 5.0)] == [1.0]
    assert queue.take(10, 5.0) == []  # closed: no wait


def test_slow_node_loses_old_reports_not_new_ones(broker: Broker) -> None:
    entered = threading.Event()
    release = threading.Event()
    seen: list[float] = []

    def slow(batch: list[Report]) -> None:
        entered.set()
        release.wait(30.0)
        seen.extend(r.time_s for r in batch)

    rng = random.Random(5)
    handoff = HandoffConfig(queue_capacity=50, batch_max=1000, batch_wait_s=0.01)
    config = MqttConfig("127.0.0.1", broker.port)
    topic = node_topic(NETWORK, "n00003")
    with acoustic_subscriber(config, ACOUSTIC, slow, handoff=handoff) as listener:
        assert listener.wait_subscribed(10.0)
        publisher = _publisher(broker.port)
        try:
            _publish_all(publisher, [(topic, encode_detection(_detection(rng, "n00003", 0)))])
            assert entered.wait(10.0)  # the dispatcher holds the first report, blocked
            later = [(topic, encode_detection(_detection(rng, "n00003", k))) for k in range(1, 201)]
            _publish_all(publisher, later)
        finally:
            publisher.disconnect()
            publisher.loop_stop()
        _wait_for(lambda: listener.stats().messages == 201, "all messages")
        release.set()
        _wait_for(lambda: listener.stats().delivered == 51, "the newest 50 and the first")
    assert listener.stats().dropped == 150
    assert seen == [0.0, *[k / 1000.0 for k in range(151, 201)]]


# ---------------------------------------------------------------- TLS and a password


def _tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a broker certificate for 127.0.0.1: (ca, cert, key) PEM files."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dronewarn test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "broker.pem", directory / "broker.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_tls_with_user_and_password(tmp_path: Path) -> None:
    if not Path(MOSQUITTO_PASSWD).is_file():
        pytest.skip("mosquitto_passwd not installed: apt-get install mosquitto")
    ca, cert, key = _tls_files(tmp_path)
    passwords = tmp_path / "passwords"
    passwords.write_text("")
    subprocess.run(
        [MOSQUITTO_PASSWD, "-b", str(passwords), "ua-node", "correct horse"],
        check=True,
        capture_output=True,
    )
    extra = (
        f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        f"allow_anonymous false\npassword_file {passwords}\n"
    )
    with _mosquitto(tmp_path, extra) as broker:
        secure = MqttConfig(
            "127.0.0.1",
            broker.port,
            username="ua-node",
            password="correct horse",
            tls=True,
            ca_file=str(ca),
        )
        collector = Collector()
        with acoustic_subscriber(secure, ACOUSTIC, collector) as listener:
            assert listener.wait_subscribed(10.0)
            publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
            publisher.tls_set(ca_certs=str(ca))
            publisher.username_pw_set("ua-node", "correct horse")
            publisher.connect("127.0.0.1", broker.port)
            publisher.loop_start()
            d = _detection(random.Random(2), "n00004", T0_MS)
            try:
                _publish_all(publisher, [(node_topic(NETWORK, "n00004"), encode_detection(d))])
            finally:
                publisher.disconnect()
                publisher.loop_stop()
            _wait_for(lambda: listener.stats().delivered == 1, "the report over TLS")
        assert collector.reports == [_expected(d, "mqtt:dronewarn/acoustic/ua/n00004")]

        wrong_password = replace(secure, password="wrong", reconnect_min_s=5)
        with acoustic_subscriber(wrong_password, ACOUSTIC, Collector()) as refused:
            assert not refused.wait_subscribed(1.0)
            assert refused.stats().connects == 0
        plain = replace(secure, tls=False, reconnect_min_s=5)
        with acoustic_subscriber(plain, ACOUSTIC, Collector()) as cleartext:
            assert not cleartext.wait_subscribed(1.0)  # the broker speaks only TLS
            assert cleartext.stats().connects == 0
