"""Sockets, independent of the formats they carry: UDP in and out (unicast and multicast), the
MQTT subscriber, TLS contexts. A transport hands bytes (or a topic and bytes) to a callback; the
caller decides which format decodes them."""
