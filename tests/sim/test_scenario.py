"""Scenario files: the shipped NIGHT-0910, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dronewarn.domain.errors import ScenarioError
from dronewarn.sim.scenario import Scenario, builtin_path, load_scenario


def test_night_0910_matches_the_reference_scenario(night: Scenario) -> None:
    assert night.name == "night-0910"
    assert night.start.isoformat() == "2025-09-09T20:00:00+00:00"
    assert night.end.isoformat() == "2025-09-10T05:00:00+00:00"
    assert sum(w.count for w in night.waves) == 23
    assert sum(g.count for g in night.loiter) == 37
    assert {n.id for n in night.nodes} == {"BY", "PL", "UA"}
    assert night.type_mix == {"gerbera": 0.65, "shahed": 0.35}
    kinds = {s.kind for s in night.sensors}
    assert kinds == {"radar", "airborne_radar", "acoustic_strip", "acoustic_grid", "sighting"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = builtin_path("night-0910").read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_wrong_type_names_file_line_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    count: 10\n", "    count: ten\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.path == str(path)
    assert error.field == "waves[0].count"
    assert error.line == _line_of(path, "count: ten")
    assert f"{path}:{error.line}: waves[0].count:" in str(error)


def test_missing_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    count: 10\n", "")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "waves[0].count"
    assert "required" in caught.value.message
    assert caught.value.line == _line_of(path, "- id: A")


def test_wave_without_its_crossing_says_what_it_needs(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    cross_into: POL\n", "")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "waves[0]"
    assert "needs cross_into with crossing_window, or a launch_window" in caught.value.message


def test_impossible_value_in_a_sensor(tmp_path: Path) -> None:
    path = _broken(tmp_path, "site: [52.10, 23.80]", "site: [92.10, 23.80]")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "sensors[0].site"
    assert "latitude 92.1" in caught.value.message
    assert caught.value.line == _line_of(path, "92.10")


def test_unknown_key(tmp_path: Path) -> None:
    path = _broken(tmp_path, "seed: 910\n", "seed: 910\nsede: 3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "sede"
    assert caught.value.line == _line_of(path, "sede:")


def test_cross_field_rule(tmp_path: Path) -> None:
    path = _broken(tmp_path, "type_mix: {gerbera: 0.65, shahed: 0.35}", "type_mix: {gerbera: 0.65}")
    with pytest.raises(ScenarioError, match="type_mix must sum to 1"):
        load_scenario(path)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, "seed: 910\n", "seed: [910\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.line is not None
    assert "not valid YAML" in caught.value.message


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(_write(tmp_path, "- just\n- a list\n"))
