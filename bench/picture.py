"""The operator picture with 1,000 live tracks: frame time in the browser, stream bandwidth.

A real node (BY's NIGHT-0910 configuration) tracks 1,000 drones seen by one radar (plots
each second as the antenna sweeps, as in ``bench/latency.py``) and serves its picture; Debian's
chromium (Playwright) opens it with every predicted path shown (the worst case). Measured in
the browser:

* dronewarn: per update, the time to apply the stream's batch and to draw every track,
  trail, predicted path and corridor on the picture's canvas layer;
* the peer, in the same page on the same tracks: Leaflet's own way, one ``L.circleMarker``
  per track plus ``L.polyline`` trails and predicted paths on Leaflet's canvas renderer,
  updated from the same batches; timed as the update call plus Leaflet's redraw;
* animation frames: the intervals between ``requestAnimationFrame`` callbacks while the
  map is also being panned (a frame over 50 ms is a visible stutter);
* the stream's bytes per second per client (JSON, before WebSocket compression).

Prints medians, p95 and the ratio peer / dronewarn.

    ./run bench picture [--tracks 1000] [--seconds 30] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Page, sync_playwright
from rich.console import Console

from dronewarn.harness.in_process import scenario_airspaces, scenario_node_configs
from dronewarn.node.node import build_node
from dronewarn.node.operator_picture import OperatorPicture, demo_logins, demo_picture_config
from dronewarn.sim.deployment import free_port
from dronewarn.sim.scenario import load_scenario
from dronewarn.store.sqlite import SqliteStore
from latency import drones, plots

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

FRAME_PROBE = """() => {
  const probe = window.dronewarnProbe = { intervals: [], last: performance.now(), on: true };
  const loop = (now) => {
    probe.intervals.push(now - probe.last); probe.last = now;
    if (probe.on) requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  let k = 0;
  probe.pan = setInterval(() => {
    window.dronewarn.map.panBy([k++ % 2 ? 40 : -40, 0], {animate: false});
  }, 500);
}"""

PROBE_STOP = """() => {
  const probe = window.dronewarnProbe; probe.on = false; clearInterval(probe.pan);
  return probe.intervals.slice(2);
}"""

# the peer: Leaflet's standard layers on its canvas renderer, fed from the same tracks
PEER_START = """() => {
  const dw = window.dronewarn, map = dw.map, F = {};
  dw.state.fields.forEach((n, i) => { F[n] = i; });
  map.removeLayer(dw.trackLayer);
  const renderer = L.canvas({ padding: 0.2 });
  const peer = window.dronewarnPeer = { updates: [], redraws: [], markers: new Map() };
  const redraw = renderer._redraw.bind(renderer);
  renderer._redraw = function () {
    const t0 = performance.now(); redraw(); peer.redraws.push(performance.now() - t0);
  };
  let seen = dw.stats.batches;
  peer.timer = setInterval(() => {
    if (dw.stats.batches === seen) return;
    seen = dw.stats.batches;
    const t0 = performance.now();
    const live = new Set();
    for (const [id, row] of dw.state.tracks) {
      live.add(id);
      const at = [row[F.lat_deg], row[F.lon_deg]];
      const trail = (dw.state.trails.get(id) || []).map((p) => [p.lat, p.lon]);
      const lead = row[F.lead_lat_deg] === null ? at : [row[F.lead_lat_deg], row[F.lead_lon_deg]];
      let m = peer.markers.get(id);
      if (!m) {
        m = {
          dot: L.circleMarker(at, { renderer, radius: 4.5, weight: 2 }).addTo(map),
          trail: L.polyline(trail, { renderer, weight: 1 }).addTo(map),
          path: L.polyline([at, lead], { renderer, weight: 1, dashArray: '6 4' }).addTo(map),
        };
        peer.markers.set(id, m);
      } else {
        m.dot.setLatLng(at); m.trail.setLatLngs(trail); m.path.setLatLngs([at, lead]);
      }
    }
    for (const [id, m] of peer.markers) if (!live.has(id)) {
      map.removeLayer(m.dot); map.removeLayer(m.trail); map.removeLayer(m.path);
      peer.markers.delete(id);
    }
    peer.updates.push(performance.now() - t0);
  }, 50);
}"""


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def feed_node(
    tracks: int, stop: threading.Event, ready: threading.Event, out: dict[str, Any]
) -> None:
    """BY's node with a picture, fed 1,000 drones' radar plots each second until ``stop``."""
    scenario = load_scenario("night-0910")
    _, countries = scenario_airspaces(scenario)
    node = build_node(scenario_node_configs(scenario)["BY"], countries, SqliteStore(":memory:"))
    logins = demo_logins()
    picture = OperatorPicture(node, demo_picture_config("127.0.0.1", free_port(), logins))
    picture.start()
    out["url"] = f"{picture.url}/login/once?token={logins[0].token}"
    out["picture"] = picture
    frame = node.airspace.frame
    rng = np.random.default_rng(7)
    pos, vel = drones(tracks, rng, frame)
    phase = rng.integers(0, 10, tracks)
    start = last = time.time()
    tick = 0
    while not stop.is_set():
        now = time.time()
        pos += vel * (now - last)
        last = now
        node.on_reports(plots(frame, pos[phase == tick % 10], now, rng), now)
        node.tick(now)
        picture.step(now)
        if len(picture.board.view().frame.tracks) >= 0.9 * tracks:
            ready.set()
        tick += 1
        time.sleep(max(0.0, start + tick - time.time()))
    picture.stop()


def measure(page: Page, seconds: float) -> dict[str, list[float]]:
    page.evaluate(FRAME_PROBE)
    page.evaluate(
        "() => { window.dronewarn.stats.draws = []; window.dronewarn.stats.applies = []; }"
    )
    time.sleep(seconds)
    intervals = page.evaluate(PROBE_STOP)
    stats = page.evaluate("() => window.dronewarn.stats")
    return {"draws": stats["draws"], "applies": stats["applies"], "intervals": intervals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    console = Console(stderr=True)
    stop, ready, out = threading.Event(), threading.Event(), {}
    node_thread = threading.Thread(target=feed_node, args=(args.tracks, stop, ready, out))
    node_thread.start()
    try:
        if not ready.wait(180.0):
            raise SystemExit("the node did not reach its tracks in 180 s")
        console.print(f"node tracks {len(out['picture'].board.view().frame.tracks)} drones")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
            page.goto(out["url"])
            page.check("#all-paths")  # every predicted path and corridor: the worst case
            page.evaluate("() => window.dronewarn.map.setView([52.1, 26.0], 7)")
            time.sleep(5.0)  # trails fill
            health0 = page.evaluate("() => fetch('/api/health').then(r => r.json())")
            ours = measure(page, args.seconds)
            health1 = page.evaluate("() => fetch('/api/health').then(r => r.json())")
            shown = page.evaluate("() => window.dronewarn.state.tracks.size")
            page.evaluate(PEER_START)
            time.sleep(5.0)
            page.evaluate(
                "() => { window.dronewarnPeer.updates = []; window.dronewarnPeer.redraws = []; }"
            )
            page.evaluate(FRAME_PROBE)
            time.sleep(args.seconds)
            peer_intervals = page.evaluate(PROBE_STOP)
            peer = page.evaluate(
                "() => ({updates: window.dronewarnPeer.updates,"
                " redraws: window.dronewarnPeer.redraws})"
            )
            browser.close()
    finally:
        stop.set()
        node_thread.join()
    s0, s1 = health0["stream"], health1["stream"]
    bytes_per_s = (s1["bytes"] - s0["bytes"]) / max(1e-9, s1["seconds"] - s0["seconds"])

    def spread(values: list[float]) -> dict[str, float]:
        return {
            "median": statistics.median(values),
            "p95": percentile(values, 95),
            "max": max(values),
            "count": len(values),
        }

    def frames(intervals: list[float]) -> dict[str, float]:
        return {
            "median": statistics.median(intervals),
            "p95": percentile(intervals, 95),
            "over_50ms": sum(1 for x in intervals if x > 50.0),
            "frames": len(intervals),
        }

    ours_update = statistics.median(ours["applies"]) + statistics.median(ours["draws"])
    peer_update = statistics.median(peer["updates"]) + statistics.median(peer["redraws"])
    result = {
        "tracks_shown": shown,
        "seconds": args.seconds,
        "dronewarn_apply_ms": spread(ours["applies"]),
        "dronewarn_draw_ms": spread(ours["draws"]),
        "dronewarn_update_ms_median": ours_update,
        "dronewarn_frame_interval_ms": frames(ours["intervals"]),
        "peer_leaflet_update_ms": spread(peer["updates"]),
        "peer_leaflet_redraw_ms": spread(peer["redraws"]),
        "peer_update_ms_median": peer_update,
        "peer_frame_interval_ms": frames(peer_intervals),
        "ratio_peer_over_dronewarn_median": peer_update / ours_update,
        "stream_bytes_per_s_per_client": bytes_per_s / max(1, s1["clients"]),
    }
    console.print_json(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
