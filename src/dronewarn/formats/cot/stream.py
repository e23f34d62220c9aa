"""Cutting a TAK TCP stream into CoT events.

``CotStreamSplitter`` takes bytes as they arrive and returns whole events of either protocol
(XML events back to back, or protocol 1's ``0xBF <length varint> <TakMessage>``), switching
at any event boundary as TAK's protocol negotiation does, and never holds more than one
capped event (``formats.cot.decode.MAX_EVENT_BYTES``). A broken event is returned as its
``DecodeError`` and the splitter resynchronises on the next event.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Final

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError, UnsupportedError
from dronewarn.formats.cot.decode import MAX_EVENT_BYTES, decode_tak_message, decode_xml
from dronewarn.formats.cot.event import MAGIC, CotEvent, TakProtocol, read_varint

_WHITESPACE: Final = b" \t\r\n\x00"
_TAG_END = re.compile(rb"<[^>\"']*+(?:(?:\"[^\"]*+\"|'[^']*+')[^>\"']*+)*+>")
_DECL_END = re.compile(
    rb"<!(?:[^>\[\"']++|\"[^\"]*+\"|'[^']*+'|\[(?:[^\]\"']++|\"[^\"]*+\"|'[^']*+')*+\])*+>"
)
_RESYNC_XML: Final = (b"<?xml", b"<event")
_CDATA: Final = b"<![CDATA["
_COMMENT: Final = b"<!--"


class _Mode(IntEnum):
    IDLE = 0
    XML = 1
    SKIP = 2
    RESYNC = 3


StreamItem = CotEvent | DecodeError


class CotStreamSplitter:
    """Incremental TAK stream reader: feed it bytes as they arrive, get events and errors.

    Protocol 0 events are cut where their root element closes (a small XML lexer that knows
    comments, CDATA, processing instructions and quoted attributes, so a ``</event>`` inside
    a remark does not cut an event); protocol 1 messages by their declared length. A message
    or event over ``max_event_bytes`` is reported and skipped without being buffered (a
    protocol 1 message by its length; an XML event by resynchronising on the next
    ``<?xml``/``<event``); bytes that start neither are reported and skipped the same way.
    Error offsets count from the start of the stream.
    """

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._buffer = bytearray()
        self._base = 0
        """Stream offset of ``_buffer[0]``."""
        self._mode = _Mode.IDLE
        self._scan = 0
        self._depth = 0
        self._root_seen = False
        self._skip = 0
        self._last = TakProtocol.XML

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of an event (never more than the cap plus a read)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[StreamItem]:
        """Take the next bytes of the stream; return the events and errors they complete."""
        self._buffer += data
        out: list[StreamItem] = []
        while self._step(out):
            pass
        return out

    def close(self) -> list[StreamItem]:
        """The stream ended: a partial event left over is a ``TruncatedError``."""
        out: list[StreamItem] = []
        leftover = bytes(self._buffer).strip(_WHITESPACE)
        if self._mode == _Mode.SKIP and self._skip:
            pass  # the oversized message was reported already
        elif self._mode in (_Mode.XML, _Mode.IDLE) and leftover:
            out.append(
                TruncatedError(
                    f"stream ended inside an event ({len(leftover)} bytes)",
                    data=leftover[:64],
                    offset=self._base,
                    field="event",
                )
            )
        self._drop(len(self._buffer))
        self._mode = _Mode.IDLE
        self._skip = 0
        return out

    # each step consumes something or returns False to wait for more bytes
    def _step(self, out: list[StreamItem]) -> bool:
        if self._mode == _Mode.SKIP:
            return self._skip_bytes()
        if self._mode == _Mode.RESYNC:
            return self._resync()
        if self._mode == _Mode.XML:
            return self._scan_xml(out)
        return self._idle(out)

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self._base += count

    def _error(self, out: list[StreamItem], error: DecodeError, mode: _Mode) -> bool:
        out.append(error)
        self._mode = mode
        return True

    def _idle(self, out: list[StreamItem]) -> bool:
        buffer = self._buffer
        start = 0
        while start < len(buffer) and buffer[start] in _WHITESPACE:
            start += 1
        self._drop(start)
        if not buffer:
            return False
        first = buffer[0]
        if first == ord("<"):
            self._mode = _Mode.XML
            self._scan = 0
            self._depth = 0
            self._root_seen = False
            return True
        if first == MAGIC:
            return self._proto_frame(out)
        error = FieldValueError(
            f"byte {first:#04x} starts neither an XML event nor a TAK protocol 1 message",
            data=bytes(buffer[:16]),
            offset=self._base,
            field="stream",
        )
        self._drop(1)
        return self._error(out, error, _Mode.RESYNC)

    def _proto_frame(self, out: list[StreamItem]) -> bool:
        buffer = self._buffer
        try:
            header = read_varint(buffer, 1)
        except FieldValueError as exc:
            exc.offset = self._base
            self._drop(1)
            return self._error(out, exc, _Mode.RESYNC)
        if header is None:
            return False
        length, start = header
        if length == 0:
            self._drop(start)
            error = FieldValueError(
                "empty TAK protocol 1 message", data=b"", offset=self._base, field="length"
            )
            return self._error(out, error, _Mode.IDLE)
        if length > self._max:
            error = FieldValueError(
                f"message of {length} bytes exceeds {self._max}; skipped",
                data=bytes(buffer[:start]),
                offset=self._base,
                field="length",
            )
            self._drop(start)
            self._skip = length
            return self._error(out, error, _Mode.SKIP)
        if len(buffer) < start + length:
            return False
        payload = bytes(buffer[start : start + length])
        offset = self._base
        self._drop(start + length)
        try:
            out.append(decode_tak_message(payload))
            self._last = TakProtocol.PROTOBUF
        except DecodeError as exc:
            exc.offset = offset + start + (exc.offset or 0)
            out.append(exc)
        return True

    def _skip_bytes(self) -> bool:
        if not self._buffer:
            return False
        count = min(self._skip, len(self._buffer))
        self._drop(count)
        self._skip -= count
        if self._skip == 0:
            self._mode = _Mode.IDLE
        return True

    def _resync(self) -> bool:
        buffer = self._buffer
        candidates = [buffer.find(marker) for marker in _RESYNC_XML]
        if self._last == TakProtocol.PROTOBUF:
            candidates.append(buffer.find(MAGIC))
        found = [index for index in candidates if index >= 0]
        if found:
            self._drop(min(found))
            self._mode = _Mode.IDLE
            return True
        keep = max(len(marker) for marker in _RESYNC_XML) - 1
        if len(buffer) > keep:
            self._drop(len(buffer) - keep)
        return False

    def _scan_xml(self, out: list[StreamItem]) -> bool:
        """Advance the lexer; emit the event when its root element closes."""
        buffer = self._buffer
        position = self._scan
        complete = False
        while True:
            lt = buffer.find(b"<", position)
            if lt < 0:
                if self._depth == 0 and bytes(buffer[position:]).strip(_WHITESPACE):
                    return self._garbage(out, position)
                position = len(buffer)
                break
            if self._depth == 0 and bytes(buffer[position:lt]).strip(_WHITESPACE):
                return self._garbage(out, position)
            end = self._token_end(lt)
            if end is None:
                position = lt
                break
            token_kind = bytes(buffer[lt + 1 : lt + 2])
            position = end
            if token_kind == b"/":
                self._depth -= 1
                if self._depth < 0:
                    return self._garbage(out, lt)
                if self._depth == 0:
                    complete = True
                    break
            elif token_kind not in (b"!", b"?"):
                if self._depth == 0 and self._root_seen:
                    return self._garbage(out, lt)
                self._root_seen = True
                if buffer[end - 2 : end] == b"/>":
                    if self._depth == 0:
                        complete = True
                        break
                else:
                    self._depth += 1
            if position > self._max:
                break
        self._scan = position
        if position > self._max or (not complete and len(buffer) > self._max):
            return self._oversized(out)
        if not complete:
            return False
        frame = bytes(buffer[:position])
        offset = self._base
        self._drop(position)
        self._mode = _Mode.IDLE
        try:
            out.append(decode_xml(frame))
            self._last = TakProtocol.XML
        except DecodeError as exc:
            exc.offset = offset + (exc.offset or 0)
            out.append(exc)
        return True

    def _token_end(self, lt: int) -> int | None:
        """End index (exclusive) of the markup token at ``lt``, None if not all here yet."""
        buffer = self._buffer
        head = bytes(buffer[lt : lt + len(_CDATA)])
        if len(head) < 2:
            return None
        if head[1:2] == b"!":
            for opener, closer in ((_COMMENT, b"-->"), (_CDATA, b"]]>")):
                if head.startswith(opener):
                    found = buffer.find(closer, lt + len(opener))
                    return None if found < 0 else found + len(closer)
                if opener.startswith(head):
                    return None  # too few bytes to tell which declaration this is
            match = _DECL_END.match(buffer, lt)
        elif head[1:2] == b"?":
            found = buffer.find(b"?>", lt + 2)
            return None if found < 0 else found + 2
        else:
            match = _TAG_END.match(buffer, lt)
        return None if match is None else match.end()

    def _garbage(self, out: list[StreamItem], index: int) -> bool:
        error = FieldValueError(
            "text or markup outside an event",
            data=bytes(self._buffer[index : index + 32]),
            offset=self._base + index,
            field="stream",
        )
        self._drop(max(index, 1))
        return self._error(out, error, _Mode.RESYNC)

    def _oversized(self, out: list[StreamItem]) -> bool:
        error = FieldValueError(
            f"event longer than {self._max} bytes; skipped",
            data=bytes(self._buffer[:64]),
            offset=self._base,
            field="event",
        )
        self._drop(1)  # resynchronise after this event's first byte
        return self._error(out, error, _Mode.RESYNC)


def decode_stream_message(data: bytes) -> CotEvent:
    """Decode one whole protocol 1 stream message (``0xBF <length> <TakMessage>``)."""
    if not data or data[0] != MAGIC:
        raise UnsupportedError(
            "a TAK protocol 1 stream message starts with 0xBF",
            data=data[:16],
            offset=0,
            field="magic",
        )
    splitter = CotStreamSplitter()
    results = splitter.feed(data) + splitter.close()
    if len(results) != 1:
        raise FieldValueError(
            f"{len(results)} messages where one was expected", data=data, field="stream"
        )
    result = results[0]
    if isinstance(result, DecodeError):
        raise result
    return result
