"""ASTERIX input: EUROCONTROL's surveillance data exchange format, as radars and trackers send it.

``decoder.decode_datablocks`` turns a payload (a UDP datagram, a file's bytes) into typed
records per category (CAT048 radar plots, CAT034 radar service messages, CAT062 system tracks,
CAT021 ADS-B reports, CAT015 non-cooperative sensor reports) and a list of typed
``DecodeError``s; ``reports`` turns records into domain ``Report``s; ``editions`` says which
edition of each category a sensor sends. ``fast048``/``fast062`` are the hand-written decoders
used for the two high-rate categories (their record walk compiled in ``walk_kernel``); every
other case goes through libasterix. ``udp`` receives live feeds; ``sense.capture`` reads
recordings.
"""
