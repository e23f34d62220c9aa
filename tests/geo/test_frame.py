"""Local frames, geodesics and the radar horizon."""

from __future__ import annotations

import numpy as np
import pytest

from dronewarn.geo.frame import LocalFrame, line_of_sight, radar_horizon_m, site_jacobians
from dronewarn.geo.geodesic import bearing_deg, destination, distance_m


def test_plane_round_trip_and_origin() -> None:
    frame = LocalFrame(51.9, 22.6)
    east, north = frame.to_plane(np.array([51.9]), np.array([22.6]))
    assert abs(east[0]) < 1e-6 and abs(north[0]) < 1e-6
    lat = np.array([50.0, 52.5, 54.0])
    lon = np.array([20.0, 24.0, 26.0])
    back_lat, back_lon = frame.from_plane(*frame.to_plane(lat, lon))
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)


def test_plane_distance_from_origin_is_geodesic() -> None:
    frame = LocalFrame(51.9, 22.6)
    lat, lon = 52.4, 24.1
    east, north = frame.to_plane(np.array([lat]), np.array([lon]))
    geodesic = float(distance_m(51.9, 22.6, lat, lon))
    assert float(np.hypot(east[0], north[0])) == pytest.approx(geodesic, abs=0.5)


def test_enu_round_trip_and_up() -> None:
    frame = LocalFrame(52.0, 23.0, 100.0)
    e, n, u = frame.to_enu(np.array([52.0]), np.array([23.0]), np.array([1100.0]))
    assert abs(e[0]) < 1e-6 and abs(n[0]) < 1e-6 and u[0] == pytest.approx(1000.0, abs=1e-6)
    lat, lon, alt = frame.from_enu(np.array([5000.0]), np.array([-3000.0]), np.array([200.0]))
    e2, n2, u2 = frame.to_enu(lat, lon, alt)
    np.testing.assert_allclose([e2[0], n2[0], u2[0]], [5000.0, -3000.0, 200.0], atol=1e-6)


def test_geodesic_known_values() -> None:
    # one degree of longitude on the equator of WGS84
    assert float(distance_m(0.0, 0.0, 0.0, 1.0)) == pytest.approx(111_319.49, abs=0.01)
    assert float(bearing_deg(52.0, 23.0, 53.0, 23.0)) == pytest.approx(0.0, abs=1e-9)
    assert float(bearing_deg(52.0, 23.0, 52.0, 22.0)) == pytest.approx(270.0, abs=0.5)
    lat, lon = destination(52.0, 23.0, 90.0, 10_000.0)
    assert float(distance_m(52.0, 23.0, lat, lon)) == pytest.approx(10_000.0, abs=1e-6)


def test_line_of_sight_matches_geometry() -> None:
    lat, lon = destination(52.0, 23.0, 45.0, 50_000.0)
    los = line_of_sight(52.0, 23.0, 0.0, np.atleast_1d(lat), np.atleast_1d(lon), 3000.0)
    assert float(los.bearing_deg[0]) == pytest.approx(45.0, abs=0.5)
    assert float(los.slant_range_m[0]) == pytest.approx(np.hypot(50_000.0, 3000.0), rel=2e-3)
    # earth curvature: a target 3 km up at 50 km is seen at about 3000 - d^2/2R above the plane
    assert float(los.up_m[0]) == pytest.approx(3000.0 - 50_000.0**2 / (2 * 6_371_000), abs=25.0)


def test_radar_horizon() -> None:
    # 4/3 earth: ~4.12 km * (sqrt(h_a) + sqrt(h_t)) with heights in metres
    assert float(radar_horizon_m(200.0, 500.0)) == pytest.approx(150_400.0, rel=0.01)
    assert float(radar_horizon_m(30.0, 0.0)) == pytest.approx(22_600.0, rel=0.01)


def test_site_jacobian_conversion_stays_within_fifty_metres_at_150_km() -> None:
    frame = LocalFrame(51.9, 22.6)
    for site in [(52.10, 23.80), (51.13, 23.47), (52.11, 26.10)]:
        se, sn, jac = site_jacobians(frame, np.array([site[0]]), np.array([site[1]]))
        bearings = np.linspace(0.0, 359.0, 72)
        lat, lon = destination(site[0], site[1], bearings, 150_000.0)
        exact_e, exact_n = frame.to_plane(lat, lon)
        b = np.radians(bearings)
        local = np.stack([150_000.0 * np.sin(b), 150_000.0 * np.cos(b)])
        approx = jac[0] @ local
        err = np.hypot(se[0] + approx[0] - exact_e, sn[0] + approx[1] - exact_n)
        assert err.max() < 50.0, site
