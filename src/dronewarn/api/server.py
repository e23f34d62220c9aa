"""Serve the operator API with uvicorn in a background thread of the node's process."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI


class OperatorServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                ws="websockets-sansio",
                lifespan="off",
            )
        )
        self._thread = threading.Thread(target=self._server.run, name="operator-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the operator API did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10.0)
