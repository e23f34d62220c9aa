"""SAPIENT framing on a TCP stream (SAPIENT Interface Control Document v7, DSTL/PUB145591;
unchanged by BSI Flex 335 v2.0).

On a TCP stream each ``SapientMessage`` is preceded by its length as a 4-byte
little-endian unsigned integer. ``Deframer`` is fed bytes as they arrive and returns whole frames; a
declared length above ``max_message_bytes`` (1 MiB unless configured) raises ``FrameTooLargeError``
at once, before anything is buffered, and the stream cannot be trusted after it: the connection is
dropped. A zero-length frame is framed correctly; it decodes to an empty message, which
``decode_message`` refuses (no timestamp, no node id), so the stream goes on.
"""

from __future__ import annotations

import struct
from typing import Final

from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage

from dronewarn.domain.errors import FieldValueError, TruncatedError

HEADER_BYTES: Final = 4
MAX_MESSAGE_BYTES: Final = 1 << 20

_HEADER = struct.Struct("<I")


class FrameTooLargeError(FieldValueError):
    """A frame declares a length above the limit: the stream is dropped, nothing is buffered."""

    kind = "oversize"


class WireFormatError(FieldValueError):
    """The frame is not a valid protobuf ``SapientMessage`` (corrupt, truncated, bad UTF-8)."""

    kind = "bad_protobuf"


# ----------------------------------------------------------------------------------- framing


def frame(payload: bytes) -> bytes:
    """``payload`` behind its 4-byte little-endian length."""
    return _HEADER.pack(len(payload)) + payload


def encode_message(message: SapientMessage) -> bytes:
    """A ``SapientMessage`` serialised and framed for a TCP stream."""
    return frame(message.SerializeToString())


class Deframer:
    """Splits a byte stream into SAPIENT frames; feed it bytes as they arrive.

    Memory is bounded by ``max_message_bytes`` plus one read: a header announcing more raises
    ``FrameTooLargeError`` before its body is awaited. After that error the deframer stays
    broken (every later ``feed`` raises it again): the stream has lost its framing.
    """

    def __init__(self, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._max = max_message_bytes
        self._buffer = bytearray()
        self._consumed = 0
        """Stream offset of ``_buffer[0]``."""
        self._broken: FrameTooLargeError | None = None

    @property
    def offset(self) -> int:
        """Stream offset of the next byte not yet returned in a frame."""
        return self._consumed

    @property
    def pending(self) -> int:
        """Bytes buffered towards the next frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The frames completed by ``data``, each with the stream offset of its header."""
        if self._broken is not None:
            raise self._broken
        self._buffer += data
        frames: list[tuple[int, bytes]] = []
        start = 0
        view = self._buffer
        while len(view) - start >= HEADER_BYTES:
            (length,) = _HEADER.unpack_from(view, start)
            if length > self._max:
                self._broken = FrameTooLargeError(
                    f"frame declares {length} bytes, above the {self._max}-byte limit",
                    data=bytes(view[start : start + HEADER_BYTES]),
                    offset=self._consumed + start,
                    field="length",
                )
                self._buffer = bytearray()
                raise self._broken
            end = start + HEADER_BYTES + length
            if end > len(view):
                break
            frames.append((self._consumed + start, bytes(view[start + HEADER_BYTES : end])))
            start = end
        if start:
            del self._buffer[:start]
            self._consumed += start
        return frames

    def check_complete(self) -> None:
        """At the end of a stream: raise TruncatedError if it stopped inside a frame."""
        if self._buffer:
            raise TruncatedError(
                f"stream ends {len(self._buffer)} bytes into a frame",
                data=bytes(self._buffer[:64]),
                offset=self._consumed,
                field="length" if len(self._buffer) < HEADER_BYTES else "message",
            )
