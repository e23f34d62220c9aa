"""The on-disk layouts (``layout_cache``): the same as derived from libasterix for every
edition, robust to damaged files and unwritable directories, and what lets a CAT048 file decode
without importing libasterix or numba."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dronewarn.formats.asterix.decoder import DecodePlan, _derive, decode_datablocks
from dronewarn.formats.asterix.editions import CAT062_DRAFT, SUPPORTED, Edition
from dronewarn.formats.asterix.layout_cache import LayoutCache, LayoutEntry

NEWEST_048 = SUPPORTED[48][-1]


def _derive_048() -> LayoutEntry:
    return _derive(48, NEWEST_048)


def test_every_edition_reads_back_as_derived(tmp_path: Path) -> None:
    written = LayoutCache(tmp_path)
    expected: dict[tuple[int, str], LayoutEntry] = {}

    def deriving(category: int, edition: Edition) -> LayoutEntry:
        return written.get(category, str(edition), lambda: _derive(category, edition))

    for category, editions in SUPPORTED.items():
        for edition in editions:
            if not (category == 62 and edition == CAT062_DRAFT):
                expected[category, str(edition)] = deriving(category, edition)
    files = list(tmp_path.glob("layouts-*/*.json"))
    assert len(files) == len(expected) and all(f.stat().st_size > 0 for f in files)
    read = LayoutCache(tmp_path)

    def fail() -> LayoutEntry:
        raise AssertionError("derived again: the file should have answered")

    for (category, name), entry in expected.items():
        assert read.get(category, name, fail) == entry, (category, name)
    fast = {key for key, entry in expected.items() if entry.fast}
    assert {c for c, _ in fast} == {4, 19, 23, 25, 34, 48, 62, 63, 65}
    assert all(expected[48, str(e)].fast for e in SUPPORTED[48])


def test_a_damaged_file_is_derived_again_and_rewritten(tmp_path: Path) -> None:
    LayoutCache(tmp_path).get(48, "1.32", _derive_048)
    (cache_file,) = tmp_path.glob("layouts-*/048-1.32.json")
    calls: list[int] = []

    def derive() -> LayoutEntry:
        calls.append(1)
        return _derive_048()

    for damage in (b"{not json", b'{"fast": true}', b"[]"):
        cache_file.write_bytes(damage)
        calls.clear()
        entry = LayoutCache(tmp_path).get(48, "1.32", derive)
        assert calls == [1] and entry.layout is not None and entry.fast
        assert json.loads(cache_file.read_bytes())["fast"] is True


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_directory_only_means_deriving(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        entry = LayoutCache(tmp_path / "sub").get(
            48, "1.32", lambda: _derive(48, SUPPORTED[48][-1])
        )
    finally:
        tmp_path.chmod(0o700)
    assert entry.fast


def test_a_plan_from_the_cache_decodes_as_a_plan_from_libasterix(
    tmp_path: Path, samples_dir: Path
) -> None:
    from dronewarn.formats.capture import read_capture

    payloads = [
        p.payload
        for name in ("cat_034_048.pcap", "cat_062_065.pcap")
        for p in read_capture(samples_dir / "asterix" / name)
    ]
    LayoutCache(tmp_path).get(48, "1.32", _derive_048)
    cold = DecodePlan.for_editions(layouts=LayoutCache(tmp_path / "cold"))
    warm = DecodePlan.for_editions(layouts=LayoutCache(tmp_path))
    for payload in payloads:
        assert decode_datablocks(payload, cold, reference_s=0.0) == decode_datablocks(
            payload, warm, reference_s=0.0
        )


def test_a_cat048_file_decodes_without_libasterix_or_numba(
    tmp_path: Path, samples_dir: Path
) -> None:
    """With the layouts on disk, ``dronewarn decode`` of a small CAT048 recording imports
    neither libasterix's generated module nor numba: what keeps it under half a second."""
    script = (
        "import sys\n"
        "from dronewarn.cli import main\n"
        "sys.argv = ['dronewarn', 'decode', sys.argv[1]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "heavy = [m for m in ('asterix.generated', 'numba', 'scipy') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "DRONEWARN_CACHE_DIR": str(tmp_path)}
    for name in ("cat048.raw", "cat_034_048.pcap"):
        path = samples_dir / "asterix" / name
        runs = [
            subprocess.run(
                [sys.executable, "-c", script, str(path)],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=True,
            )
            for _ in range(2)
        ]
        assert "HEAVY []" in runs[1].stderr, runs[1].stderr
        assert runs[0].stdout == runs[1].stdout and runs[1].stdout.count("\n") > 0
