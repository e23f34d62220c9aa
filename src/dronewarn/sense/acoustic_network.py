"""An acoustic network's MQTT feed: the MQTT subscriber with the acoustic format's decoder."""

from __future__ import annotations

import functools

from dronewarn.formats.acoustic import AcousticConfig, decode_message, topic_filter
from dronewarn.transports.mqtt import (
    ErrorSink,
    HandoffConfig,
    MessageSink,
    MqttConfig,
    MqttSubscriber,
    ReportSink,
)


def acoustic_subscriber(
    mqtt: MqttConfig,
    acoustic: AcousticConfig,
    on_reports: ReportSink,
    *,
    handoff: HandoffConfig | None = None,
    on_error: ErrorSink | None = None,
    on_message: MessageSink | None = None,
) -> MqttSubscriber:
    """Subscribes to ``acoustic.network``'s node and gateway topics (not yet started)."""
    return MqttSubscriber(
        mqtt,
        topic_filter(acoustic.network),
        functools.partial(decode_message, config=acoustic),
        on_reports,
        name=f"acoustic-{acoustic.network}",
        handoff=handoff,
        on_error=on_error,
        on_message=on_message,
    )
