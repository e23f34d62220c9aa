"""A running ``dronewarn demo`` for end-to-end tests: its output lines, read as they come."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Demo:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def wait_for(self, pattern: str, timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            if self.process.poll() is not None:
                raise AssertionError("the demo ended early:\n" + "".join(self.lines[-40:]))
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} from the demo in {timeout_s} s")

    def login_url(self, node_id: str) -> str:
        return self.wait_for(rf"^\s+{node_id}\s+(http://127\.0\.0\.1:\d+/login/once\S+)", 120)[1]

    def password(self, node_id: str, account: str) -> tuple[str, str]:
        """(base URL, password) of one of a picture's demo accounts."""
        parts = urlsplit(self.login_url(node_id))
        base = f"{parts.scheme}://{parts.netloc}"
        found = self.wait_for(
            rf"^\s+{re.escape(base)}\s+accounts:.*\b{account} \(\w+\) / (\S+?)(,|$)", 10
        )
        return base, found[1]


@contextlib.contextmanager
def running_demo(*args: str) -> Iterator[Demo]:
    """``python -m dronewarn demo ARGS``; Ctrl-C (SIGINT) at the end, as an operator would."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dronewarn", "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    running = Demo(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
