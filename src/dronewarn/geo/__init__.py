"""Geodesy and airspace geometry: local frames, geodesics, borders, zones, crossings."""
