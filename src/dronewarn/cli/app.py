"""dronewarn demo | eval | sim | track | keys (more commands join as their issues land)."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import numpy as np
import typer
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from dronewarn.cli.decode import (
    DecodeFormat,
    asterix_hints,
    guess_format,
    nothing_decoded,
    run_decode,
)
from dronewarn.cli.node import node_app
from dronewarn.cli.pictures import announce_when_up, plan_pictures, print_pictures
from dronewarn.cli.replay import replay_command
from dronewarn.cli.users import users_app
from dronewarn.cli.views import live_picture, summary_panel
from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.time import iso, parse_iso
from dronewarn.evaluation.night_map import draw_night_map
from dronewarn.harness.night import Night, NodeOutcome, Window, World, make_world, run_parallel
from dronewarn.harness.summary import summarise
from dronewarn.node.runtime import settle_heap
from dronewarn.sense.asterix.editions import parse_editions
from dronewarn.sim.output import write_drones, write_reports, write_truth
from dronewarn.sim.scenario import Scenario, load_scenario
from dronewarn.sim.stream import ReplayClock

app = typer.Typer(
    help="dronewarn: cross-border drone early warning and track sharing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _stderr() -> Console:
    """A console on standard error (progress, messages), separate from results on stdout."""
    return Console(stderr=True)


T = TypeVar("T")


def _parse_speed(text: str) -> float | None:
    if text.lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither a number nor 'max'") from None
    if speed <= 0:
        raise typer.BadParameter("speed must be positive")
    return speed


def _window(scenario: Scenario, start: str | None, hours: float | None) -> Window:
    try:
        start_s = parse_iso(start.replace("Z", "+00:00")) if start else scenario.start_s
    except (ValueError, DronewarnError) as exc:
        raise typer.BadParameter(f"--start: {exc}") from None
    end_s = scenario.end_s if hours is None else min(scenario.end_s, start_s + hours * 3600.0)
    if not scenario.start_s <= start_s < end_s:
        raise typer.BadParameter(
            f"--start must fall in {iso(scenario.start_s)} .. {iso(scenario.end_s)}"
        )
    return Window(start_s, end_s)


def _build_world(scenario: Scenario, quiet: bool) -> World:
    with Progress(
        TextColumn("[bold]simulating[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("drones", total=len(scenario.sensors) + 1)

        def step(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        return make_world(scenario, step)


@app.command()
def demo(
    scenario_name: Annotated[
        str, typer.Option("--scenario", help="built-in scenario name or a scenario file")
    ] = "night-0910",
    headless: Annotated[bool, typer.Option(help="no picture; print a summary and exit")] = False,
    terminal: Annotated[
        bool, typer.Option(help="a live table in this terminal instead of the web pictures")
    ] = False,
    speed: Annotated[str, typer.Option(help="simulated seconds per wall second, or 'max'")] = "120",
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    start: Annotated[str | None, typer.Option(help="window start, ISO 8601 UTC")] = None,
    hours: Annotated[float | None, typer.Option(help="window length in hours")] = None,
    node: Annotated[str, typer.Option(help="node whose picture the terminal view shows")] = "PL",
    pictures: Annotated[
        str, typer.Option(help="nodes that serve a web picture, comma-separated")
    ] = "PL,BY",
    web_port: Annotated[
        int, typer.Option(help="port of the first picture (the next ones count up; 0: any)")
    ] = 8400,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="keep each node's keys, stores, audit log and history in DIR/<node>/"),
    ] = None,
    tak: Annotated[
        bool,
        typer.Option(help="the picture nodes also serve TAK clients (CoT over mutual TLS)"),
    ] = True,
) -> None:
    """Run the scenario's nodes (BY, PL, UA for NIGHT-0910) and show warnings flowing.

    Each node runs in its own process; the nodes warn each other over signed, acknowledged
    links with mutual TLS on loopback. By default PL and BY serve their operator pictures in
    the browser (links printed below) and stay up after the night for replay, until Ctrl-C.
    --headless prints a summary and exits; --terminal shows one node's picture as a table
    (the nodes then run in one process).
    """
    scenario = load_scenario(scenario_name)
    window = _window(scenario, start, hours)
    pace = _parse_speed(speed)
    node_ids = {n.id for n in scenario.nodes}
    if node not in node_ids:
        raise typer.BadParameter(f"--node {node!r} is not a node of {scenario.name}")
    served = [p.strip() for p in pictures.split(",") if p.strip()]
    if unknown := set(served) - node_ids:
        raise typer.BadParameter(f"--pictures: {sorted(unknown)} not nodes of {scenario.name}")
    world = _build_world(scenario, quiet=as_json)
    wall0 = time.perf_counter()
    if terminal and not (headless or as_json):
        night = Night(world)
        clock = ReplayClock(window.start_s, pace)
        try:
            _run_live(night, window, clock, node)
        except KeyboardInterrupt:
            _stderr().print("[yellow]stopped by the operator; summary so far:[/]")
            reached = max(n.now_s for n in night.nodes.values())
            window = Window(window.start_s, max(reached, window.start_s + 1.0))
        outcomes = night.outcomes()
        night.close()
        Console().print(
            summary_panel(summarise(world, outcomes, window, time.perf_counter() - wall0))
        )
        return
    if headless or as_json or not served:
        settle_heap()  # this process hosts a node until the night ends
        outcomes = _headless(
            window,
            as_json,
            lambda step: run_parallel(world, window, node, step, data_dir=data_dir, speed=pace),
        )
        summary = summarise(world, outcomes, window, time.perf_counter() - wall0)
        if as_json:
            print(json.dumps(summary.to_dict(), indent=2))
        else:
            Console().print(summary_panel(summary))
        return
    with tempfile.TemporaryDirectory(prefix="dronewarn-tak-") as scratch:
        tak_root = None if not tak else (data_dir or Path(scratch)) / "tak"
        _serve_pictures(world, window, pace, served, web_port, data_dir, wall0, tak_root)


def _serve_pictures(
    world: World,
    window: Window,
    pace: float | None,
    served: list[str],
    web_port: int,
    data_dir: Path | None,
    wall0: float,
    tak_root: Path | None,
) -> None:
    """The demo with web pictures (and TAK feeds): the night, then replay until Ctrl-C."""
    console = _stderr()
    planned = plan_pictures(served, "127.0.0.1", web_port, data_dir, tak_root)
    announce_when_up(console, planned)
    host = served[0]

    def after_night(outcomes: dict[str, NodeOutcome]) -> None:
        summary = summarise(world, outcomes, window, time.perf_counter() - wall0)
        Console().print(summary_panel(summary))
        print_pictures(console, planned)
        console.print(
            "[bold]The night is over; the pictures stay up for replay and for acting on "
            "warnings. Ctrl-C stops the nodes.[/]"
        )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # a service manager's SIGTERM ends the demo like Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    settle_heap()
    _headless(
        window,
        False,
        lambda step: run_parallel(
            world,
            window,
            host,
            step,
            data_dir=data_dir,
            speed=pace,
            pictures={p.node_id: p.config for p in planned},
            after_night=after_night,
        ),
    )


Run = Callable[[Callable[[float], None]], T]


def _headless(window: Window, quiet: bool, run: Run[T]) -> T:
    """Run with a progress bar over simulated time."""
    with Progress(
        TextColumn("[bold]night[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_stderr(),
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task(iso(window.start_s), total=window.end_s - window.start_s)
        last = [window.start_s]

        def step(now_s: float) -> None:
            if now_s - last[0] >= 60.0:
                last[0] = now_s
                progress.update(task, completed=now_s - window.start_s, description=iso(now_s))

        return run(step)


def _run_live(night: Night, window: Window, clock: ReplayClock, node_id: str) -> None:
    label = "max" if clock.speed is None else f"x{clock.speed:g}"
    with Live(live_picture(night, node_id, window.start_s, label), refresh_per_second=4) as live:
        shown = [time.monotonic()]

        def step(now_s: float) -> None:
            if time.monotonic() - shown[0] >= 0.25:
                shown[0] = time.monotonic()
                live.update(live_picture(night, node_id, now_s, label))

        night.run(window, clock, step)
        live.update(live_picture(night, node_id, window.end_s, label))


EVAL_KEYS = (
    "crossers",
    "crossers_warned",
    "warned_10min_fraction",
    "lead_time_min_median",
    "lead_time_min_p10",
    "distractors",
    "false_warning_fraction",
    "entry_error_km_median_t10",
    "window_coverage",
    "warnings_per_crosser",
)


@app.command(name="decode")
def decode_command(
    path: Annotated[Path, typer.Argument(help="capture or recording to decode")],
    fmt: Annotated[
        DecodeFormat, typer.Option("--format", help="file format (auto: guessed from its content)")
    ] = DecodeFormat.AUTO,
    edition: Annotated[
        list[str] | None,
        typer.Option(help='ASTERIX edition per category, "CAT:EDITION" (e.g. 48:1.21); repeatable'),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option(help="radar site LAT,LON[,HEIGHT_M] that turns CAT048 plots into Reports"),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--time",
            help="UTC time (ISO 8601) that dates ASTERIX times of day and undated input "
            "(default: a capture's packet times, else now)",
        ),
    ] = None,
) -> None:
    """Decode a sensor capture: one JSON line per Report on stdout, errors on stderr."""
    try:
        editions = parse_editions(edition or [])
        radar_site = _site(site) if site else None
        reference_s = parse_iso(at) if at else time.time()
    except (DronewarnError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    try:
        counts = run_decode(path, fmt, editions, radar_site, reference_s)
    except OSError as error:
        _stderr().print(f"[red]cannot read {path}: {error.strerror or error}[/red]")
        raise typer.Exit(2) from None
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "nothing"
    err = _stderr()
    err.print(f"{path.name}: {summary}", highlight=False)
    errors = sum(n for kind, n in counts.items() if kind.startswith("error:"))
    asterix = fmt in (DecodeFormat.ASTERIX, DecodeFormat.PCAP) or (
        fmt is DecodeFormat.AUTO
        and guess_format(path.read_bytes()[:512], path.name)
        in (DecodeFormat.ASTERIX, DecodeFormat.PCAP)
    )
    hints = asterix_hints(path, editions) if asterix and errors else []
    for hint in hints:
        if hint.better or nothing_decoded(counts):
            err.print(hint.describe(), highlight=False, soft_wrap=True)
    if nothing_decoded(counts):
        if not hints:
            err.print(f"nothing in {path.name} decodes ({fmt.value})", highlight=False)
        raise typer.Exit(1)


def _site(text: str) -> GeoPoint:
    parts = [float(v) for v in text.split(",")]
    if len(parts) not in (2, 3):
        raise ValueError(f"--site wants LAT,LON[,HEIGHT_M], not {text!r}")
    return GeoPoint(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


@app.command(name="eval")
def evaluate(
    scenario_name: Annotated[str, typer.Argument(help="built-in scenario name or a scenario file")],
    recipient: Annotated[
        str | None,
        typer.Option(help="node whose received warnings are scored (default: the waves' target)"),
    ] = None,
    sender: Annotated[
        str | None, typer.Option(help="score only this partner's warnings (default: all)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    map_path: Annotated[
        Path | None, typer.Option("--map", help="also draw the night's map to this PNG")
    ] = None,
) -> None:
    """Run a scenario headless and score its warnings against ground truth."""
    scenario = load_scenario(scenario_name)
    window = Window(scenario.start_s, scenario.end_s)
    names = [node.id for node in scenario.nodes]
    for option, value in (("--recipient", recipient), ("--sender", sender)):
        if value is not None and value not in names:
            raise typer.BadParameter(
                f"{option} {value!r} is not a node of {scenario.name}: {names}"
            )
    world = _build_world(scenario, quiet=as_json)
    wall0 = time.perf_counter()
    host = recipient or scenario.nodes[0].id
    outcomes = _headless(window, as_json, lambda step: run_parallel(world, window, host, step))
    summary = summarise(world, outcomes, window, time.perf_counter() - wall0)
    target = recipient or summary.primary
    if target not in summary.scores:
        raise typer.BadParameter(f"--recipient {target!r} is not a node of {scenario.name}")
    score = summary.scores[target] if sender is None else summary.links.get(f"{sender}->{target}")
    if score is None:
        raise typer.BadParameter(f"{sender!r} sent {target!r} no warnings")
    if map_path is not None:
        received = [
            w
            for w in outcomes[target].warnings_in
            if w.area in ("", score.country) and (sender is None or w.sender == sender)
        ]
        draw_night_map(
            map_path,
            world.countries,
            world.truth,
            received,
            score,
            f"{scenario.name}: warnings received by {target} from {sender or 'all partners'}",
        )
    row = score.to_dict()
    result: dict[str, object] = {
        "scenario": scenario.name,
        "recipient": target,
        "senders": sender or "all",
        **{key: row[key] for key in EVAL_KEYS},
        "false_warnings": row["false_chains"],
        "links": {
            k: {key: v.to_dict()[key] for key in EVAL_KEYS}
            for k, v in summary.links.items()
            if k.endswith(f"->{target}")
        },
    }
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table(
        title=f"{scenario.name}: warnings received by {target} from {sender or 'all partners'}"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (*EVAL_KEYS, "false_warnings"):
        table.add_row(key, str(result[key]))
    Console().print(table)


app.add_typer(node_app, name="node")
app.add_typer(users_app, name="users")
app.command(name="replay")(replay_command)

keys_app = typer.Typer(help="A node's keys: Ed25519 signing key (JWK) and TLS certificate.")
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate(
    node: Annotated[str, typer.Option(help="the node's id, e.g. BY")],
    home: Annotated[Path, typer.Option(help="the node's home folder (keys go in HOME/keys)")],
    host: Annotated[
        list[str] | None,
        typer.Option(help="a host name or address partners reach the node at (repeatable)"),
    ] = None,
) -> None:
    """Make a node's signing key and TLS certificate; give partners the public files."""
    from dronewarn.share.provisioning import provision

    try:
        signing, tls = provision(home, node, tuple(host or ("localhost", "127.0.0.1")))
    except DronewarnError as exc:
        raise typer.BadParameter(str(exc)) from None
    out = Console()
    out.print(f"signing key id {signing.kid}; TLS certificate {tls.fingerprint()[:16]}...")
    out.print(
        f"private files (mode 0600, stay here): {home / 'keys'}/*.private.jwk.json, *.key.pem"
    )
    out.print("give partners: *.public.jwk.json and *.tls.cert.pem (dronewarn keys trust)")


@keys_app.command("trust")
def keys_trust(
    home: Annotated[Path, typer.Option(help="this node's home folder")],
    partner: Annotated[str, typer.Option(help="the partner's node id")],
    source: Annotated[Path, typer.Option(help="folder holding the partner's public files")],
) -> None:
    """Configure a partner's public keys and certificates at this node."""
    from dronewarn.share.provisioning import trust

    try:
        written = trust(home, source, partner)
    except DronewarnError as exc:
        raise typer.BadParameter(str(exc)) from None
    for path in written:
        Console().print(f"trusted {path}")


link_app = typer.Typer(help="The node's signed partner links.")
app.add_typer(link_app, name="link")


@link_app.command("serve")
def link_serve(
    home: Annotated[Path, typer.Option(help="the node's home folder (with link.json)")],
    feed: Annotated[
        Path | None, typer.Option(help="JSON lines of warnings to send, each once")
    ] = None,
    clock_offset_s: Annotated[
        float, typer.Option(help="add this to the system clock (drills of clock skew)")
    ] = 0.0,
) -> None:
    """Run the node's partner endpoint and outbox; store what partners send. Ctrl-C stops."""
    import signal
    import threading

    from dronewarn.node.linked import read_feed, serve_link
    from dronewarn.share.link_config import load_link_config
    from dronewarn.share.link_service import LinkService
    from dronewarn.store.sqlite import SqliteStore

    try:
        config = load_link_config(home)
        items = read_feed(feed) if feed else []
    except DronewarnError as exc:
        raise typer.BadParameter(str(exc)) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    link = LinkService(config, lambda: time.time() + clock_offset_s)
    store = SqliteStore(home / "node.sqlite")
    port = link.start()
    settle_heap()
    _stderr().print(f"{config.node_id}: partner endpoint on https://{config.listen_host}:{port}")
    try:
        inbox = serve_link(link, store, items, stop)
    except KeyboardInterrupt:
        inbox = None
    link.stop()
    store.close()
    if inbox is not None:
        _stderr().print(f"acted on {inbox.acted} partner messages ({inbox.duplicates} again)")


audit_app = typer.Typer(help="The node's audit log: a signed hash chain of what was shared.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path, typer.Argument(help="a node's home folder or its audit.log")],
    key: Annotated[
        list[Path] | None,
        typer.Option(help="public key file(s) of the node (default: those in HOME/keys)"),
    ] = None,
) -> None:
    """Check every link of the chain and every signed checkpoint; exit 1 at the first bad
    entry, 2 when the log cannot be read."""
    from dronewarn.share import keys as jwk_keys
    from dronewarn.share.audit import FILE_NAME, verify

    log = path / FILE_NAME if path.is_dir() else path
    key_files = key or sorted((log.parent / "keys").glob("*.public.jwk.json"))
    try:
        public = [jwk_keys.load_public(p) for p in key_files]
        report = verify(log, public)
    except (OSError, DronewarnError) as exc:
        _stderr().print(f"[red]cannot verify {log}: {exc}[/]")
        raise typer.Exit(2) from None
    events = ", ".join(f"{k} {v}" for k, v in sorted(report.events.items()))
    if report.intact:
        Console().print(
            f"{log}: intact, {report.entries} entries, {report.checkpoints} signed "
            f"checkpoints ({events})"
        )
        return
    Console().print(f"[red]{log}: line {report.first_bad_line}: {report.problem}[/]")
    raise typer.Exit(1)


@audit_app.command("compare")
def audit_compare(
    sender: Annotated[Path, typer.Argument(help="the sender's home folder or audit.log")],
    receiver: Annotated[Path, typer.Argument(help="the receiving node's home folder")],
) -> None:
    """A partner's check: every message the receiver accepted from the sender appears, byte
    for byte, in the sender's log. Exit 1 naming the messages that do not."""
    from dronewarn.share.audit import FILE_NAME, compare
    from dronewarn.share.link_config import load_link_config
    from dronewarn.share.link_store import LinkStore

    log = sender / FILE_NAME if sender.is_dir() else sender
    sender_id = load_link_config(log.parent).node_id
    receiver_id = load_link_config(receiver).node_id
    store = LinkStore(receiver / "link.sqlite")
    tokens = store.received_tokens(sender_id)
    store.close()
    missing = compare(log, receiver_id, tokens)
    if missing:
        Console().print(f"[red]{len(missing)} of {len(tokens)} messages are not in {log}:[/]")
        for message_id in missing[:20]:
            Console().print(f"  {message_id}")
        raise typer.Exit(1)
    Console().print(f"all {len(tokens)} messages {receiver_id} accepted are in {sender_id}'s log")


@app.command()
def sim(
    scenario_name: Annotated[str, typer.Argument(help="built-in scenario name or a scenario file")],
    out: Annotated[
        Path, typer.Option(help="directory to write drones.csv, truth.csv, reports.jsonl")
    ],
    truth_step_s: Annotated[float, typer.Option(help="truth sampling period, seconds")] = 1.0,
) -> None:
    """Simulate a scenario and write its ground truth and sensor output to files."""
    if truth_step_s <= 0:
        raise typer.BadParameter("--truth-step-s must be positive")
    scenario = load_scenario(scenario_name)
    world = _build_world(scenario, quiet=False)
    out.mkdir(parents=True, exist_ok=True)
    write_drones(world.truth, out / "drones.csv")
    rows = write_truth(world.truth, out / "truth.csv", truth_step_s)
    with Progress(console=_stderr(), transient=True) as progress:
        task = progress.add_task("writing reports", total=len(world.deliveries))
        count = write_reports(
            world.deliveries, out / "reports.jsonl", lambda: progress.advance(task)
        )
    Console().print(
        f"{scenario.name}: {len(world.truth.drones)} drones, {rows:,} truth rows, "
        f"{count:,} reports written to {out}/ (drones.csv, truth.csv, reports.jsonl)"
    )


@app.command()
def track(
    detections: Annotated[
        Path, typer.Option(help="CSV t_s,sensor,x_m,y_m[,sigma_m] (local plane, metres)")
    ],
    out: Annotated[Path, typer.Option(help="CSV t_s,track_id,x_m,y_m,vx_mps,vy_mps to write")],
    truth: Annotated[
        Path | None, typer.Option(help="CSV t_s,target_id,x_m,y_m: print GOSPA against it")
    ] = None,
    sigma_m: Annotated[float, typer.Option(help="sigma of rows without one, metres")] = 150.0,
    clutter_density_per_m2: Annotated[
        float, typer.Option(help="false detections per m^2 per scan (track confirmation)")
    ] = 1e-9,
    revisit_s: Annotated[
        float, typer.Option(help="the sensor's revisit (scan period), seconds")
    ] = 10.0,
    gospa_c_m: Annotated[float, typer.Option(help="GOSPA cut-off distance, metres")] = 1000.0,
) -> None:
    """Track plain position detections (no map, no node) and optionally score them."""
    from dronewarn.cli.track_files import (
        ReadErrors,
        read_batches,
        read_truth,
        truth_at,
        write_header,
    )
    from dronewarn.track.metrics import score
    from dronewarn.track.tracker import Tracker, TrackerConfig

    if not detections.is_file():
        raise typer.BadParameter(f"{detections} is not a readable file", param_hint="--detections")
    if min(sigma_m, clutter_density_per_m2, gospa_c_m, revisit_s) <= 0:
        raise typer.BadParameter(
            "--sigma-m, --clutter-density-per-m2, --revisit-s and --gospa-c-m must be > 0"
        )
    errors = ReadErrors()
    tracker = Tracker("track", None, TrackerConfig(clutter_density_per_m2=clutter_density_per_m2))
    times: list[float] = []
    estimates: list[tuple[list[str], object]] = []
    rows_out = 0
    with out.open("w", newline="") as handle, Progress(console=_stderr(), transient=True) as bar:
        task = bar.add_task("tracking scans", total=None)
        writer = write_header(handle)
        for t_s, batch in read_batches(detections, sigma_m, errors):
            tracker.process(batch)
            tracker.prune(t_s)
            ids, x, _ = tracker.estimates(t_s)
            for track_id, row in zip(ids, x.tolist(), strict=True):
                writer.writerow((f"{t_s:.3f}", track_id, *(f"{v:.2f}" for v in row)))
            rows_out += len(ids)
            times.append(t_s)
            estimates.append((ids, x[:, :2]))
            bar.advance(task)
    err = _stderr()
    for kind, count in sorted((errors.counts + tracker.rejected).items()):
        err.print(f"refused {count} row(s): {kind}")
    for error in [*errors.first, *list(tracker.guard.recent)[:10]]:
        err.print(f"  {error}", highlight=False)
    Console().print(f"{len(times)} scans, {rows_out} track rows written to {out}")
    if truth is not None:
        truth_rows = read_truth(truth, errors)
        t_arr = np.array(times)
        positions, alive = truth_at(truth_rows, t_arr)
        result = score(t_arr, positions, alive, estimates, gospa_c_m)  # type: ignore[arg-type]
        Console().print(
            f"GOSPA (c = {gospa_c_m:.0f} m, p = 2): mean {result.mean_gospa_m:.1f} m; "
            f"localisation {result.mean_localisation_m:.1f} m, missed {result.mean_missed:.2f}, "
            f"false {result.mean_false:.2f} per scan; identity switches {result.id_switches}, "
            f"fragmentations {result.fragmentations}, "
            f"time to confirm (median) {result.median_time_to_confirm_s:.1f} s"
        )


def main() -> None:
    """Console entry point: typed dronewarn errors are printed, never shown as tracebacks."""
    try:
        app()
    except DronewarnError as exc:
        _stderr().print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
