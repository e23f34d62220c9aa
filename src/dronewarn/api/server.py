"""Serve an ASGI app (the operator API, a sightings endpoint) with uvicorn in a background
thread of the node's process, over HTTP or HTTPS."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI


class OperatorServer:
    def __init__(
        self,
        app: FastAPI,
        host: str,
        port: int,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        name: str = "operator-api",
    ) -> None:
        self.host, self.port = host, port
        self.tls = tls_cert is not None
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                ws="websockets-sansio",
                lifespan="off",
                ssl_certfile=None if tls_cert is None else str(tls_cert),
                ssl_keyfile=None if tls_key is None else str(tls_key),
            )
        )
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def bound_port(self) -> int:
        """The port actually bound (``port`` 0 asks for any free one)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.port

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"nothing could be served on {self.url}")
            time.sleep(0.02)
        self.port = self.bound_port

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10.0)
