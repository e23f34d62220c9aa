"""Wire formats: each format's data model, decoder and encoder in one place, with no sockets.

One subpackage or module per format (``asterix``, ``sapient``, ``cot``, ``adsb``, ``acoustic``,
``sighting``, ``geojson``) and the recording containers (``capture``). Decoders raise the typed
errors of ``domain.errors`` and turn bytes into the format's own frozen dataclasses and into
domain ``Report`` objects; encoders turn domain objects into bytes. Moving the bytes is
``transports``'s job; deciding what to do with Reports is ``sense``'s.
"""
