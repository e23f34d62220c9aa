"""dronewarn as a SAPIENT node, against dronewarn's own SAPIENT fusion-node server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage

from dronewarn.domain.codec import warning_from_dict
from dronewarn.domain.errors import ConfigError
from dronewarn.domain.report import GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.formats.sapient.convert import SapientConfig, class_hint
from dronewarn.formats.sapient.encode import (
    CLASS_PATHS,
    SapientClientConfig,
    registration_message,
    stable_ulid,
    track_message,
    track_object_id,
    warning_alert_id,
    warning_message,
)
from dronewarn.formats.sapient.framing import encode_message as frame
from dronewarn.formats.sapient.messages import SapientDetection, SapientRegistration, decode_message
from dronewarn.formats.sapient.schema import is_ulid, schema_problems
from dronewarn.outputs.sapient_client import SapientClient, read_message
from dronewarn.sense.sapient_server import (
    NodeAlert,
    NodeDetection,
    SapientServer,
    SapientServerConfig,
)

DMM = "0b8e4a52-3f1c-4d5e-8a9b-1c2d3e4f5a6b"
NODE = "3c9d2e1f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
TIME_S = 1_760_000_000.125
# fmt: off
COV_ENU = (
    900.0, 30.0, 0.0, 0.0,
    30.0, 400.0, 0.0, 0.0,
    0.0, 0.0, 16.0, 0.0,
    0.0, 0.0, 0.0, 9.0,
)
"""Position sigmas 30 m east, 20 m north; velocity sigmas 4 and 3 m/s."""
# fmt: on
WAIT_S = 10.0
"""A safety net against a hang, never an assertion on speed."""


def track(object_class: ObjectClass = ObjectClass.SHAHED, track_id: str = "PL-17") -> TrackState:
    return TrackState(
        track_id=track_id,
        time_s=TIME_S,
        status=TrackStatus.CONFIRMED,
        east_m=1200.0,
        north_m=-300.0,
        vel_east_mps=41.5,
        vel_north_mps=-12.25,
        cov_enu=COV_ENU,
        position=GeoPoint(52.2297, 23.0117, 420.0),
        quality=0.83,
        updates=14,
        object_class=object_class,
        class_confidence=0.64,
        altitude_sigma_m=35.0,
    )


def warning(sequence: int = 1, state: WarningState = WarningState.NEW) -> Warning:
    return Warning(
        warning_id="W-PL-BY-0007",
        sequence=sequence,
        state=state,
        sender="PL",
        recipient="BY",
        track_id="PL-17",
        issued_s=TIME_S + 1.0,
        track_position=GeoPoint(52.2297, 23.0117, 420.0),
        track_speed_mps=43.3,
        track_course_deg=106.4,
        object_class=ObjectClass.SHAHED,
        entry=EntryPrediction(
            point=GeoPoint(52.21, 23.18),
            time_s=TIME_S + 240.0,
            earliest_s=TIME_S + 200.0,
            latest_s=TIME_S + 300.0,
            probability=0.87,
            sigma_major_m=900.0,
            sigma_minor_m=250.0,
        ),
        priority=1,
        area="BLR",
        class_confidence=0.64,
    )


@dataclass
class Link:
    server: SapientServer
    client: SapientClient
    reports: list[Report] = field(default_factory=list)
    detections: list[NodeDetection] = field(default_factory=list)
    alerts: list[NodeAlert] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async def poll() -> None:
            while not condition():
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(poll(), WAIT_S)


def make_server(
    holder: list[Link], port: int = 0, nodes: tuple[str, ...] = (NODE,)
) -> SapientServer:
    def on_report(report: Report) -> None:
        holder[0].reports.append(report)
        holder[0].arrived.set()

    def on_alert(alert: NodeAlert) -> None:
        holder[0].alerts.append(alert)
        holder[0].arrived.set()

    def on_detection(detection: NodeDetection) -> None:
        holder[0].detections.append(detection)

    return SapientServer(
        SapientServerConfig(
            node_id=DMM,
            port=port,
            nodes=MappingProxyType({n: SensorConfig("pl-node", SensorKind.CUAS) for n in nodes}),
        ),
        on_report,
        on_alert=on_alert,
        on_detection=on_detection,
    )


def run(scenario: Callable[[Link], Awaitable[None]], nodes: tuple[str, ...] = (NODE,)) -> Link:
    async def main() -> Link:
        holder: list[Link] = []
        server = make_server(holder, nodes=nodes)
        port = await server.start()
        client = SapientClient(
            SapientClientConfig(
                "127.0.0.1",
                port,
                NODE,
                destination_id=DMM,
                site=GeoPoint(52.0, 23.0, 140.0),
                backoff_initial_s=0.02,
                backoff_max_s=0.1,
            ),
            clock=lambda: TIME_S,
        )
        link = Link(server, client)
        holder.append(link)
        runner = asyncio.create_task(client.run())
        try:
            await scenario(link)
        finally:
            await client.close()
            await asyncio.wait_for(runner, WAIT_S)
            await link.server.close()
        return link

    return asyncio.run(main())


def test_a_track_and_a_warning_arrive_with_the_same_values() -> None:
    state = track()
    sent = warning()

    async def scenario(link: Link) -> None:
        await asyncio.wait_for(link.client.wait_registered(), WAIT_S)
        link.client.send_track(state)
        link.client.send_warning(sent)
        await link.wait_for(lambda: bool(link.reports and link.alerts))
        await asyncio.wait_for(link.client.wait_acknowledged(), WAIT_S)

    link = run(scenario)
    (report,) = link.reports
    assert report.sensor_id == "pl-node"
    assert report.time_s == pytest.approx(TIME_S, abs=1e-6)
    m = report.measurement
    assert isinstance(m, PositionMeasurement)
    assert m.point == state.position
    assert m.sigma_h_m == pytest.approx(state.sigma_position_m, rel=1e-9)
    assert m.sigma_v_m == state.altitude_sigma_m
    assert report.class_hint is not None
    assert report.class_hint.object_class is ObjectClass.SHAHED
    assert report.class_hint.confidence == pytest.approx(0.64, abs=1e-7)  # float32 on the wire
    (detection,) = link.detections
    assert detection.detection.object_id == track_object_id("PL-17")
    assert detection.detection.state == "confirmed"
    assert detection.detection.detection_confidence == pytest.approx(0.83, abs=1e-7)
    velocity = detection.conversion.velocity
    assert velocity is not None
    assert (velocity.east_mps, velocity.north_mps) == (41.5, -12.25)
    assert (velocity.sigma_east_mps, velocity.sigma_north_mps) == (4.0, 3.0)

    (node_alert,) = link.alerts
    alert = node_alert.alert
    assert node_alert.time_s == pytest.approx(sent.issued_s, abs=1e-6)
    assert alert.alert_id == warning_alert_id(sent)
    assert alert.alert_type == "ALERT_TYPE_CRITICAL"
    assert alert.priority == "DISCRETE_PRIORITY_HIGH"
    assert alert.status == "ALERT_STATUS_ACTIVE"
    assert alert.confidence == pytest.approx(0.87, abs=1e-7)
    assert alert.location is not None
    assert (alert.location.y, alert.location.x, alert.location.z) == (52.2297, 23.0117, 420.0)
    assert [(a.node_id, a.object_id) for a in alert.associated] == [
        (NODE, track_object_id("PL-17"))
    ]
    assert alert.description is not None
    assert "entering BLR" in alert.description
    assert alert.additional_information is not None
    assert warning_from_dict(json.loads(alert.additional_information)) == sent

    assert link.client.unacknowledged == frozenset()
    assert link.client.stats.sent["alert"] == 1
    assert link.server.errors == {}


def test_the_registration_has_every_field_the_schema_makes_mandatory() -> None:
    config = SapientClientConfig("127.0.0.1", 1, NODE)
    message = registration_message(config, TIME_S)
    assert schema_problems(message.registration, "registration") == []
    data = decode_message(message.SerializeToString())
    assert isinstance(data.content, SapientRegistration)
    assert data.content.problems == ()
    assert data.content.node_types == ("NODE_TYPE_FUSION_NODE",)
    assert data.content.velocity_units == "SPEED_UNITS_MS"
    declared = message.registration.mode_definition[0].detection_definition[0]
    tops = [c.type for c in declared.detection_class_definition[0].class_definition]
    assert tops == ["Air Vehicle", "Animal"]


@pytest.mark.parametrize("object_class", list(ObjectClass))
def test_every_dronewarn_class_comes_back_as_itself(object_class: ObjectClass) -> None:
    data = decode_message(track_message(track(object_class), NODE).SerializeToString())
    assert isinstance(data.content, SapientDetection)
    mapping = class_hint(data.content.classes, SapientConfig())
    assert mapping.path == CLASS_PATHS[object_class]
    if object_class is ObjectClass.UNKNOWN:
        assert mapping.hint is None
    else:
        assert mapping.hint is not None
        assert mapping.hint.object_class is object_class


def test_ids_are_ulids_stable_per_track_and_per_warning_message() -> None:
    assert track_object_id("PL-17") == track_object_id("PL-17")
    assert track_object_id("PL-17") != track_object_id("PL-18")
    assert warning_alert_id(warning(1)) == warning_alert_id(warning(1))
    assert warning_alert_id(warning(1)) != warning_alert_id(warning(2))
    ids = [stable_ulid(str(i)) for i in range(200)]
    assert all(is_ulid(i) and len(i) == 26 for i in ids)
    first = track_message(track(), NODE).detection_report
    second = track_message(track(), NODE).detection_report
    assert first.object_id == second.object_id
    assert first.report_id != second.report_id
    assert is_ulid(first.report_id)


def test_a_deleted_track_is_reported_lost_and_a_closed_warning_cleared() -> None:
    state = track()
    deleted = dataclasses.replace(state, status=TrackStatus.DELETED)
    assert track_message(deleted, NODE).detection_report.state == "lost"
    closed = warning_message(warning(3, WarningState.CROSSED), NODE).alert
    assert closed.status == closed.ALERT_STATUS_CLEAR


def test_a_warning_without_numbers_still_encodes_as_json() -> None:
    unknown = dataclasses.replace(
        warning(), entry=None, track_speed_mps=math.nan, class_confidence=math.nan
    )
    alert = warning_message(unknown, NODE).alert
    assert not alert.HasField("confidence")
    details = json.loads(alert.additional_information)
    assert details["track_speed_mps"] is None
    assert details["class_confidence"] is None


def test_the_client_reconnects_and_sends_unacknowledged_alerts_again() -> None:
    async def scenario(link: Link) -> None:
        await asyncio.wait_for(link.client.wait_registered(), WAIT_S)
        port = link.server.port
        await link.server.close()
        link.client.send_warning(warning(1))
        link.client.send_warning(warning(2))  # replaces the first, not yet acknowledged
        restarted: list[Link] = [link]
        link.server = make_server(restarted, port=port)
        await link.server.start()
        await link.wait_for(lambda: bool(link.alerts))
        await asyncio.wait_for(link.client.wait_acknowledged(), WAIT_S)

    link = run(scenario)
    assert link.client.stats.registrations == 2
    assert [a.alert.alert_id for a in link.alerts] == [warning_alert_id(warning(2))]
    assert link.client.stats.dropped["alert_superseded"] == 1


def test_a_refused_registration_is_recorded_and_retried() -> None:
    async def scenario(link: Link) -> None:
        async def refused_twice() -> None:
            while link.client.stats.refusals < 2:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(refused_twice(), WAIT_S)

    link = run(scenario, nodes=())
    assert not link.client.registered
    assert link.client.stats.last_refusal == (f"node {NODE} is not configured at this fusion node",)
    assert link.server.errors["registration_refused"] >= 2


def test_tasks_are_refused_and_errors_recorded() -> None:
    """Against a hand-made DMM that tasks the node and reports an error."""
    replies: list[SapientMessage] = []

    async def dmm(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_message(reader)  # the registration
        ack = SapientMessage(node_id=DMM)
        ack.timestamp.seconds = int(TIME_S)
        ack.registration_ack.acceptance = True
        task = SapientMessage(node_id=DMM)
        task.timestamp.seconds = int(TIME_S)
        task.task.task_id = "01JD3M5W8K2XQ7R9T4V6B8N0AA"
        error = SapientMessage(node_id=DMM)
        error.timestamp.seconds = int(TIME_S)
        error.error.packet = b"?"
        error.error.error_message.append("detection_report.object_id: not a ULID")
        writer.write(frame(ack) + frame(task) + frame(error))
        await writer.drain()
        while True:
            message = await read_message(reader)
            replies.append(message)
            if message.WhichOneof("content") == "task_ack":
                break
        writer.close()

    async def main() -> SapientClient:
        server = await asyncio.start_server(dmm, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = SapientClient(SapientClientConfig("127.0.0.1", port, NODE), clock=lambda: TIME_S)
        runner = asyncio.create_task(client.run())

        async def answered() -> None:
            while not any(r.WhichOneof("content") == "task_ack" for r in replies):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(answered(), WAIT_S)
        await client.close()
        await asyncio.wait_for(runner, WAIT_S)
        server.close()
        await server.wait_closed()
        return client

    client = asyncio.run(main())
    (task_ack,) = [r.task_ack for r in replies if r.WhichOneof("content") == "task_ack"]
    assert task_ack.task_id == "01JD3M5W8K2XQ7R9T4V6B8N0AA"
    assert task_ack.task_status == task_ack.TASK_STATUS_REJECTED
    assert client.stats.errors_from_dmm == ["detection_report.object_id: not a ULID"]


def test_ids_that_are_no_uuids_are_refused_at_configuration() -> None:
    with pytest.raises(ConfigError):
        SapientClientConfig("127.0.0.1", 1, "node-1")
    with pytest.raises(ConfigError):
        SapientClientConfig("127.0.0.1", 1, NODE, destination_id=DMM.replace("-", ""))
