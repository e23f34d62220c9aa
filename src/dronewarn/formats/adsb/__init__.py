"""Cooperative traffic: readsb/dump1090 JSON, BaseStation SBS-1 and the accuracy they declare."""
