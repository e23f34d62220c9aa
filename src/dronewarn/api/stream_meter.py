"""Counts what the live stream sends: clients, messages and bytes (the page's bandwidth)."""

from __future__ import annotations

import threading
import time


class StreamMeter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients = 0
        self._messages = 0
        self._bytes = 0
        self._since_s = time.monotonic()

    def opened(self) -> None:
        with self._lock:
            self._clients += 1

    def closed(self) -> None:
        with self._lock:
            self._clients -= 1

    def sent(self, size: int) -> None:
        with self._lock:
            self._messages += 1
            self._bytes += size

    def totals(self) -> dict[str, float]:
        with self._lock:
            return {
                "clients": self._clients,
                "messages": self._messages,
                "bytes": self._bytes,
                "seconds": time.monotonic() - self._since_s,
            }
