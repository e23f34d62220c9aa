"""Remote ID receivers' datagrams (Open Drone ID messages) to Reports of cooperative drones.

A Wi-Fi or Bluetooth Remote ID receiver forwards what it hears, one UDP datagram per
broadcast: a message pack, single messages, or the transport's own framing (the Wi-Fi vendor
element or Bluetooth service data, which ``formats.remote_id.transport`` unwraps). Basic ID
and Location messages may come in separate datagrams (Bluetooth 4 sends one message per
advertisement): the last Basic ID heard from the same receiver is kept for a short while to
name the Locations that follow, as F3411 receivers do. (With several Bluetooth 4 drones in
range of one receiver whose datagrams do not say which transmitter sent them, that name may
be another drone's: only the report's source is affected, not the track's cooperative
status, which comes from the sensor.)

Each Location with a position becomes a PositionMeasurement: the declared horizontal accuracy
is a 95 % bound, so sigma is half of it (unknown accuracy: ``UNKNOWN_SIGMA_M``); height is the
geodetic altitude (else pressure altitude); its time is the Location's timestamp (tenths of a
second past the hour) in the hour nearest the arrival, or the arrival when the two are more
than ``MAX_CLOCK_SKEW_S`` apart. Its source is ``rid:<UAS ID>`` so that the tracker
marks the track cooperative (a node's Remote ID sensors are cooperative sensors, like ADS-B).
Remote ID can be spoofed: a broadcast alone never clears a track a radar sees; only the
tracker's association of the Remote ID position with the track does.
"""

from __future__ import annotations

from dronewarn.domain.errors import DecodeError, FieldValueError
from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.remote_id.messages import (
    BasicId,
    Location,
    UaType,
    aircraft_time_s,
    decode_messages,
)
from dronewarn.formats.remote_id.transport import unwrap
from dronewarn.sense.decoded import Decoded

UNKNOWN_SIGMA_M = 50.0
"""Horizontal 1-sigma for a Location that declares no accuracy (a consumer GNSS, loosely)."""
UNKNOWN_SIGMA_ALT_M = 30.0
MAX_CLOCK_SKEW_S = 30.0
"""A Location is broadcast as it is measured: one whose timestamp is further than this from
its arrival has a broken clock (test transmitters send 0, the top of the hour) and is dated
by its arrival instead."""
BASIC_ID_HOLD_S = 10.0
"""How long a Basic ID names the Locations that follow it without one."""
_ROTOR_TYPES = frozenset({UaType.HELICOPTER_OR_MULTIROTOR, UaType.HYBRID_LIFT})


class RemoteIdInput:
    """One Remote ID receiver's datagrams."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._last_id: tuple[BasicId, float] | None = None

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        try:
            messages = decode_messages(unwrap(payload))
        except DecodeError as error:
            return Decoded((), (error,))
        basic = next((m for m in messages if isinstance(m, BasicId)), None)
        if basic is not None:
            self._last_id = (basic, received_s)
        elif self._last_id is not None and received_s - self._last_id[1] <= BASIC_ID_HOLD_S:
            basic = self._last_id[0]
        reports: list[Report] = []
        errors = []
        for message in messages:
            if not isinstance(message, Location) or message.lat_deg is None:
                continue
            if basic is None or not basic.uas_id:
                errors.append(
                    FieldValueError(
                        "a Remote ID Location with no Basic ID heard before it: "
                        "the drone cannot be named, so it is not taken as cooperative",
                        data=payload[:64],
                        field="basic_id",
                    )
                )
                continue
            reports.append(self._report(message, basic, received_s))
        return Decoded(tuple(reports), tuple(errors))

    def _report(self, location: Location, basic: BasicId, received_s: float) -> Report:
        assert location.lat_deg is not None and location.lon_deg is not None
        alt = location.geodetic_alt_m
        if alt is None:
            alt = location.pressure_alt_m
        sigma_h = (location.horizontal_accuracy_m or 2 * UNKNOWN_SIGMA_M) / 2.0
        sigma_v = (location.vertical_accuracy_m or 2 * UNKNOWN_SIGMA_ALT_M) / 2.0
        measurement = PositionMeasurement(
            GeoPoint(location.lat_deg, location.lon_deg, alt), sigma_h, sigma_v
        )
        hint = ClassHint(ObjectClass.MULTIROTOR, 0.9) if basic.ua_type in _ROTOR_TYPES else None
        time_s = aircraft_time_s(location, received_s)
        if abs(time_s - received_s) > MAX_CLOCK_SKEW_S:
            time_s = received_s
        return Report(
            self.sensor_id,
            time_s,
            measurement,
            hint,
            f"rid:{basic.uas_id}",
        )
