"""geo/crs.py: WGS-84 ↔ GCJ-02 ↔ BD-09, vectorised."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citywatch.geo import crs


def test_known_gcj02_offset_at_tiananmen():
    # The widely published pair for Tiananmen: WGS-84 (116.391, 39.907) ↔ GCJ-02 about (116.3972, 39.9084).
    lon, lat = crs.wgs84_to_gcj02(116.391, 39.907)
    assert lon == pytest.approx(116.39724, abs=2e-4)
    assert lat == pytest.approx(39.90840, abs=2e-4)


def test_bd09_is_gcj02_plus_a_known_shift():
    lon, lat = crs.gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.4104, abs=2e-4)
    assert lat == pytest.approx(39.9214, abs=2e-4)


@settings(max_examples=300, deadline=None)
@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_gcj02_round_trip_is_within_a_centimetre(lon, lat):
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    assert abs(wlon - lon) < 1e-7 and abs(wlat - lat) < 1e-7


@settings(max_examples=200, deadline=None)
@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_bd09_round_trip(lon, lat):
    blon, blat = crs.from_wgs84(lon, lat, "bd09")
    wlon, wlat = crs.to_wgs84(blon, blat, "bd09")
    assert abs(wlon - lon) < 1e-6 and abs(wlat - lat) < 1e-6


def test_outside_china_is_unchanged():
    lon, lat = crs.wgs84_to_gcj02(np.array([2.35, -74.0]), np.array([48.85, 40.7]))
    assert np.allclose(lon, [2.35, -74.0]) and np.allclose(lat, [48.85, 40.7])


def test_whole_columns_convert_at_once():
    lons, lats = np.linspace(117.9, 118.4, 1000), np.linspace(24.4, 24.9, 1000)
    wl, wa = crs.to_wgs84(lons, lats, crs.CRS.GCJ02)
    assert wl.shape == (1000,) and np.all(np.abs(wl - lons) < 0.01) and np.all(np.abs(wa - lats) < 0.01)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WGS84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("gcj-02", "gcj02"),
        ("GCJ02", "gcj02"),
        ("bd-09", "bd09"),
        (None, "wgs84"),
    ],
)
def test_parse_crs(text, expected):
    assert crs.parse_crs(text) == expected


def test_unknown_crs_is_a_clear_error():
    with pytest.raises(ValueError, match="未知坐标系"):
        crs.parse_crs("mercator")


def test_valid_lonlat():
    assert list(crs.valid_lonlat([118, 200, np.nan, 118], [24, 24, 24, -91])) == [True, False, False, False]
