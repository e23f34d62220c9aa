"""Recorders' framings around ASTERIX data blocks, recognised from the data: ARTAS replay
files (8 octets before each block), length-and-time headers (6 before, the cat_001_002.pcap
sample), trailers (8 after); plain data is never changed and noise is not taken for blocks."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.formats.asterix.datablock import split_datablocks
from dronewarn.formats.asterix.decoder import decode_datablocks
from dronewarn.formats.asterix.editions import Editions
from dronewarn.formats.asterix.wrapping import PLAIN, Wrapping, detect_wrapping
from dronewarn.formats.capture import read_capture

T0 = 1_757_458_800.0


def _blocks(samples_dir: Path) -> list[bytes]:
    """Every data block of the plain CAT034/CAT048 recordings and of a pcap of them."""
    found = [c.payload for c in read_capture(samples_dir / "asterix" / "cat048.raw")]
    found += [c.payload for c in read_capture(samples_dir / "asterix" / "cat034.raw")]
    for captured in read_capture(samples_dir / "asterix" / "cat_034_048.pcap"):
        blocks, _ = split_datablocks(captured.payload)
        found += [captured.payload[b.offset : b.end] for b in blocks]
    return found


def _artas(block: bytes, k: int) -> bytes:
    return struct.pack(">II", len(block) + 8, 1000 * k) + block


def _decoded(path: Path) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, ["decode", str(path)])
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return (
        result.exit_code,
        [json.dumps(json.loads(line)["record"]) for line in lines],
        result.stderr,
    )


def test_an_artas_replay_file_reads_as_its_plain_blocks(tmp_path: Path, samples_dir: Path) -> None:
    blocks = _blocks(samples_dir)
    plain, wrapped = tmp_path / "plain.ast", tmp_path / "replay.ff"
    plain.write_bytes(b"".join(blocks))
    wrapped.write_bytes(b"".join(_artas(b, k) for k, b in enumerate(blocks)))
    assert detect_wrapping(wrapped.read_bytes()) == Wrapping(before=8)
    assert [c.payload for c in read_capture(wrapped)] == blocks
    code, records, _ = _decoded(wrapped)
    assert code == 0 and len(records) == len(_decoded(plain)[1]) > 100


def test_trailers_after_each_block_are_skipped(tmp_path: Path, samples_dir: Path) -> None:
    blocks = _blocks(samples_dir)
    path = tmp_path / "trailers.raw"
    path.write_bytes(b"".join(b + bytes(range(8)) for b in blocks))
    assert [c.payload for c in read_capture(path)] == blocks


def test_the_recorder_headers_inside_udp_payloads_are_skipped(samples_dir: Path) -> None:
    (captured,) = list(read_capture(samples_dir / "asterix" / "cat_001_002.pcap"))
    assert detect_wrapping(captured.payload) == Wrapping(before=6)
    blocks, error = split_datablocks(captured.payload)
    assert error is None and [b.category for b in blocks] == [1, 1, 2, 1, 1, 1]
    batch = decode_datablocks(captured.payload, Editions(), reference_s=T0)
    assert batch.errors == () and len(batch.cat001) == 7 and len(batch.status) == 1


def test_plain_data_stays_plain_and_noise_is_no_chain(samples_dir: Path) -> None:
    for block in _blocks(samples_dir)[:50]:
        assert detect_wrapping(block) == PLAIN
    rng = random.Random(7)
    taken = sum(
        detect_wrapping(rng.randbytes(rng.randrange(20, 400))) is not None for _ in range(500)
    )
    assert taken <= 5  # a chance chain of blocks with defined categories, exactly to the end


def test_random_bytes_exit_1_with_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(random.Random(1).randbytes(100))
    result = CliRunner().invoke(app, ["decode", str(path)])
    assert result.exit_code == 1 and result.stdout == ""
    assert "noise.bin:" in result.stderr and "nothing in noise.bin decodes" in result.stderr


def test_a_long_replay_file_is_recognised_from_its_start(tmp_path: Path, samples_dir: Path) -> None:
    """Past 64 KiB only the start is examined; the framing holds for the whole file."""
    blocks = _blocks(samples_dir) * 12
    path = tmp_path / "long.ff"
    path.write_bytes(b"".join(_artas(b, k) for k, b in enumerate(blocks)))
    assert path.stat().st_size > 1 << 16
    assert [c.payload for c in read_capture(path)] == blocks


def test_a_stream_of_one_block_datagrams_with_trailers_learns_its_framing(
    samples_dir: Path,
) -> None:
    """Datagrams each holding one block and an 8-octet trailer (as a recorder's pcap of
    Argentine radars): the first ``STREAM_VOTES`` are errors, every later one decodes whole;
    a plain stream with a damaged datagram here and there never learns a framing."""
    from dronewarn.formats.asterix.decoder import DecodePlan
    from dronewarn.formats.asterix.wrapping import STREAM_VOTES, lone_block_wrapping

    blocks = [b for b in _blocks(samples_dir) if b[0] == 48]
    plain_plan = DecodePlan.for_editions(Editions())
    expected = [decode_datablocks(b, plain_plan, reference_s=T0).cat048 for b in blocks]
    plan = DecodePlan.for_editions(Editions())
    got = []
    for k, block in enumerate(blocks):
        trailer = struct.pack(">II", k, 1000 * k)
        batch = decode_datablocks(block + trailer, plan, reference_s=T0)
        got.append(batch.cat048)
        assert bool(batch.errors) == (k < STREAM_VOTES), k
    assert got == expected and plan.wrapping == Wrapping(after=8)
    assert lone_block_wrapping(blocks[0] + bytes(8)) == Wrapping(after=8)

    rng = random.Random(7)
    noisy = DecodePlan.for_editions(Editions())
    for block in blocks:
        damaged = block + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        decode_datablocks(damaged if rng.random() < 0.3 else block, noisy, reference_s=T0)
    assert noisy.wrapping is None
