"""dronewarn's CAT062 (and CAT048/034) bytes read by an independent decoder.

The peer is CroatiaControl's C++-backed ``asterix-decoder`` (PyPI, 0.7.11), which shares no
code with libasterix. It imports as ``asterix`` like libasterix does, so it lives in its own
virtual environment and runs ``tests/formats/peer/asterix_peer_decode.py`` in a subprocess:
``$DRONEWARN_ASTERIX_PEER`` names that environment's python, by default
``.venv-asterix-peer/bin/python`` at the repository root. Without it these tests skip.

Every field the peer reads back is compared with what dronewarn meant to send (the
``Cat062Record``), within half an LSB: SAC/SIC, service, time of day, latitude/longitude
(180/2^25 deg), Cartesian position, velocity (0.25 m/s), track number, track status flags,
emitter category, track age, altitude and the estimated accuracies.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.formats.asterix.encode048 import (
    ClimbMode,
    PlotTrackStatus,
    RadarPlot,
    RadarServiceMessage,
    ServiceMessageType,
    encode_plots,
    encode_service_messages,
)
from dronewarn.formats.asterix.encode062 import (
    Cat062Encoder,
    Cat062Record,
    Cat062Stream,
    pack_datablocks,
)
from tests.formats.test_asterix_encode048 import Decoded048, check_plot, plots
from tests.formats.test_asterix_encode062 import (
    CONFIG,
    T0_S,
    Decoded062,
    _track,
    check_decoded,
    encoder,
    track_states,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "peer" / "asterix_peer_decode.py"
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
"""Shrinking would rerun the peer hundreds of times; the failing field is named anyway."""


@pytest.fixture(scope="session")
def peer_python() -> Path:
    configured = os.environ.get("DRONEWARN_ASTERIX_PEER")
    path = Path(configured) if configured else REPO / ".venv-asterix-peer" / "bin" / "python"
    if not path.exists():
        pytest.skip(
            f"the independent ASTERIX decoder's python is not at {path}: create it with "
            f"`python3 -m venv .venv-asterix-peer && .venv-asterix-peer/bin/pip install "
            f"asterix-decoder==0.7.11` (or set DRONEWARN_ASTERIX_PEER)"
        )
    return path


def peer_decode(python: Path, data: bytes) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(python), str(SCRIPT)],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace") + done.stdout.decode()
    answer = json.loads(done.stdout)
    assert answer["decoder"] == "asterix-decoder"
    records: list[dict[str, Any]] = answer["records"]
    return records


def _opt(items: dict[str, Any], item: str, *path: str) -> Any:
    value: Any = items.get(item)
    for key in path:
        if value is None:
            return None
        value = value.get(key)
    return value


def decoded062(peer_record: dict[str, Any]) -> Decoded062:
    assert peer_record["category"] == 62
    i = peer_record["items"]
    i080 = i["I080"]
    apc, apw, atv = (_opt(i, "I500", k) for k in ("APC", "APW", "ATV"))
    return Decoded062(
        sac=i["I010"]["SAC"],
        sic=i["I010"]["SIC"],
        service_id=_opt(i, "I015", "SID"),
        time_of_day_s=i["I070"]["ToT"],
        lat_deg=i["I105"]["Lat"],
        lon_deg=i["I105"]["Lon"],
        x_m=_opt(i, "I100", "X"),
        y_m=_opt(i, "I100", "Y"),
        vx_mps=i["I185"]["Vx"],
        vy_mps=i["I185"]["Vy"],
        track_number=i["I040"]["TrkN"],
        mon=i080["MON"],
        mrh=i080["MRH"],
        src=i080["SRC"],
        cnf=i080["CNF"],
        sim=i080["SIM"],
        tse=i080["TSE"],
        tsb=i080["TSB"],
        cst=i080.get("CST"),
        emc=_opt(i, "I380", "EMC", "ECAT"),
        track_age_s=_opt(i, "I290", "TRK", "TRK"),
        altitude_ft=_opt(i, "I130", "Alt"),
        apc=None if apc is None else (apc["APC_X"], apc["APC_Y"]),
        cov_m=_opt(i, "I500", "COV", "COV_XY"),
        apw=None if apw is None else (apw["APW_Lat"], apw["APW_Long"]),
        aga_ft=_opt(i, "I500", "AGA", "AGA_Acc"),
        atv=None if atv is None else (atv["ATV_X"], atv["ATV_Y"]),
    )


def _compare(python: Path, sent: list[tuple[bytes, Cat062Record]]) -> None:
    blocks = pack_datablocks(62, [record for record, _ in sent])
    got = peer_decode(python, b"".join(blocks))
    assert len(got) == len(sent)
    for peer_record, (_, meant) in zip(got, sent, strict=True):
        check_decoded(decoded062(peer_record), meant)


# ------------------------------------------------------------------------------ CAT062

BREST_BY = GeoPoint(52.0976, 23.7341, 180.0)  # over the Bug, at the BY/PL border


def _hand_made() -> list[TrackState]:
    return [
        _track(track_id="shahed", position=BREST_BY, vel_east_mps=-48.5, vel_north_mps=-3.2),
        _track(
            track_id="gerbera-no-height",
            object_class=ObjectClass.GERBERA,
            position=GeoPoint(51.7312, 23.5994, None),
            altitude_sigma_m=None,
            vel_east_mps=-41.0,
            vel_north_mps=12.75,
        ),
        _track(
            track_id="multirotor-low",
            object_class=ObjectClass.MULTIROTOR,
            status=TrackStatus.TENTATIVE,
            sensors=frozenset({"acoustic-3"}),
            position=GeoPoint(50.4501, 30.5234, -35.0),  # Kyiv, below the ellipsoid
            vel_east_mps=-0.1,
            vel_north_mps=-0.125,
        ),
        _track(
            track_id="airliner",
            object_class=ObjectClass.CREWED,
            cooperative=True,
            position=GeoPoint(54.6872, 25.2797, 11_277.6),  # Vilnius, FL370
            vel_east_mps=-230.4,
            vel_north_mps=-101.9,
        ),
        _track(
            track_id="jet-drone-fast",
            object_class=ObjectClass.JET_DRONE,
            position=GeoPoint(48.2082, 16.3738, 12_000.0),
            vel_east_mps=-8_000.0,
            vel_north_mps=8_191.75,
        ),
        _track(
            track_id="vague",
            object_class=ObjectClass.UNKNOWN,
            position=GeoPoint(49.8397, 24.0297, 500.0),
            cov_enu=(1e10, -3e9, 0, 0, -3e9, 4e9, 0, 0, 0, 0, 1e4, 0, 0, 0, 0, 2e4),
            altitude_sigma_m=2_000.0,
            last_update_s=T0_S - 30.0,
            first_seen_s=T0_S - 900.0,
        ),
    ]


def test_hand_made_tracks_through_the_peer(peer_python: Path) -> None:
    enc = Cat062Encoder(dataclasses.replace(CONFIG, exercise=True, coasting_after_s=10.0))
    sent = []
    for number, state in zip((0, 1, 4095, 4096, 0x7FFF, 0xFFFF), _hand_made(), strict=True):
        for first, last in ((True, False), (False, False), (False, True)):
            sent.append(
                (
                    enc.encode(state, number, first=first, last=last),
                    enc.record(state, number, first=first, last=last),
                )
            )
    _compare(peer_python, sent)


def test_a_stream_life_cycle_through_the_peer(peer_python: Path) -> None:
    stream = Cat062Stream(encoder())
    tracks = _hand_made()
    batches = [stream.update(tracks), stream.update(tracks[1:]), stream.close()]
    records = [r for b in batches for r in b.records]
    got = [decoded062(r) for r in peer_decode(peer_python, b"".join(pack_datablocks(62, records)))]
    assert len(got) == 6 + 5 + 1 + 5
    assert [(d.tsb, d.tse) for d in got] == [(1, 0)] * 6 + [(0, 0)] * 5 + [(0, 1)] * 6
    numbers = {stream.numbers.preferred(t.track_id) for t in tracks}
    assert {d.track_number for d in got} == numbers


@settings(
    max_examples=4,
    deadline=None,
    phases=NO_SHRINK,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(
    st.lists(track_states(), min_size=40, max_size=40),
    st.lists(st.integers(0, 0xFFFF), min_size=40, max_size=40),
)
def test_generated_tracks_through_the_peer(
    peer_python: Path, states: list[TrackState], numbers: list[int]
) -> None:
    """Velocities turned to true north (plane origin set) on every other record."""
    sent = []
    for k, (s, n) in enumerate(zip(states, numbers, strict=True)):
        enc = turning_encoder() if k % 2 else encoder()
        sent.append((enc.encode(s, n), enc.record(s, n)))
    _compare(peer_python, sent)


@functools.cache
def turning_encoder() -> Cat062Encoder:
    return Cat062Encoder(dataclasses.replace(CONFIG, plane_origin=GeoPoint(52.0, 23.0)))


# ---------------------------------------------------------------------- CAT048, CAT034


def decoded048(peer_record: dict[str, Any]) -> Decoded048:
    assert peer_record["category"] == 48
    i = peer_record["items"]
    i020, i170 = i["I020"], i.get("I170", {})
    prl, pam = _opt(i, "I130", "PRLP", "PRL"), _opt(i, "I130", "PAMP", "PAM")
    return Decoded048(
        sac=i["I010"]["SAC"],
        sic=i["I010"]["SIC"],
        time_of_day_s=i["I140"]["ToD"],
        typ=i020["TYP"],
        sim=i020["SIM"],
        rdp=i020["RDP"],
        spi=i020["SPI"],
        rab=i020["RAB"],
        rho_nm=i["I040"]["RHO"],
        theta_deg=i["I040"]["THETA"],
        prl_deg=prl,
        pam_dbm=pam,
        other_130=tuple(k for k in i.get("I130", {}) if k not in ("PRLP", "PAMP")),
        track_number=_opt(i, "I161", "Tn"),
        cnf=i170.get("CNF"),
        rad=i170.get("RAD"),
        mah=i170.get("MAH"),
        cdm=i170.get("CDM"),
        tre=i170.get("TRE"),
        gho=i170.get("GHO"),
        items=frozenset(k[1:] for k in i),
    )


@settings(
    max_examples=2,
    deadline=None,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(plots, min_size=100, max_size=100))
def test_generated_plots_through_the_peer(peer_python: Path, batch: list[RadarPlot]) -> None:
    got = peer_decode(peer_python, b"".join(encode_plots(batch)))
    assert len(got) == len(batch)
    for peer_record, plot in zip(got, batch, strict=True):
        check_plot(decoded048(peer_record), plot)


def test_service_messages_through_the_peer(peer_python: Path) -> None:
    marker = RadarServiceMessage(7, 9, 3_600.5, ServiceMessageType.NORTH_MARKER, None, 4.0)
    crossing = RadarServiceMessage(7, 9, 3_601.0, ServiceMessageType.SECTOR_CROSSING, 90.0)
    climbing = PlotTrackStatus(climb=ClimbMode.CLIMBING)
    plot = RadarPlot(7, 9, 3_600.75, 25_000.0, 12.5, track_number=9, track_status=climbing)
    data = b"".join(encode_service_messages([marker, crossing]) + encode_plots([plot]))
    got = peer_decode(peer_python, data)
    assert [r["category"] for r in got] == [34, 34, 48]
    assert got[0]["items"] == {
        "I010": {"SAC": 7, "SIC": 9},
        "I000": {"MsgTyp": 1},
        "I030": {"ToD": 3_600.5},
        "I041": {"RotS": 4.0},
    }
    assert got[1]["items"]["I020"] == {"Azi": 90.0}
    check_plot(decoded048(got[2]), plot)


def test_empty_input_decodes_to_no_records(peer_python: Path) -> None:
    assert peer_decode(peer_python, b"") == []
