"""A node's Prometheus metrics (``GET /metrics``), read from the node's state when scraped.

Each node has its own registry (no process-global state). Names follow Prometheus's
conventions (base units, ``_total`` for counters):

=========================================  ======  ============================================
metric                                     type    labels
=========================================  ======  ============================================
dronewarn_info                             gauge   node, country (always 1)
dronewarn_input_messages_total             counter channel: datagrams, frames, requests
dronewarn_input_dropped_total              counter channel: dropped, the node behind
dronewarn_input_queue_depth                gauge   channel
dronewarn_input_last_message_age_seconds   gauge   channel (NaN before the first message)
dronewarn_listener_up                      gauge   channel (1 bound / connected)
dronewarn_reports_accepted_total           counter sensor
dronewarn_input_refused_total              counter sensor, kind: decode errors, implausible...
dronewarn_tracks                           gauge   (confirmed tracks now)
dronewarn_warnings_sent_total              counter partner (messages, NEW to closing)
dronewarn_warnings_received_total          counter partner
dronewarn_link_messages_acked_total        counter partner
dronewarn_link_outbox_pending              gauge   partner
dronewarn_link_consecutive_failures        gauge   partner
dronewarn_lag_seconds                      gauge   (newest report's age when it was fused)
dronewarn_cycle_seconds                    gauge   (last assessment cycle's duration)
dronewarn_replay_missing_total             counter channel (replay only)
dronewarn_output_up / _sent_total          gauge / counter  output, kind
=========================================  ======  ============================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector


@dataclass(frozen=True)
class Snapshot:
    """What the node's loop last published for the collector (read on scrape)."""

    node: str
    country: str
    channels: dict[str, dict[str, float]]
    accepted: dict[str, int]
    refused: dict[tuple[str, str], int]
    tracks: int
    links: dict[str, dict[str, Any]]
    warnings_sent: dict[str, int]
    warnings_received: dict[str, int]
    lag_s: float
    cycle_s: float
    missing: dict[str, int]
    outputs: list[dict[str, Any]]


class NodeCollector(Collector):
    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        s = self._snapshot()
        info = GaugeMetricFamily("dronewarn_info", "This node", labels=["node", "country"])
        info.add_metric([s.node, s.country], 1.0)
        yield info
        per_channel: dict[str, GaugeMetricFamily | CounterMetricFamily] = {
            "messages": CounterMetricFamily(
                "dronewarn_input_messages", "Messages received", labels=["channel"]
            ),
            "dropped": CounterMetricFamily(
                "dronewarn_input_dropped", "Messages dropped, the node behind", labels=["channel"]
            ),
            "depth": GaugeMetricFamily(
                "dronewarn_input_queue_depth", "Messages waiting", labels=["channel"]
            ),
            "age_s": GaugeMetricFamily(
                "dronewarn_input_last_message_age_seconds",
                "Seconds since the last message",
                labels=["channel"],
            ),
            "up": GaugeMetricFamily(
                "dronewarn_listener_up", "Listener bound or connected", labels=["channel"]
            ),
        }
        for channel, values in sorted(s.channels.items()):
            for key, family in per_channel.items():
                family.add_metric([channel], float(values.get(key, float("nan"))))
        yield from per_channel.values()
        accepted = CounterMetricFamily(
            "dronewarn_reports_accepted", "Reports accepted", labels=["sensor"]
        )
        for sensor, count in sorted(s.accepted.items()):
            accepted.add_metric([sensor], count)
        yield accepted
        refused = CounterMetricFamily(
            "dronewarn_input_refused", "Input refused, by kind", labels=["sensor", "kind"]
        )
        for (sensor, kind), count in sorted(s.refused.items()):
            refused.add_metric([sensor, kind], count)
        yield refused
        yield GaugeMetricFamily("dronewarn_tracks", "Confirmed tracks", value=s.tracks)
        sent = CounterMetricFamily(
            "dronewarn_warnings_sent", "Warning messages sent", labels=["partner"]
        )
        received = CounterMetricFamily(
            "dronewarn_warnings_received", "Warning messages received", labels=["partner"]
        )
        acked = CounterMetricFamily(
            "dronewarn_link_messages_acked", "Messages the partner acknowledged", labels=["partner"]
        )
        pending = GaugeMetricFamily(
            "dronewarn_link_outbox_pending", "Messages waiting for the partner", labels=["partner"]
        )
        failing = GaugeMetricFamily(
            "dronewarn_link_consecutive_failures",
            "Failed deliveries in a row",
            labels=["partner"],
        )
        for partner, stats in sorted(s.links.items()):
            sent.add_metric([partner], s.warnings_sent.get(partner, 0))
            received.add_metric([partner], s.warnings_received.get(partner, 0))
            acked.add_metric([partner], float(stats.get("acked", 0)))
            pending.add_metric([partner], float(stats.get("pending", 0)))
            failing.add_metric([partner], float(stats.get("consecutive_failures", 0)))
        yield from (sent, received, acked, pending, failing)
        yield GaugeMetricFamily(
            "dronewarn_lag_seconds", "Age of the newest report when fused", value=s.lag_s
        )
        yield GaugeMetricFamily(
            "dronewarn_cycle_seconds", "Last assessment cycle's duration", value=s.cycle_s
        )
        missing = CounterMetricFamily(
            "dronewarn_replay_missing", "Replay messages that never came", labels=["channel"]
        )
        for channel, count in sorted(s.missing.items()):
            missing.add_metric([channel], count)
        yield missing
        up = GaugeMetricFamily("dronewarn_output_up", "Output connected", labels=["output", "kind"])
        out = CounterMetricFamily(
            "dronewarn_output_sent", "Messages an output sent", labels=["output", "kind"]
        )
        for item in s.outputs:
            labels = [str(item["index"]), str(item["kind"])]
            up.add_metric(labels, 1.0 if item["up"] else 0.0)
            out.add_metric(labels, float(item["sent"]))
        yield up
        yield out


def node_registry(snapshot: Callable[[], Snapshot]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NodeCollector(snapshot))
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
