"""The ``dronewarn`` command: every group is registered here (demo, eval, sim: cli.night;
node: cli.node; users: cli.users; replay: cli.replay; decode, keys, link, audit, track)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress

from dronewarn.cli.decode import (
    DecodeFormat,
    asterix_hints,
    guess_format,
    nothing_decoded,
    run_decode,
)
from dronewarn.cli.night import demo, evaluate, sim_app
from dronewarn.cli.node import node_app
from dronewarn.cli.replay import replay_command
from dronewarn.cli.users import users_app
from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.time import parse_iso
from dronewarn.formats.asterix.editions import parse_editions
from dronewarn.node.runtime import settle_heap

app = typer.Typer(
    help="dronewarn: cross-border drone early warning and track sharing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _stderr() -> Console:
    """A console on standard error (progress, messages), separate from results on stdout."""
    return Console(stderr=True)


app.command()(demo)
app.command(name="eval")(evaluate)
app.add_typer(sim_app, name="sim")


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
    Console().print("a running node takes the change within a few seconds")


@keys_app.command("revoke")
def keys_revoke(
    home: Annotated[Path, typer.Option(help="this node's home folder (its data_dir)")],
    partner: Annotated[str, typer.Option(help="the partner's node id")],
    kid: Annotated[
        list[str] | None, typer.Option(help="key id of a signing key to refuse (repeatable)")
    ] = None,
    certificate: Annotated[
        list[str] | None,
        typer.Option(
            help="a TLS certificate to refuse: its PEM file or SHA-256 fingerprint (repeatable)"
        ),
    ] = None,
) -> None:
    """Refuse a partner's signing key or certificate from now on (a compromised key, a
    retired certificate). A running node applies it within a few seconds and closes the
    connections opened with a revoked certificate; the files stay for verifying history."""
    from dronewarn.share.link_service import NodeHome
    from dronewarn.share.trust import revoke
    from dronewarn.transports.tls import fingerprint

    prints = []
    for item in certificate or []:
        path = Path(item)
        try:
            prints.append(fingerprint(path.read_bytes()) if path.is_file() else item.lower())
        except ValueError as exc:
            raise typer.BadParameter(f"{item}: not a certificate: {exc}") from None
    if not kid and not prints:
        raise typer.BadParameter("name a --kid or a --certificate to revoke")
    folder = NodeHome(home).partner_dir(partner)
    if not folder.is_dir():
        raise typer.BadParameter(f"{home} trusts no partner {partner!r} ({folder} is missing)")
    revoked = revoke(folder, kid or [], prints)
    Console().print(
        f"{partner}: {len(revoked.kids)} key(s) and {len(revoked.fingerprints)} "
        f"certificate(s) revoked in {folder / 'revoked.json'}"
    )


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
    from dronewarn.share.link_service import NodeHome
    from dronewarn.share.link_store import LinkStore

    log = sender / FILE_NAME if sender.is_dir() else sender
    try:
        sender_id = NodeHome(log.parent).signing_key().node_id
        receiver_id = NodeHome(receiver).signing_key().node_id
    except DronewarnError as exc:
        _stderr().print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
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
