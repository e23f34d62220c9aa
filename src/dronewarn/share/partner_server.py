"""The node's partner endpoint: HTTP/1.1 over mutual TLS, in its own thread.

    POST /partner/v1/messages   body: compact JWS, one per line (application/jose)
                                answer: the receiver's signed acks, one per line in the same
                                order, stopping after the first message it cannot take yet;
                                200 when the last answered was accepted or a duplicate,
                                422 when it was refused
    GET  /partner/v1/health     200 "ok" (for monitoring; also needs a partner certificate)

The TLS handshake is done here, not by a framework, so that a client without a configured
partner certificate is refused *and recorded* (``on_refused``), and so that each request
carries the partner whose certificate opened the connection: a message signed by BY must
come over BY's connection. HTTP framing is ``h11`` (the HTTP/1.1 state machine uvicorn and
httpx use); connections are kept alive. This endpoint is separate from the operator API.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import h11

from dronewarn.share.envelope import unverified_payload
from dronewarn.transports.tls import fingerprint

MAX_BODY_BYTES = 4 * 1024 * 1024
MESSAGES_PATH = b"/partner/v1/messages"
HEALTH_PATH = b"/partner/v1/health"

Handler = Callable[[str, str], tuple[int, str]]
"""handle(partner id, token) -> (HTTP status, signed ack token)"""
MAX_BATCH = 256
TRANSIENT = frozenset({"not_yet_valid"})


@dataclass(frozen=True)
class Refusal:
    peer: str
    reason: str
    detail: str


def _reason_of(ack: str) -> str:
    """The reason code of a refusal ack (the receiver's own, just signed)."""
    try:
        return str(unverified_payload(ack)["body"].get("reason", "")).split(":")[0]
    except (ValueError, KeyError, IndexError, AttributeError):
        return ""


class _Paused(asyncio.Protocol):
    """A new connection, its reading paused at once so that the TLS layer sees every byte
    (upgrading a stream that has already read the ClientHello into its buffer would hang)."""

    def __init__(self, spawn: Callable[[asyncio.BaseTransport], None]) -> None:
        self._spawn = spawn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.pause_reading()  # type: ignore[attr-defined]
        self._spawn(transport)


class PartnerServer:
    """Serves one node's partner endpoint on ``host:port`` (port 0: any free port)."""

    def __init__(
        self,
        host: str,
        port: int,
        context: ssl.SSLContext,
        partners_by_fingerprint: Mapping[str, str],
        handle: Handler,
        on_refused: Callable[[Refusal], None],
        handshake_timeout_s: float = 10.0,
        idle_timeout_s: float = 120.0,
    ) -> None:
        self._host = host
        self._port = port
        self._context = context
        self._partners = dict(partners_by_fingerprint)
        self._handle = handle
        self._on_refused = on_refused
        self._handshake_timeout_s = handshake_timeout_s
        self._idle_timeout_s = idle_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: dict[asyncio.StreamWriter, str] = {}
        """Open connections and the certificate fingerprint each was opened with."""
        self.port = port

    def update_trust(
        self, context: ssl.SSLContext, partners_by_fingerprint: Mapping[str, str]
    ) -> None:
        """New connections are checked against these certificates; open connections whose
        certificate is no longer trusted are closed (thread-safe)."""
        self._context = context
        self._partners = dict(partners_by_fingerprint)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._drop_untrusted)

    def _drop_untrusted(self) -> None:
        for writer, print_ in list(self._open.items()):
            if print_ not in self._partners:
                writer.transport.abort()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> int:
        """Listen; return the bound port."""
        self._thread = threading.Thread(target=self._run, name="partner-server", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30.0)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise RuntimeError("the partner endpoint did not start within 30 s")
        return self.port

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None or self._thread is None or loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        self._thread.join(timeout=10.0)

    async def _shutdown(self) -> None:
        """Stop listening, end open connections, then stop the loop."""
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.get_running_loop().stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Paused(self._spawn), self._host, self._port)
            )
            self.port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    # ------------------------------------------------------------ connections

    def _spawn(self, transport: asyncio.BaseTransport) -> None:
        task = asyncio.get_running_loop().create_task(self._connection(transport))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connection(self, transport: asyncio.BaseTransport) -> None:
        """TLS on a connection whose reading was paused before any byte was read."""
        loop = asyncio.get_running_loop()
        address = transport.get_extra_info("peername")
        where = f"{address[0]}:{address[1]}" if address else "unknown"
        reader = asyncio.StreamReader(limit=MAX_BODY_BYTES, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        try:
            tls = await loop.start_tls(
                transport,  # type: ignore[arg-type]
                protocol,
                self._context,
                server_side=True,
                ssl_handshake_timeout=self._handshake_timeout_s,
            )
        except ssl.SSLError as exc:
            # a certificate we do not know (or none), or TLS we do not speak
            reason = "unknown_certificate" if "CERTIFICATE" in str(exc).upper() else "bad_tls"
            self._on_refused(Refusal(where, reason, f"TLS handshake: {exc}"))
            transport.close()
            return
        except (OSError, TimeoutError, ConnectionError):
            transport.close()  # the line dropped during the handshake: nothing to record
            return
        if tls is None:
            transport.close()
            return
        protocol.connection_made(tls)
        writer = asyncio.StreamWriter(tls, protocol, reader, loop)
        print_ = self._fingerprint(writer)
        peer = self._partners.get(print_) if print_ else None
        if peer is None or print_ is None:
            self._on_refused(Refusal(where, "unknown_certificate", "certificate not configured"))
            writer.transport.abort()
            return
        self._open[writer] = print_
        try:
            await self._serve(reader, writer, peer)
        except (ConnectionError, OSError, TimeoutError, h11.ProtocolError):
            pass
        finally:
            self._open.pop(writer, None)
            writer.transport.abort()

    def _fingerprint(self, writer: asyncio.StreamWriter) -> str | None:
        tls = writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        return fingerprint(der) if der else None

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        while True:
            request, body = await self._request(conn, reader)
            if request is None:
                return
            status, content_type, payload = self._answer(request, body, peer)
            headers = [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
            ]
            writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
            writer.write(conn.send(h11.Data(data=payload)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    async def _request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> tuple[h11.Request | None, bytes]:
        request: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(65536), timeout=self._idle_timeout_s)
                conn.receive_data(data)
                if not data and conn.their_state is h11.IDLE:
                    return None, b""
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY_BYTES:
                    raise h11.RemoteProtocolError("body too large")
            elif isinstance(event, h11.EndOfMessage):
                return request, bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                return None, b""

    def _answer(self, request: h11.Request, body: bytes, peer: str) -> tuple[int, bytes, bytes]:
        if request.method == b"GET" and request.target == HEALTH_PATH:
            return 200, b"text/plain", b"ok"
        if request.target != MESSAGES_PATH:
            return 404, b"text/plain", b"not found"
        if request.method != b"POST":
            return 405, b"text/plain", b"POST a compact JWS"
        text = body.decode("ascii", "replace").strip()
        tokens = text.split("\n")[:MAX_BATCH] if text else [""]
        acks = []
        status = 200
        for token in tokens:
            status, ack = self._handle(peer, token.strip())
            acks.append(ack)
            if status != 200 and _reason_of(ack) in TRANSIENT:
                break  # what follows must wait behind it, in order
        return status, b"application/jose", "\n".join(acks).encode("ascii")
