"""``dronewarn decode FILE``: any sensor capture dronewarn reads, as one JSON line per Report.

An integrator's first question about a new feed is "does dronewarn understand it?". This
answers it without a node: it reads the file with the same decoders a node uses and prints
each Report (``formats.report_lines`` form), and each record that cannot become one on its
own (a CAT034 service message; a CAT048 plot when no ``--site`` says where the radar is) as a
line with its ``record`` kind. Every error goes to stderr with its kind and offset, and a
count per kind closes the run. Exit status: 0 when something decodes, 1 when nothing does (with
the edition hint when one would help), 2 when the file cannot be read. ASTERIX editions nobody
chose with ``--edition`` are detected from the file's first payloads and said on stderr.

Formats (``--format auto`` guesses from the first octets, then the name):

| format | file |
|---|---|
| asterix | raw ASTERIX data blocks (.ast, .raw, .bin) |
| pcap | pcap or pcapng capture of ASTERIX over UDP |
| sapient | SAPIENT v2.0 stream: 4-octet little-endian length, then the message |
| cot | Cursor on Target: XML events, or TAK protocol 1 stream messages |
| sbs | SBS/BaseStation lines (port 30003) |
| readsb | readsb/dump1090 aircraft.json |
| modes | raw Mode S/ADS-B: lines of ``time,hex`` (hex alone: no times) |
| odid | pcap or pcapng of Wi-Fi or Bluetooth frames carrying Remote ID (Open Drone ID) |
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dronewarn.cli.streams import stderr_console as _stderr
from dronewarn.domain.errors import DronewarnError

if TYPE_CHECKING:
    from dronewarn.domain.report import GeoPoint


class DecodeFormat(StrEnum):
    AUTO = "auto"
    ASTERIX = "asterix"
    PCAP = "pcap"
    SAPIENT = "sapient"
    COT = "cot"
    SBS = "sbs"
    READSB = "readsb"
    MODES = "modes"
    ODID = "odid"


def guess_format(head: bytes, name: str) -> DecodeFormat:
    """The format of a file from its first octets (then its name)."""
    from dronewarn.formats.capture import is_capture
    from dronewarn.formats.remote_id.transport import is_radio_capture

    text = head.lstrip()
    suffix = Path(name).suffix.lower()
    if suffix in (".sapient", ".pb"):  # binary lengths can look like anything below
        return DecodeFormat.SAPIENT
    if is_radio_capture(head):
        return DecodeFormat.ODID
    if is_capture(head):
        return DecodeFormat.PCAP
    if text.startswith((b"<?xml", b"<event")) or head[:1] == b"\xbf":
        return DecodeFormat.COT
    if text.startswith(b"{"):
        return DecodeFormat.READSB
    if text.startswith(b"MSG,"):
        return DecodeFormat.SBS
    first_line = text.split(b"\n", 1)[0]
    fields = first_line.replace(b'"', b"").split(b",")
    if any(len(f) in (14, 28) and is_hex(f) for f in fields):
        return DecodeFormat.MODES
    if suffix in (".xml", ".cot"):
        return DecodeFormat.COT
    return DecodeFormat.ASTERIX


def is_hex(text: bytes) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


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
    # the decoders are imported here, not at the top: ``dronewarn --help`` stays fast
    from dronewarn.cli.decode_files import nothing_decoded, run_decode
    from dronewarn.domain.time import parse_iso
    from dronewarn.formats.asterix.editions import parse_editions

    try:
        editions = parse_editions(edition or [])
        radar_site = _site(site) if site else None
        reference_s = parse_iso(at) if at else time.time()
    except (DronewarnError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    err = _stderr()
    try:
        asterix = fmt in (DecodeFormat.ASTERIX, DecodeFormat.PCAP) or (
            fmt is DecodeFormat.AUTO
            and guess_format(_head(path), path.name) in (DecodeFormat.ASTERIX, DecodeFormat.PCAP)
        )
        if asterix:
            from dronewarn.cli.decode_asterix import asterix_hints, detect_asterix_editions

            detection = detect_asterix_editions(path, editions)
            for line in detection.describe():
                err.print(line, highlight=False, soft_wrap=True)
            editions = detection.editions
        counts = run_decode(path, fmt, editions, radar_site, reference_s)
    except OSError as error:
        err.print(f"[red]cannot read {path}: {error.strerror or error}[/red]")
        raise typer.Exit(2) from None
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "nothing"
    err.print(f"{path.name}: {summary}", highlight=False)
    errors = sum(n for kind, n in counts.items() if kind.startswith("error:"))
    hints = asterix_hints(path, editions) if asterix and errors else []
    for hint in hints:
        if hint.better or nothing_decoded(counts):
            err.print(hint.describe(), highlight=False, soft_wrap=True)
    if nothing_decoded(counts):
        if not hints:
            err.print(f"nothing in {path.name} decodes ({fmt.value})", highlight=False)
        raise typer.Exit(1)


def _head(path: Path) -> bytes:
    """The first octets of a file, to guess its format (not the whole file)."""
    with path.open("rb") as handle:
        return handle.read(512)


def _site(text: str) -> GeoPoint:
    from dronewarn.domain.report import GeoPoint

    parts = [float(v) for v in text.split(",")]
    if len(parts) not in (2, 3):
        raise ValueError(f"--site wants LAT,LON[,HEIGHT_M], not {text!r}")
    return GeoPoint(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
