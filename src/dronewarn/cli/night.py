"""``dronewarn demo | eval | sim``: simulated nights, their nodes run as deployed.

``demo`` and ``eval`` start each scenario node as a ``dronewarn node run`` process from the
node.toml the simulator writes for it (``harness.launcher``), and feed their listeners over
real sockets (``sim.feeder``); ``--terminal`` runs the nodes in this process instead, to
show one node's picture as a table. ``sim configs`` and ``sim feed`` do the same by hand:
write the files, start the nodes yourself, feed them.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from dronewarn.cli.options import parse_speed
from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.time import iso, parse_iso

if TYPE_CHECKING:
    from dronewarn.harness.in_process import (
        InProcessNodes,
        NodeOutcome,
        SimulatedScenario,
        Window,
    )
    from dronewarn.harness.summary import NightSummary
    from dronewarn.sim.scenario import Scenario
    from dronewarn.sim.stream import ReplayClock


T = TypeVar("T")


def _stderr() -> Console:
    return Console(stderr=True)


def _window(scenario: Scenario, start: str | None, hours: float | None) -> Window:
    from dronewarn.harness.in_process import Window

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


def build_world(scenario: Scenario, quiet: bool) -> SimulatedScenario:
    from dronewarn.harness.in_process import simulate_scenario

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

        return simulate_scenario(scenario, step)


Run = Callable[[Callable[[float], None]], T]


def with_progress(window: Window, quiet: bool, run: Run[T]) -> T:
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


def run_night(
    scenario: Scenario,
    window: Window,
    speed: float | None,
    quiet: bool,
    data_dir: Path | None = None,
) -> tuple[SimulatedScenario, dict[str, NodeOutcome], float]:
    """The night through ``dronewarn node run`` processes, headless; (world, outcomes, wall)."""
    from dronewarn.harness.launcher import NightRun

    wall0 = time.perf_counter()
    with NightRun(scenario, data_dir) as run:
        run.start()  # the nodes start while the simulator works
        world = build_world(scenario, quiet)
        run.wait_ready()
        outcomes = with_progress(window, quiet, lambda step: run.feed(world, window, speed, step))
    return world, outcomes, time.perf_counter() - wall0


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
        typer.Option(
            help="keep the node.toml files in DIR and each node's keys, stores, audit log, "
            "history and log in DIR/<node>/"
        ),
    ] = None,
    tak: Annotated[
        bool,
        typer.Option(help="the picture nodes also serve TAK clients (CoT over mutual TLS)"),
    ] = True,
) -> None:
    """Run the scenario's nodes (BY, PL, UA for NIGHT-0910) and show warnings flowing.

    Each node is a `dronewarn node run` process started from the node.toml the simulator
    writes for it; the simulator only sends its sensors' messages to the nodes' listeners
    (UDP ASTERIX, TCP SAPIENT, MQTT, HTTP) and steps their replay clocks. The nodes warn
    each other over signed, acknowledged links with mutual TLS on loopback. By default PL
    and BY serve their operator pictures in the browser (links printed below) and stay up
    after the night for replay, until Ctrl-C. --headless prints a summary and exits;
    --terminal shows one node's picture as a table (the nodes then run in this process).
    """
    from dronewarn.cli.views import summary_panel
    from dronewarn.harness.summary import summarise
    from dronewarn.sim.scenario import load_scenario

    scenario = load_scenario(scenario_name)
    window = _window(scenario, start, hours)
    pace = parse_speed(speed)
    node_ids = {n.id for n in scenario.nodes}
    if node not in node_ids:
        raise typer.BadParameter(f"--node {node!r} is not a node of {scenario.name}")
    served = [p.strip() for p in pictures.split(",") if p.strip()]
    if unknown := set(served) - node_ids:
        raise typer.BadParameter(f"--pictures: {sorted(unknown)} not nodes of {scenario.name}")
    if terminal and not (headless or as_json):
        _terminal(scenario, window, pace, node)
        return
    if headless or as_json or not served:
        world, outcomes, wall_s = run_night(scenario, window, pace, as_json, data_dir)
        summary = summarise(world, outcomes, window, wall_s)
        if as_json:
            print(json.dumps(summary.to_dict(), indent=2))
        else:
            Console().print(summary_panel(summary))
        return
    _serve_pictures(scenario, window, pace, served, web_port, data_dir, tak)


def _terminal(scenario: Scenario, window: Window, pace: float | None, node_id: str) -> None:
    from dronewarn.cli.views import summary_panel
    from dronewarn.harness.in_process import InProcessNodes, Window
    from dronewarn.harness.summary import summarise
    from dronewarn.sim.stream import ReplayClock

    world = build_world(scenario, quiet=False)
    wall0 = time.perf_counter()
    night = InProcessNodes(world)
    clock = ReplayClock(window.start_s, pace)
    try:
        _run_live(night, window, clock, node_id)
    except KeyboardInterrupt:
        _stderr().print("[yellow]stopped by the operator; summary so far:[/]")
        reached = max(n.now_s for n in night.nodes.values())
        window = Window(window.start_s, max(reached, window.start_s + 1.0))
    outcomes = night.outcomes()
    night.close()
    Console().print(summary_panel(summarise(world, outcomes, window, time.perf_counter() - wall0)))


def _serve_pictures(
    scenario: Scenario,
    window: Window,
    pace: float | None,
    served: list[str],
    web_port: int,
    data_dir: Path | None,
    tak: bool,
) -> None:
    """The demo with web pictures (and TAK feeds): the night, then replay until Ctrl-C."""
    from dronewarn.cli.pictures import print_pictures
    from dronewarn.cli.views import summary_panel
    from dronewarn.harness.launcher import NightRun
    from dronewarn.harness.summary import summarise

    console = _stderr()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # a service manager's SIGTERM ends the demo like Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    wall0 = time.perf_counter()
    try:
        with NightRun(scenario, data_dir, served, web_port, tak) as run:
            run.start()
            world = build_world(scenario, quiet=False)
            run.wait_ready()
            console.print(
                f"Nodes: [bold]dronewarn node run {run.folder}/<node>.toml[/] "
                f"(logs in {run.folder}/<node>.log)",
                soft_wrap=True,
                highlight=False,
            )
            print_pictures(console, run.served)
            outcomes = with_progress(
                window, False, lambda step: run.feed(world, window, pace, step)
            )
            summary: NightSummary = summarise(world, outcomes, window, time.perf_counter() - wall0)
            Console().print(summary_panel(summary))
            print_pictures(console, run.served)
            console.print(
                "[bold]The night is over; the pictures stay up for replay and for acting on "
                "warnings. Ctrl-C stops the nodes.[/]"
            )
            run.linger(lambda: False)
    except KeyboardInterrupt:
        console.print("stopping the nodes")


def _run_live(night: InProcessNodes, window: Window, clock: ReplayClock, node_id: str) -> None:
    from dronewarn.cli.views import live_picture

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
    "visible_10min",
    "warned_10min_visible_fraction",
    "lead_efficiency_median",
    "closing_correct_fraction",
    "cancel_delay_s_median",
    "crossers_watched",
    "watch_lead_efficiency_median",
    "false_watch_fraction",
    "brier",
    "brier_skill",
    "cooperative_drones",
    "cooperative_alerted",
)
TABLE_KEYS = (
    "crossers",
    "warned_10min_fraction",
    "visible_10min",
    "warned_10min_visible_fraction",
    "lead_efficiency_median",
    "distractors",
    "false_warning_fraction",
    "false_watch_fraction",
    "entry_error_km_median_t10",
    "closing_correct_fraction",
    "brier",
)
"""The columns of ``eval --all``'s table (the JSON has every measure)."""


def evaluate(
    scenario_name: Annotated[
        str | None,
        typer.Argument(help="built-in scenario name or a scenario file (or --all DIR)"),
    ] = None,
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
    every: Annotated[
        Path | None,
        typer.Option(
            "--all",
            help="score every scenario file (*.yaml) in DIR, every direction, in one table",
        ),
    ] = None,
) -> None:
    """Run a scenario headless (its nodes as processes) and score its warnings; the JSON's
    ``by_recipient`` scores every node that received warnings, ``links`` every sender."""
    from dronewarn.evaluation.night_map import draw_night_map
    from dronewarn.harness.in_process import Window
    from dronewarn.harness.summary import summarise
    from dronewarn.sim.scenario import load_scenario

    if every is not None:
        if scenario_name is not None or recipient or sender or map_path:
            raise typer.BadParameter("--all scores every direction: give no scenario or filter")
        _evaluate_all(every, as_json)
        return
    if scenario_name is None:
        raise typer.BadParameter("name a scenario, or --all DIR")
    scenario = load_scenario(scenario_name)
    window = Window(scenario.start_s, scenario.end_s)
    names = [node.id for node in scenario.nodes]
    for option, value in (("--recipient", recipient), ("--sender", sender)):
        if value is not None and value not in names:
            raise typer.BadParameter(
                f"{option} {value!r} is not a node of {scenario.name}: {names}"
            )
    world, outcomes, wall_s = run_night(scenario, window, None, as_json)
    summary = summarise(world, outcomes, window, wall_s)
    target = recipient or summary.primary
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
        "closing": row["closing"],
        "forecast": row["forecast"],
        "links": {
            k: {key: v.to_dict()[key] for key in EVAL_KEYS}
            for k, v in summary.links.items()
            if k.endswith(f"->{target}")
        },
        "by_recipient": _directions(summary),
        "wall_s": round(wall_s, 1),
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


def _directions(summary: NightSummary) -> dict[str, dict[str, object]]:
    """Every recipient that has crossers or received warnings, with the same measures."""
    out: dict[str, dict[str, object]] = {}
    for node_id, score in summary.scores.items():
        if not score.crossers and not score.messages:
            continue
        row = score.to_dict()
        out[node_id] = {
            **{key: row[key] for key in EVAL_KEYS},
            "false_warnings": row["false_chains"],
            "closing": row["closing"],
            "forecast": row["forecast"],
        }
    return out


def _evaluate_all(folder: Path, as_json: bool) -> None:
    """``eval --all DIR``: every scenario of DIR headless, every direction in one table."""
    from dronewarn.harness.in_process import Window
    from dronewarn.harness.summary import summarise
    from dronewarn.sim.scenario import load_scenario

    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise typer.BadParameter(f"--all: no *.yaml scenario in {folder}")
    results: list[dict[str, object]] = []
    for path in files:
        scenario = load_scenario(path)
        window = Window(scenario.start_s, scenario.end_s)
        if not as_json:
            _stderr().print(f"[bold]{scenario.name}[/] ({path})")
        world, outcomes, wall_s = run_night(scenario, window, None, as_json)
        summary = summarise(world, outcomes, window, wall_s)
        for node_id, row in _directions(summary).items():
            senders = sorted({w.sender for w in outcomes[node_id].warnings_in})
            results.append(
                {
                    "scenario": scenario.name,
                    "recipient": node_id,
                    "senders": ",".join(senders) or "none",
                    "wall_s": round(wall_s, 1),
                    **row,
                }
            )
    if as_json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"dronewarn eval --all {folder}: every scenario, every direction")
    for column in ("scenario", "to", "from", *TABLE_KEYS):
        table.add_column(
            column, justify="left" if column in ("scenario", "to", "from") else "right"
        )
    for result in results:
        table.add_row(
            str(result["scenario"]),
            str(result["recipient"]),
            str(result["senders"]),
            *("-" if result[key] is None else str(result[key]) for key in TABLE_KEYS),
        )
    Console().print(table)


# ---------------------------------------------------------------------- sim


class _SimGroup(TyperGroup):
    """``dronewarn sim SCENARIO --out DIR`` (the form before the group) still means
    ``dronewarn sim write SCENARIO --out DIR``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["write", *args]
        return super().resolve_command(ctx, args)


sim_app = typer.Typer(
    cls=_SimGroup,
    help="The simulator: a scenario's truth and sensor output, its nodes' files, the feeder.",
    no_args_is_help=True,
)


@sim_app.command("write")
def sim_write(
    scenario_name: Annotated[str, typer.Argument(help="built-in scenario name or a scenario file")],
    out: Annotated[
        Path, typer.Option(help="directory to write drones.csv, truth.csv, reports.jsonl")
    ],
    truth_step_s: Annotated[float, typer.Option(help="truth sampling period, seconds")] = 1.0,
) -> None:
    """Simulate a scenario and write its ground truth and sensor output to files."""
    from dronewarn.sim.output import write_drones, write_reports, write_truth
    from dronewarn.sim.scenario import load_scenario

    if truth_step_s <= 0:
        raise typer.BadParameter("--truth-step-s must be positive")
    scenario = load_scenario(scenario_name)
    world = build_world(scenario, quiet=False)
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


@sim_app.command("configs")
def sim_configs(
    scenario_name: Annotated[str, typer.Argument(help="built-in scenario name or a scenario file")],
    folder: Annotated[Path, typer.Argument(help="where the node.toml files and data go")],
    replay: Annotated[
        bool,
        typer.Option(help="the feeder drives the nodes' clocks (--no-replay: the wall clock)"),
    ] = True,
) -> None:
    """Write one node.toml per scenario node (free loopback ports, keys exchanged, an MQTT
    broker's mosquitto.conf when there are acoustic networks): start each node with
    `dronewarn node run FOLDER/<node>.toml`, then `dronewarn sim feed`."""
    from dronewarn.harness.broker import write_broker_config
    from dronewarn.sim.deployment import PortPlan, free_port, node_files, write_configs
    from dronewarn.sim.scenario import AcousticGridSensor, AcousticStripSensor, load_scenario

    scenario = load_scenario(scenario_name)
    folder = folder.resolve()
    acoustic = any(
        isinstance(s, AcousticGridSensor | AcousticStripSensor) for s in scenario.sensors
    )
    broker = free_port() if acoustic else 0
    files = node_files(scenario, folder, PortPlan.free(scenario, broker), replay=replay)
    written = write_configs(files, folder)
    console = Console(highlight=False, soft_wrap=True)
    if acoustic:
        conf = write_broker_config(folder, broker)
        console.print(f"MQTT broker for the acoustic networks: mosquitto -c {conf}")
    for node_id, path in written.items():
        console.print(f"{node_id}: dronewarn node run {path}")
    if replay:
        console.print(f"then: dronewarn sim feed {scenario_name} {folder} [--speed max]")


@sim_app.command("feed")
def sim_feed(
    scenario_name: Annotated[str, typer.Argument(help="built-in scenario name or a scenario file")],
    folder: Annotated[Path, typer.Argument(help="the folder of `dronewarn sim configs`")],
    speed: Annotated[str, typer.Option(help="simulated seconds per wall second, or 'max'")] = "max",
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Feed the scenario's night to nodes started by hand from `sim configs` files (their
    replay clocks), then print how their warnings did."""
    from dronewarn.cli.views import summary_panel
    from dronewarn.deploy.load import DeploymentError, load_deployment
    from dronewarn.harness.in_process import Window
    from dronewarn.harness.launcher import outcome_of
    from dronewarn.harness.summary import summarise
    from dronewarn.sim.feeder import Feeder, FeederError
    from dronewarn.sim.scenario import load_scenario
    from dronewarn.sim.stream import ReplayClock

    scenario = load_scenario(scenario_name)
    window = Window(scenario.start_s, scenario.end_s)
    try:
        files = {n.id: load_deployment(folder / f"{n.id}.toml").file for n in scenario.nodes}
    except DeploymentError as error:
        raise typer.BadParameter(str(error)) from None
    world = build_world(scenario, as_json)
    wall0 = time.perf_counter()
    feeder = Feeder(files)
    try:
        feeder.connect()

        def feed(step: Callable[[float], None]) -> dict[str, Any]:
            mine = (d for d in world.deliveries if d.arrival_s in window)
            feeder.run(mine, ReplayClock(window.start_s, parse_speed(speed)), step)
            return feeder.finish(window.end_s)

        answers = with_progress(window, as_json, feed)
    except FeederError as error:
        _stderr().print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    finally:
        feeder.close()
    outcomes = {node_id: outcome_of(body) for node_id, body in answers.items()}
    summary = summarise(world, outcomes, window, time.perf_counter() - wall0)
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        Console().print(summary_panel(summary))
