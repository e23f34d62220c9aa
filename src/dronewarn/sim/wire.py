"""The simulated sensors' messages in their real wire formats.

Each emulated delivery (one radar scan, one acoustic tick, one C-UAS update, one sighting)
is written the way the real sensor would send it, so that a node reads the simulator through
the same decoders (``sense.sensor_input``) as live input:

* radar: a CAT034 north marker, then the scan's CAT048 plots, in UDP datagrams of at most
  1,400 octets;
* airborne radar: CAT048 plots, each preceded by a CAT034 sector crossing that carries where
  the antenna is (I034/120, the position of a moving data source);
* cuas: SAPIENT v2.0, one length-prefixed frame per message: each update starts with the
  node's Registration (as after a reconnect; so that a run started late, ``--start``, still
  hears the node), then one DetectionReport per detection;
* acoustic: dronewarn's acoustic JSON, one MQTT message per node per detection;
* sighting: dronewarn's sighting JSON, one HTTP request body each;
* remote_id: one Open Drone ID message pack per broadcast heard (Basic ID with the drone's
  serial number, Location), one UDP datagram each, as a receiver forwards them.

ASTERIX SAC/SIC: each node's radars share a System Area Code (the node's place in the
scenario, from 1) and are numbered by System Identification Code in scenario order (from 1).
"""

from __future__ import annotations

import math
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime

from dronewarn.domain.report import (
    BearingMeasurement,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.domain.sensor import WireFormat
from dronewarn.formats.acoustic import detection_from_report, encode_detection
from dronewarn.formats.asterix.encode048 import (
    RadarPlot,
    RadarServiceMessage,
    ServiceMessageType,
    encode_plot,
    encode_service_message,
)
from dronewarn.formats.asterix.encode062 import pack_datablocks, time_of_day_s
from dronewarn.formats.remote_id.messages import (
    UaType,
    encode_basic_id,
    encode_location,
    encode_pack,
)
from dronewarn.formats.sapient.encode import detection_message, sensor_registration_message
from dronewarn.formats.sapient.framing import encode_message as frame
from dronewarn.formats.sighting import Sighting, encode_sightings
from dronewarn.geo.geodesic import distance_m
from dronewarn.sim.scenario import (
    AcousticGridSensor,
    AcousticStripSensor,
    AirborneRadarSensor,
    CuasSensor,
    RadarSensor,
    RemoteIdSensor,
    Scenario,
    Sensor,
)
from dronewarn.sim.stream import Delivery

MAX_SIGHTING_DISTANCE_M = 20_000.0
"""The largest distance the sighting schema takes (``formats.sighting``)."""
ACOUSTIC_CONFIDENCE = 0.8
"""What a simulated acoustic node states as its confidence (the emulator has no classifier)."""


def asterix_source(scenario: Scenario, sensor_id: str) -> tuple[int, int]:
    """(SAC, SIC) of a scenario radar (module doc)."""
    nodes = [node.id for node in scenario.nodes]
    radars = [s for s in scenario.sensors if isinstance(s, RadarSensor | AirborneRadarSensor)]
    mine = next(s for s in radars if s.id == sensor_id)
    same_node = [s.id for s in radars if s.node == mine.node]
    return nodes.index(mine.node) + 1, same_node.index(sensor_id) + 1


def sapient_node_id(scenario: Scenario, sensor_id: str) -> str:
    """The UUID a simulated SAPIENT node registers with (stable per scenario and sensor)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dronewarn-sim:{scenario.name}:{sensor_id}"))


def wire_format(sensor: Sensor) -> WireFormat:
    """What a scenario sensor sends."""
    if isinstance(sensor, RadarSensor | AirborneRadarSensor):
        return WireFormat.ASTERIX
    if isinstance(sensor, CuasSensor):
        return WireFormat.SAPIENT
    if isinstance(sensor, AcousticStripSensor | AcousticGridSensor):
        return WireFormat.ACOUSTIC_JSON
    if isinstance(sensor, RemoteIdSensor):
        return WireFormat.ODID
    return WireFormat.SIGHTING_JSON


def _radar_payloads(
    sac: int, sic: int, sensor: RadarSensor | AirborneRadarSensor, delivery: Delivery
) -> tuple[bytes, ...]:
    records: list[tuple[int, bytes]] = []  # (category, record) in sending order
    plots = [r for r in delivery.reports if isinstance(r.measurement, PolarMeasurement)]
    if not plots:
        return ()
    scan_start_s = delivery.arrival_s - sensor.latency_s - sensor.scan_period_s
    if isinstance(sensor, RadarSensor):
        north = RadarServiceMessage(
            sac,
            sic,
            time_of_day_s(scan_start_s),
            ServiceMessageType.NORTH_MARKER,
            rotation_period_s=sensor.scan_period_s,
        )
        records.append((34, encode_service_message(north)))
        records.extend((48, encode_plot(_plot(sac, sic, r))) for r in plots)
    else:
        # a moving antenna: before each plot, a sector crossing carrying where the antenna is
        last_site = None
        for report in plots:
            m = report.measurement
            assert isinstance(m, PolarMeasurement)
            if m.site != last_site:
                crossing = RadarServiceMessage(
                    sac,
                    sic,
                    time_of_day_s(report.time_s),
                    ServiceMessageType.SECTOR_CROSSING,
                    sector_deg=m.bearing_deg,
                    rotation_period_s=sensor.scan_period_s,
                    source_lat_deg=m.site.lat_deg,
                    source_lon_deg=m.site.lon_deg,
                    source_height_m=m.site.alt_m,
                )
                records.append((34, encode_service_message(crossing)))
                last_site = m.site
            records.append((48, encode_plot(_plot(sac, sic, report))))
    return tuple(_datagrams(records))


def _datagrams(records: Sequence[tuple[int, bytes]]) -> list[bytes]:
    """Consecutive records of one category become data blocks; blocks fill datagrams."""
    runs: list[tuple[int, list[bytes]]] = []
    for category, record in records:
        if runs and runs[-1][0] == category:
            runs[-1][1].append(record)
        else:
            runs.append((category, [record]))
    datagrams: list[bytes] = []
    current = b""
    for category, run in runs:
        for block in pack_datablocks(category, run):
            if len(current) + len(block) > 1400:
                datagrams.append(current)
                current = b""
            current += block
    if current:
        datagrams.append(current)
    return datagrams


def _plot(sac: int, sic: int, report: Report) -> RadarPlot:
    m = report.measurement
    assert isinstance(m, PolarMeasurement)
    return RadarPlot(
        sac,
        sic,
        time_of_day_s(report.time_s),
        m.range_m,
        m.bearing_deg % 360.0,
        simulated=False,
    )


def _sapient_payloads(node_id: str, sensor: CuasSensor, delivery: Delivery) -> tuple[bytes, ...]:
    if not delivery.reports:
        return ()
    registration = sensor_registration_message(node_id, sensor.id, delivery.reports[0].time_s)
    frames = [frame(registration)]
    for report in delivery.reports:
        frames.append(frame(detection_message(report, node_id, object_key=report.source)))
    return tuple(frames)


def _acoustic_payloads(delivery: Delivery) -> tuple[bytes, ...]:
    out = []
    for report in delivery.reports:
        assert isinstance(report.measurement, BearingMeasurement)
        node = report.source.rsplit("/", 1)[-1]
        detection = detection_from_report(report, node, ACOUSTIC_CONFIDENCE)
        out.append(encode_detection(detection))
    return tuple(out)


def _sighting_payloads(delivery: Delivery) -> tuple[bytes, ...]:
    out = []
    for report in delivery.reports:
        m = report.measurement
        assert isinstance(m, SightingMeasurement)
        reporter = f"sim-{zlib.crc32(report.source.encode()):08x}"
        ground_m = float(
            distance_m(
                m.reporter.lat_deg, m.reporter.lon_deg, m.estimate.lat_deg, m.estimate.lon_deg
            )
        )
        # the app's distance is along the line of sight (formats.sighting: ground = d cos(elev));
        # a guess beyond what the schema takes is left out, as a citizen would
        slant_m = max(ground_m, 1.0) / math.cos(math.radians(m.elevation_deg))
        sighting = Sighting(
            version=1,
            reporter_id=reporter,
            lat_deg=round(m.reporter.lat_deg, 6),
            lon_deg=round(m.reporter.lon_deg, 6),
            # the app sends the compass bearing the citizen pointed and a distance guess: the
            # simulated citizen's guess is how far the drone seemed (to their estimate)
            bearing_deg=round(m.bearing_deg % 360.0, 1) % 360.0,
            elevation_deg=round(m.elevation_deg, 1),
            time=datetime.fromtimestamp(report.time_s, tz=UTC),
            distance_m=round(slant_m) if slant_m <= MAX_SIGHTING_DISTANCE_M else None,
        )
        out.append(encode_sightings([sighting]))
    return tuple(out)


def _remote_id_payloads(delivery: Delivery) -> tuple[bytes, ...]:
    out = []
    for report in delivery.reports:
        m = report.measurement
        assert isinstance(m, PositionMeasurement)
        rotor = report.class_hint is not None and (
            report.class_hint.object_class is ObjectClass.MULTIROTOR
        )
        basic = encode_basic_id(
            report.source.removeprefix("rid:"),
            ua_type=UaType.HELICOPTER_OR_MULTIROTOR if rotor else UaType.AEROPLANE,
        )
        location = encode_location(
            lat_deg=m.point.lat_deg,
            lon_deg=m.point.lon_deg,
            geodetic_alt_m=m.point.alt_m,
            time_s=report.time_s,
            # the declared accuracy is a 95 % bound, about two sigma
            horizontal_accuracy_m=2.0 * m.sigma_h_m,
            vertical_accuracy_m=None if m.sigma_v_m is None else 2.0 * m.sigma_v_m,
        )
        out.append(encode_pack([basic, location]))
    return tuple(out)


def with_wire(scenario: Scenario, deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The deliveries with their payloads in each sensor's wire format (module doc)."""
    sensors = {s.id: s for s in scenario.sensors}
    sources = {
        s.id: asterix_source(scenario, s.id)
        for s in scenario.sensors
        if isinstance(s, RadarSensor | AirborneRadarSensor)
    }
    out: list[Delivery] = []
    for delivery in deliveries:
        sensor = sensors[delivery.sensor_id]
        if isinstance(sensor, RadarSensor | AirborneRadarSensor):
            payloads = _radar_payloads(*sources[sensor.id], sensor, delivery)
        elif isinstance(sensor, CuasSensor):
            payloads = _sapient_payloads(sapient_node_id(scenario, sensor.id), sensor, delivery)
        elif isinstance(sensor, AcousticStripSensor | AcousticGridSensor):
            payloads = _acoustic_payloads(delivery)
        elif isinstance(sensor, RemoteIdSensor):
            payloads = _remote_id_payloads(delivery)
        else:
            payloads = _sighting_payloads(delivery)
        out.append(
            Delivery(
                delivery.arrival_s,
                delivery.node_id,
                delivery.sensor_id,
                delivery.reports,
                wire_format(sensor),
                payloads,
            )
        )
    return out
