"""Natural Earth borders, user zones and the vectorised airspace queries, on real places."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dronewarn.domain.errors import GeoError
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries, load_geojson_zones, natural_earth_version

# Towns on either side of the Bug river, which is the Poland-Belarus border here.
PLACES = {
    "Terespol": (52.075, 23.617, "POL"),
    "Brest": (52.097, 23.734, "BLR"),
    "Wlodawa": (51.549, 23.548, "POL"),
    "Tomashovka": (51.557, 23.610, "BLR"),
    "Dorohusk": (51.166, 23.790, "POL"),
    "Yagodyn": (51.176, 23.845, "UKR"),
    "Lublin": (51.246, 22.568, "POL"),
    "Kovel": (51.215, 24.710, "UKR"),
}


def _plane(region: AirspaceMap, lat: float, lon: float) -> tuple[np.ndarray, np.ndarray]:
    east, north = region.frame.to_plane(np.array([lat]), np.array([lon]))
    return east, north


def test_natural_earth_is_the_shipped_release() -> None:
    assert natural_earth_version() == "5.1.1"


def test_unknown_country_is_a_geo_error() -> None:
    with pytest.raises(GeoError, match="XXX"):
        load_countries(["POL", "XXX"])


@pytest.mark.parametrize("name", sorted(PLACES))
def test_places_land_on_the_right_side(region: AirspaceMap, name: str) -> None:
    lat, lon, country = PLACES[name]
    east, north = _plane(region, lat, lon)
    assert region.area_at(east, north).tolist() == [country]


def test_border_towns_are_within_a_few_km_of_the_border(region: AirspaceMap) -> None:
    for name in ("Terespol", "Wlodawa", "Tomashovka"):
        lat, lon, country = PLACES[name]
        east, north = _plane(region, lat, lon)
        signed = float(region.signed_distance_m("POL", east, north)[0])
        assert abs(signed) < 5_000, name
        assert (signed < 0) == (country == "POL"), name
    east, north = _plane(region, *PLACES["Lublin"][:2])
    assert float(region.signed_distance_m("POL", east, north)[0]) < -60_000


def test_brest_to_terespol_enters_poland_on_the_bug(region: AirspaceMap) -> None:
    b_e, b_n = _plane(region, *PLACES["Brest"][:2])
    t_e, t_n = _plane(region, *PLACES["Terespol"][:2])
    entry = region.first_entry("POL", b_e, b_n, t_e, t_n)
    assert entry.found.tolist() == [True]
    lat, lon = region.frame.from_plane(entry.east_m, entry.north_m)
    # the Bug runs between the two towns at about 23.63-23.66 E
    assert 23.60 < float(lon[0]) < 23.68
    assert 52.06 < float(lat[0]) < 52.10


def test_segment_starting_inside_enters_at_zero_and_parallel_path_never(
    region: AirspaceMap,
) -> None:
    l_e, l_n = _plane(region, *PLACES["Lublin"][:2])
    k_e, k_n = _plane(region, *PLACES["Kovel"][:2])
    inside = region.first_entry("POL", l_e, l_n, k_e, k_n)
    assert inside.fraction.tolist() == [0.0]
    # from Kovel due south for 100 km: stays in Ukraine, parallel to the border
    away = region.first_entry("POL", k_e, k_n, k_e, k_n - 100_000)
    assert not away.found.any()


def test_first_entry_is_vectorised_and_consistent(region: AirspaceMap) -> None:
    rng = np.random.default_rng(3)
    start = rng.uniform(-150e3, 150e3, (500, 2))
    end = start + rng.uniform(-100e3, 100e3, (500, 2))
    entries = region.first_entry("POL", start[:, 0], start[:, 1], end[:, 0], end[:, 1])
    # where an entry is found its point is on the segment and inside or on Poland's boundary
    hit = entries.found
    assert hit.any() and (~hit).any()
    dist = region.signed_distance_m("POL", entries.east_m[hit], entries.north_m[hit])
    assert np.all(dist < 1.0)
    # a segment whose end is inside Poland and whose start is outside must have an entry
    start_in = region.contains("POL", start[:, 0], start[:, 1])
    end_in = region.contains("POL", end[:, 0], end[:, 1])
    assert np.all(hit[~start_in & end_in])
    assert np.all(entries.fraction[start_in] == 0.0)


def test_first_entry_along_paths_picks_the_first_segment(region: AirspaceMap) -> None:
    k_e, k_n = _plane(region, *PLACES["Kovel"][:2])
    l_e, l_n = _plane(region, *PLACES["Lublin"][:2])
    path = np.array([[[k_e[0], k_n[0]], [k_e[0], k_n[0] - 10_000], [l_e[0], l_n[0]]]])
    result = region.first_entry_along_paths("POL", path)
    assert result.segment.tolist() == [1]
    _lat, lon = region.frame.from_plane(result.east_m, result.north_m)
    assert 23.5 < float(lon[0]) < 24.2


def test_border_strip_is_inside_poland_and_thirty_km_deep(region: AirspaceMap) -> None:
    strip = region.border_strip("POL", ["BLR", "UKR"], 30_000)
    region2 = region.with_area("EP-R129", strip)
    t_e, t_n = _plane(region, *PLACES["Terespol"][:2])
    l_e, l_n = _plane(region, *PLACES["Lublin"][:2])
    assert region2.contains("EP-R129", t_e, t_n).tolist() == [True]
    assert region2.contains("EP-R129", l_e, l_n).tolist() == [False]
    b_e, b_n = _plane(region, *PLACES["Brest"][:2])
    assert region2.contains("EP-R129", b_e, b_n).tolist() == [False]


def test_user_geojson_zone(tmp_path: Path, region: AirspaceMap) -> None:
    zone = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "EPLB-CTR"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[22.6, 51.2], [22.8, 51.2], [22.8, 51.3], [22.6, 51.3], [22.6, 51.2]]
                    ],
                },
            }
        ],
    }
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(zone))
    zones = load_geojson_zones(path)
    airspace = AirspaceMap(region.frame, {**zones})
    inside_e, inside_n = airspace.frame.to_plane(np.array([51.25]), np.array([22.7]))
    assert airspace.contains("EPLB-CTR", inside_e, inside_n).tolist() == [True]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "cannot read GeoJSON"),
        ('{"type": "Feature"}', "FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": [{"properties": {}, "geometry": null}]}',
            "properties.id",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"properties": {"id": "p"},'
            ' "geometry": {"type": "Point", "coordinates": [1, 2]}}]}',
            "Polygon or MultiPolygon",
        ),
    ],
)
def test_bad_geojson_is_a_geo_error(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(document)
    with pytest.raises(GeoError, match=message):
        load_geojson_zones(path)
