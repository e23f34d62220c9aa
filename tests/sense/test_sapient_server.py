"""The SAPIENT fusion-node server, over real TCP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest
from sapient_msg.bsi_flex_335_v2_0 import location_pb2, range_bearing_pb2
from sapient_msg.bsi_flex_335_v2_0.alert_ack_pb2 import AlertAck
from sapient_msg.bsi_flex_335_v2_0.alert_pb2 import Alert
from sapient_msg.bsi_flex_335_v2_0.registration_pb2 import Registration
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage
from sapient_msg.bsi_flex_335_v2_0.status_report_pb2 import StatusReport

from dronewarn.domain.errors import ConfigError
from dronewarn.domain.report import GeoPoint, ObjectClass, PolarMeasurement, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.formats.sapient.framing import MAX_MESSAGE_BYTES, encode_message
from dronewarn.sense.sapient_server import (
    NodeAlert,
    NodeDetection,
    SapientServer,
    SapientServerConfig,
)

FUSION = "0b8e4a52-3f1c-4d5e-8a9b-1c2d3e4f5a6b"
EDGE = "7d3f1a2b-9c8e-4b6a-a5d4-3e2f1a0b9c8d"
OTHER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
TIME_S = 1_760_000_000.0


def stamped(node_id: str = EDGE) -> SapientMessage:
    message = SapientMessage(node_id=node_id)
    message.timestamp.seconds = int(TIME_S)
    return message


def registration(node_id: str = EDGE) -> SapientMessage:
    """The smallest registration the v2.0 schema accepts."""
    message = stamped(node_id)
    reg = message.registration
    reg.node_definition.add(node_type=Registration.NODE_TYPE_RADAR)
    reg.icd_version = "BSI Flex 335 v2.0"
    reg.capabilities.add(category="Detection", type="UAV")
    reg.status_definition.status_interval.units = Registration.TIME_UNITS_SECONDS
    reg.status_definition.status_interval.value = 5.0
    mode = reg.mode_definition.add(mode_name="default", mode_type=Registration.MODE_TYPE_PERMANENT)
    mode.settle_time.units = Registration.TIME_UNITS_SECONDS
    mode.settle_time.value = 1.0
    mode.task.region_definition.region_type.append(Registration.REGION_TYPE_BOUNDARY)
    area = mode.task.region_definition.region_area.add()
    area.location_units = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    area.location_datum = location_pb2.LOCATION_DATUM_WGS84_E
    reg.config_data.add(manufacturer="Test", model="radar")
    return message


def status(node_id: str = EDGE) -> SapientMessage:
    message = stamped(node_id)
    report = message.status_report
    report.report_id = "01JD3M5W8K2XQ7R9T4V6B8N0ST"
    report.system = StatusReport.SYSTEM_OK
    report.info = StatusReport.INFO_NEW
    report.mode = "default"
    loc = report.node_location
    loc.x, loc.y, loc.z = 23.0, 52.0, 150.0
    loc.coordinate_system = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    loc.datum = location_pb2.LOCATION_DATUM_WGS84_E
    return message


def detection(node_id: str = EDGE, range_m: float = 1200.0) -> SapientMessage:
    message = stamped(node_id)
    report = message.detection_report
    report.report_id = f"01JD3M5W8K2XQ7R9T4V6B8{int(range_m):04d}"
    report.object_id = "01JD3M5W8K2XQ7R9T4V6B8N0CE"
    rb = report.range_bearing
    rb.range, rb.azimuth, rb.elevation = range_m, 30.0, 2.0
    rb.coordinate_system = range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M
    rb.datum = range_bearing_pb2.RANGE_BEARING_DATUM_TRUE
    report.classification.add(type="UAV rotary wing", confidence=0.75)
    report.enu_velocity.east_rate = 4.0
    report.enu_velocity.north_rate = 3.0
    return message


def alert(node_id: str = EDGE) -> SapientMessage:
    message = stamped(node_id)
    message.alert.alert_id = "01JD3M5W8K2XQ7R9T4V6B8N0AA"
    message.alert.alert_type = Alert.ALERT_TYPE_WARNING
    message.alert.description = "UAV over the perimeter"
    return message


class Client:
    """A raw SAPIENT edge node: frames out, frames in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, message: SapientMessage | bytes) -> None:
        data = message if isinstance(message, bytes) else encode_message(message)
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self) -> SapientMessage:
        header = await asyncio.wait_for(self.reader.readexactly(4), 5.0)
        (length,) = struct.unpack("<I", header)
        payload = await asyncio.wait_for(self.reader.readexactly(length), 5.0)
        message = SapientMessage()
        message.ParseFromString(payload)
        return message

    async def closed_by_server(self) -> bool:
        return await asyncio.wait_for(self.reader.read(1), 5.0) == b""

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@dataclass
class Fusion:
    server: SapientServer
    reports: list[Report] = field(default_factory=list)
    alerts: list[NodeAlert] = field(default_factory=list)
    detections: list[NodeDetection] = field(default_factory=list)

    async def connect(self) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        return Client(reader, writer)


def run(test: Callable[[Fusion], Awaitable[None]], **config: object) -> Fusion:
    async def main() -> Fusion:
        holder: list[Fusion] = []
        server_config = SapientServerConfig(
            node_id=FUSION,
            nodes=MappingProxyType(
                {EDGE.upper(): SensorConfig("radar-1", SensorKind.RADAR, GeoPoint(50.0, 20.0))}
            ),
            **config,  # type: ignore[arg-type]
        )
        fusion = Fusion(
            SapientServer(
                server_config,
                lambda r: holder[0].reports.append(r),
                on_alert=lambda a: holder[0].alerts.append(a),
                on_detection=lambda d: holder[0].detections.append(d),
            )
        )
        holder.append(fusion)
        await fusion.server.start()
        try:
            await test(fusion)
        finally:
            await fusion.server.close()
        return fusion

    return asyncio.run(main())


def test_a_registered_node_reports_detections_that_become_reports() -> None:
    async def scenario(fusion: Fusion) -> None:
        edge = await fusion.connect()
        await edge.send(registration())
        ack = await edge.receive()
        assert ack.WhichOneof("content") == "registration_ack"
        assert ack.registration_ack.acceptance
        assert ack.node_id == FUSION
        assert ack.destination_id == EDGE
        await edge.send(detection())  # before any status: the configured site
        await edge.send(status())
        await edge.send(detection(range_m=900.0))  # after: the node's own location
        await edge.send(alert())
        alert_ack = await edge.receive()  # every earlier message has been handled by now
        assert alert_ack.WhichOneof("content") == "alert_ack"
        assert alert_ack.alert_ack.alert_id == "01JD3M5W8K2XQ7R9T4V6B8N0AA"
        assert alert_ack.alert_ack.alert_ack_status == AlertAck.ALERT_ACK_STATUS_ACCEPTED
        assert fusion.server.registered == {EDGE}
        await edge.close()

    fusion = run(scenario)
    assert len(fusion.reports) == 2
    first, second = fusion.reports
    assert first.sensor_id == "radar-1"
    assert first.time_s == TIME_S
    assert isinstance(first.measurement, PolarMeasurement)
    assert first.measurement.site == GeoPoint(50.0, 20.0)
    assert (first.measurement.range_m, first.measurement.bearing_deg) == (1200.0, 30.0)
    assert first.measurement.elevation_deg == 2.0
    assert first.class_hint is not None
    assert first.class_hint.object_class is ObjectClass.MULTIROTOR
    assert isinstance(second.measurement, PolarMeasurement)
    assert second.measurement.site == GeoPoint(52.0, 23.0, 150.0)
    assert second.measurement.range_m == 900.0
    velocity = fusion.detections[0].conversion.velocity
    assert velocity is not None
    assert (velocity.east_mps, velocity.north_mps) == (4.0, 3.0)
    assert [a.alert.description for a in fusion.alerts] == ["UAV over the perimeter"]
    assert fusion.server.received == {
        "registration": 1,
        "detection_report": 2,
        "status_report": 1,
        "alert": 1,
    }
    assert fusion.server.errors == {}


def test_detections_from_an_unregistered_node_are_refused_and_counted() -> None:
    async def scenario(fusion: Fusion) -> None:
        stranger = await fusion.connect()
        refused = detection()
        await stranger.send(refused)
        error = await stranger.receive()
        assert error.WhichOneof("content") == "error"
        assert error.destination_id == EDGE
        assert "no registration" in error.error.error_message[0]
        assert error.error.packet == refused.SerializeToString()
        # registered as one node, reporting as another: refused too
        await stranger.send(registration())
        assert (await stranger.receive()).registration_ack.acceptance
        await stranger.send(detection(node_id=OTHER))
        assert "registered as" in (await stranger.receive()).error.error_message[0]
        await stranger.close()

    fusion = run(scenario)
    assert fusion.reports == []
    assert fusion.server.errors == {"unregistered": 2}


def test_registration_is_refused_with_its_reasons() -> None:
    async def scenario(fusion: Fusion) -> None:
        unknown = await fusion.connect()
        await unknown.send(registration(OTHER))
        ack = await unknown.receive()
        assert not ack.registration_ack.acceptance
        assert list(ack.registration_ack.ack_response_reason) == [
            f"node {OTHER} is not configured at this fusion node"
        ]
        incomplete = registration()
        incomplete.registration.ClearField("config_data")
        incomplete.registration.icd_version = "BSI Flex 335 v1.0"
        await unknown.send(incomplete)
        reasons = list((await unknown.receive()).registration_ack.ack_response_reason)
        assert reasons == [
            "registration.config_data: mandatory, empty",
            "registration.icd_version: 'BSI Flex 335 v1.0' is not 'BSI Flex 335 v2.0'",
        ]
        await unknown.send(detection())
        assert (await unknown.receive()).WhichOneof("content") == "error"
        await unknown.close()

    fusion = run(scenario)
    assert fusion.server.errors == {"registration_refused": 2, "unregistered": 1}
    assert fusion.server.registered == frozenset()


def test_unconfigured_nodes_can_be_accepted_under_their_uuid() -> None:
    async def scenario(fusion: Fusion) -> None:
        edge = await fusion.connect()
        await edge.send(registration(OTHER))
        assert (await edge.receive()).registration_ack.acceptance
        await edge.send(status(OTHER))
        await edge.send(detection(OTHER))
        await edge.send(alert(OTHER))
        await edge.receive()
        await edge.close()

    fusion = run(scenario, accept_unconfigured=True)
    assert [r.sensor_id for r in fusion.reports] == [f"sapient-{OTHER}"]


def test_a_client_sending_garbage_is_dropped_while_another_keeps_working() -> None:
    async def scenario(fusion: Fusion) -> None:
        good = await fusion.connect()
        await good.send(registration())
        assert (await good.receive()).registration_ack.acceptance
        noisy = await fusion.connect()
        # an undecodable frame is answered; the framing holds, so the connection stays
        await noisy.send(struct.pack("<I", 3) + b"\xff\xff\xff")
        refusal = await noisy.receive()
        assert refusal.WhichOneof("content") == "error"
        await noisy.send(struct.pack("<I", 0))  # an empty message: answered too
        assert (await noisy.receive()).WhichOneof("content") == "error"
        # a frame announcing more than the limit breaks the framing: answered and dropped
        await noisy.send(struct.pack("<I", MAX_MESSAGE_BYTES + 1) + b"\x00" * 100)
        assert "above" in (await noisy.receive()).error.error_message[0]
        assert await noisy.closed_by_server()
        await good.send(detection())
        await good.send(alert())
        assert (await good.receive()).WhichOneof("content") == "alert_ack"
        await good.close()
        await noisy.close()

    fusion = run(scenario)
    assert len(fusion.reports) == 1
    assert fusion.server.errors == {"bad_protobuf": 1, "bad_field": 1, "oversize": 1}


def test_a_node_registering_again_from_a_new_connection_takes_over() -> None:
    async def scenario(fusion: Fusion) -> None:
        old = await fusion.connect()
        await old.send(registration())
        assert (await old.receive()).registration_ack.acceptance
        new = await fusion.connect()
        await new.send(registration())
        assert (await new.receive()).registration_ack.acceptance
        assert await old.closed_by_server()
        await new.send(detection())
        await new.send(alert())
        await new.receive()
        assert fusion.server.registered == {EDGE}
        await old.close()
        await new.close()

    fusion = run(scenario)
    assert len(fusion.reports) == 1


def test_connections_beyond_the_limit_are_closed_and_counted() -> None:
    async def scenario(fusion: Fusion) -> None:
        first = await fusion.connect()
        await first.send(registration())
        await first.receive()
        second = await fusion.connect()
        assert await second.closed_by_server()
        await first.close()
        await second.close()

    fusion = run(scenario, max_clients=1)
    assert fusion.server.errors == {"too_many_clients": 1}


def test_a_fusion_node_id_that_is_no_uuid_is_refused_at_configuration() -> None:
    with pytest.raises(ConfigError):
        SapientServerConfig(node_id="fusion")
