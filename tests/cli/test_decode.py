"""``dronewarn decode`` on the real captures: JSON lines on stdout, errors counted on stderr."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.cli.decode import DecodeFormat, guess_format

_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "samples"


@pytest.fixture(scope="module")
def samples() -> Path:
    path = Path(os.environ.get("DRONEWARN_SAMPLES", _DEFAULT))
    if not path.is_dir():
        pytest.skip(f"real captures not found at {path} (set DRONEWARN_SAMPLES)")
    return path


def _run(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["decode", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stderr


def test_cat062_capture_gives_position_reports(samples: Path) -> None:
    code, lines, err = _run(str(samples / "asterix" / "asterix.pcap"), "--edition", "62:0.17")
    assert code == 0
    assert len(lines) == 100 and all(line["kind"] == "position" for line in lines)
    assert lines[0]["sensor_id"] == "asterix:25/100"
    assert lines[0]["time"] == "2008-05-15T12:47:45.757Z"  # packet date + I070 time of day
    assert "100 report" in err


def test_plots_need_a_site_to_become_reports(samples: Path) -> None:
    capture = str(samples / "asterix" / "cat_034_048.pcap")
    code, lines, err = _run(capture)
    assert code == 0
    kinds = [line.get("record") for line in lines]
    assert kinds.count("cat034") == 34 and kinds.count("cat048") == 128
    code, lines, err = _run(capture, "--site", "45.8,16.0,100")
    polar = [line for line in lines if line.get("kind") == "polar"]
    assert len(polar) == 126  # two plots are "no detection" (I020 TYP 0): counted, on stderr
    assert "2 error:not_a_measurement" in err and "I048/020" in err


def test_cot_and_adsb_samples(samples: Path) -> None:
    code, lines, _ = _run(str(samples / "cot" / "mitre_globalhawk_cot.xml"))
    assert code == 0 and len(lines) == 1
    assert lines[0]["time"] == "2008-12-11T18:45:34.000Z"
    code, lines, err = _run(str(samples / "adsb" / "sample_data_adsb.csv"))
    assert code == 0 and len(lines) == 929 and "929 report" in err
    assert {line["source"] for line in lines} == {"icao:406B90"}


def test_garbage_is_counted_not_fatal_and_a_missing_file_is(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ast"
    junk.write_bytes(b"\x30\x00\x40" + bytes(range(40)))
    code, lines, err = _run(str(junk))
    assert code == 1 and lines == []  # nothing decodes: not a success, and it says so
    assert "error:truncated" in err or "error:bad_field" in err
    assert "nothing in junk.ast decodes" in err
    code, _, err = _run(str(tmp_path / "missing.ast"))
    assert code == 2 and "cannot read" in err


def test_the_edition_nobody_chose_is_detected_and_said(samples: Path) -> None:
    """asterix.pcap is CAT062 0.17 (a 2005-2008 draft): no flag is needed, the choice is said."""
    code, lines, err = _run(str(samples / "asterix" / "asterix.pcap"))
    assert code == 0 and len(lines) == 100
    assert (
        "CAT062 read as edition 0.17, detected: 100 of 100 records give plausible reports "
        "(0 as the default 1.20)" in " ".join(err.split())
    )


def test_a_chosen_wrong_edition_fails_and_names_the_right_one(samples: Path) -> None:
    """A chosen edition is never overridden: nothing decodes, and the hint names 0.17."""
    code, lines, err = _run(str(samples / "asterix" / "asterix.pcap"), "--edition", "62:1.20")
    assert code == 1 and lines == []
    text = " ".join(err.split())
    assert (
        "0 of 100 CAT062 records decode as edition 1.20; 100 decode as 0.17: try --edition "
        "62:0.17" in text
    )
    assert "implausible_value" in text  # the records that parse under 1.20 are refused


def test_bad_edition_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "x.ast"
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["decode", str(path), "--edition", "48:9.9"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("head", "name", "fmt"),
    [
        (b"\xd4\xc3\xb2\xa1rest", "x", DecodeFormat.PCAP),
        (b"\x0a\x0d\x0d\x0a", "x", DecodeFormat.PCAP),
        (b"<?xml version='1.0'?><event", "x", DecodeFormat.COT),
        (b"\xbf\x10", "x", DecodeFormat.COT),
        (b'{"now": 1, "aircraft": []}', "x", DecodeFormat.READSB),
        (b"MSG,3,1,1,4CA2D6,1,2025/09/09", "x", DecodeFormat.SBS),
        (b'1457996400,"8D406B909945DE10000405999BE4","406B90",19', "x", DecodeFormat.MODES),
        (b"\x30\x00\x10", "plots.ast", DecodeFormat.ASTERIX),
        (b"\x20\x00\x00\x00\x0a", "node.sapient", DecodeFormat.SAPIENT),
    ],
)
def test_guess_format(head: bytes, name: str, fmt: DecodeFormat) -> None:
    assert guess_format(head, name) is fmt
