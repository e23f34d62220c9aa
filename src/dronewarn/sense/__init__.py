"""Sense: a node's inputs. ``SensorInput`` per configured sensor (a format's decoder behind one
interface), the endpoints that speak a format's own protocol (the SAPIENT fusion-node server,
the sightings HTTP endpoint) and ``ingest``, the one gate every Report passes."""
