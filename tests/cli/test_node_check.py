"""``dronewarn node check``: a valid node.toml passes; each broken one is named, with its line
and field, in one clear line, never a traceback (exit 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.share.provisioning import provision, trust

runner = CliRunner()

VALID = """\
[node]
name = "PL"
country = "POL"
data_dir = "data"

[api]
listen = "127.0.0.1:8080"

[link]
listen = "127.0.0.1:8443"

[[sensors]]
id = "pl-radar-siedlce"
kind = "radar"
format = "asterix"
listen = "udp://0.0.0.0:8600"
editions = {"48" = "1.31"}
sac = 2
sic = 1
position = [52.17, 22.27, 200.0]

[[sensors]]
id = "pl-acoustic"
kind = "acoustic"
format = "mqtt-acoustic"
listen = "mqtt://127.0.0.1:1883/pl-strip"

[[partners]]
name = "BY"
country = "BLR"
url = "https://127.0.0.1:9443"

[partners.policy]
kinds = ["warning"]
position_precision_deg = 0.05

[[outputs]]
kind = "asterix062"
to = "udp://239.10.0.1:8600?ttl=2"
sac = 2
sic = 100

[tracker]
coast_s = 90
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    provision(tmp_path / "data", "PL")
    provision(tmp_path / "by", "BY")
    trust(tmp_path / "data", tmp_path / "by" / "keys", "BY")
    return tmp_path


def check(folder: Path, text: str) -> tuple[int, str]:
    path = folder / "node.toml"
    path.write_text(text)
    result = runner.invoke(app, ["node", "check", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout + result.stderr


def test_a_valid_file_passes(folder: Path) -> None:
    code, out = check(folder, VALID)
    assert code == 0, out
    assert "node PL (POL) is valid: 2 sensors, 1 partners, 1 outputs" in out


BROKEN = [
    # (text in VALID, what it becomes, the line named, the message)
    (
        'listen = "udp://0.0.0.0:8600"',
        'listen = "udp://0.0.0.0:70000"',
        16,
        r"sensors\[0\]\.listen: 'udp://0\.0\.0\.0:70000': port 70000 out of range",
    ),
    ('country = "POL"', 'country = "Poland"', 3, r"node\.country: String should match"),
    (
        'editions = {"48" = "1.31"}',
        'editions = {"48" = "7.7"}',
        17,
        r"sensors\[0\]\.editions: CAT048 edition 7\.7 is not supported",
    ),
    (
        'url = "https://127.0.0.1:9443"',
        'url = "http://127.0.0.1:9443"',
        31,
        r"partners\[0\]\.url: 'http://127\.0\.0\.1:9443': use https://",
    ),
    (
        'kinds = ["warning"]',
        'kinds = ["warnings"]',
        34,
        r"partners\[0\]\.policy\.kinds\[0\]: Input should be 'warning' or 'tracks'",
    ),
    ("coast_s = 90", "coast_seconds = 90", 44, r"tracker\.coast_seconds: unknown key \(a typo\?"),
    (
        'format = "mqtt-acoustic"',
        'format = "asterix"',
        26,
        r"sensors\[1\]\.listen: 'mqtt://127\.0\.0\.1:1883/pl-strip': use udp://",
    ),
    (
        'kind = "acoustic"',
        'kind = "adsb"',
        22,
        r"sensors\[1\]: an adsb sensor sends asterix, modes, readsb, sbs, not mqtt-acoustic",
    ),
    ('kind = "asterix062"', 'kind = "asterix63"', 37, r"outputs\[0\]: Input tag 'asterix63'"),
    ("sac = 2\nsic = 1\n", "sac = 2\n", 12, r"sensors\[0\]: sac and sic go together"),
    ('[node]\nname = "PL"', '[node]\nname = "P L"', 2, r"node\.name: String should match"),
    (
        "position = [52.17, 22.27, 200.0]",
        "position = [152.17, 22.27, 200.0]",
        20,
        r"sensors\[0\]\.position: latitude 152\.17 outside \[-90, 90\]",
    ),
    (
        'listen = "127.0.0.1:8080"',
        'listen = "127.0.0.1:8443"',
        10,
        r"link\.listen: port 8443/tcp is also the operator API's",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "message"), BROKEN)
def test_each_broken_file_gets_one_clear_line(
    folder: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in VALID
    code, out = check(folder, VALID.replace(old, new, 1))
    assert code == 2, out
    assert "Traceback" not in out
    assert re.search(rf"node\.toml:{line}: {message}", out), out


def test_not_toml_and_missing_files_are_said_plainly(folder: Path) -> None:
    code, out = check(folder, VALID.replace('name = "PL"', 'name = "PL'))
    assert code == 2 and "not valid TOML" in out and "line 2" in out
    result = runner.invoke(app, ["node", "check", str(folder / "nothing.toml")])
    assert result.exit_code == 2 and "cannot read" in result.stdout + result.stderr
    code, out = check(
        folder,
        VALID + "\n[api.x]\n"
        if False
        else VALID.replace(
            'listen = "127.0.0.1:8080"',
            'listen = "127.0.0.1:8080"\ntls_cert = "nope.pem"\ntls_key = "nope.key"',
        ),
    )
    assert code == 2 and "api.tls_cert: cannot read" in out and "nope.pem" in out


def test_a_node_without_its_keys_is_told_how_to_make_them(tmp_path: Path) -> None:
    code, out = check(tmp_path, VALID)
    assert code == 2
    assert "dronewarn keys generate" in out


def test_the_schema_describes_every_section() -> None:
    result = runner.invoke(app, ["node", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"node", "api", "link", "sensors", "partners", "outputs", "tracker", "assess"} <= set(
        schema["properties"]
    )
    tracker = schema["$defs"]["TrackerOverrides"]["properties"]
    assert "coast_s" in tracker and "frame_s" in tracker
