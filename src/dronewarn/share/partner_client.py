"""The delivery's HTTP client: one kept-alive HTTPS connection to one partner, mutual TLS.

The standard library's ``http.client`` over the pinned client context of ``transports.tls``. It
replaced httpx here after a profile (yappi) of the NIGHT-0910 demo showed httpx's
per-request URL and header handling among the link threads' top costs: with one message per
request every 2 ms, both sides in one process, CPU per message fell from 4.4 ms to 2.0 ms. A
failed request closes the connection; the next one opens a new one.
"""

from __future__ import annotations

import http.client
import ssl
from urllib.parse import urlsplit

from dronewarn.domain.errors import ConfigError

JOSE = "application/jose"


class PartnerHttpError(Exception):
    """The partner answered, but not with acks (a server error or another content type)."""


class PartnerClient:
    def __init__(self, url: str, context: ssl.SSLContext, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ConfigError(f"partner URL {url!r}: use https://host:port")
        self._host = parts.hostname
        self._port = parts.port or 443
        self._context = context
        self._timeout_s = timeout_s
        self._connection: http.client.HTTPSConnection | None = None
        self._next_context: ssl.SSLContext | None = None

    def use_context(self, context: ssl.SSLContext) -> None:
        """Call with this context from the next request on (trust changed); thread-safe."""
        self._next_context = context

    def post(self, path: str, body: bytes) -> tuple[int, str]:
        """(status, text) of the answer; raises on a network failure or a non-ack answer."""
        if self._next_context is not None:
            self._context, self._next_context = self._next_context, None
            self.close()
        connection = self._connection
        if connection is None:
            connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout_s, context=self._context
            )
            self._connection = connection
        try:
            connection.request(
                "POST", path, body=body, headers={"Content-Type": JOSE, "Accept": JOSE}
            )
            response = connection.getresponse()
            text = response.read().decode("ascii", "replace")
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        if response.status >= 500 or response.getheader("Content-Type") != JOSE:
            self.close()
            raise PartnerHttpError(f"HTTP {response.status}: {text[:200]!r}")
        if response.will_close:
            self.close()
        return response.status, text

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
