"""A throw-away Debian ``mosquitto`` broker on 127.0.0.1, for the demo's acoustic networks and
for tests (``running_mosquitto``, a context manager).

Acoustic nodes publish to a broker, and the node subscribes to it; the demo starts one of
its own (Debian's ``mosquitto``, installed by ``./run``) so that the simulated networks
reach the nodes over MQTT as real ones would. Nothing is kept on disk (``persistence
false``); QoS 1 messages are queued without limit for a subscriber that lags a burst.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dronewarn.sim.deployment import free_port

MOSQUITTO = "/usr/sbin/mosquitto"


def mosquitto_binary() -> str | None:
    """The broker's path, or None when it is not installed (``apt-get install mosquitto``)."""
    found = Path(MOSQUITTO)
    if found.is_file():
        return str(found)
    return shutil.which("mosquitto")


def write_broker_config(directory: Path, port: int, extra_config: str = "") -> Path:
    """``directory/mosquitto.conf``: a broker on 127.0.0.1:``port`` (anonymous unless
    ``extra_config`` says otherwise), nothing on disk, QoS 1 queues without limit."""
    config = directory / "mosquitto.conf"
    directory.mkdir(parents=True, exist_ok=True)
    config.write_text(
        # started as root, mosquitto would become user "mosquitto" and lose access to the
        # files here; as anyone else this line changes nothing
        f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
        "persistence false\n"
        # a subscriber may lag a burst of QoS 1 messages: keep them all queued
        "max_queued_messages 0\n"
        "max_inflight_messages 0\n"
        f"listener {port} 127.0.0.1\n" + (extra_config or "allow_anonymous true\n")
    )
    return config


class Broker:
    """One mosquitto process listening on ``port``; ``stop``/``start`` restart it in place."""

    def __init__(self, binary: str, directory: Path, port: int, extra_config: str = "") -> None:
        self.port = port
        self.binary = binary
        self.log = directory / "mosquitto.log"
        self.config = write_broker_config(directory, port, extra_config)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the broker and wait until its port accepts connections."""
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not listen on {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(5.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5.0)


@contextmanager
def running_mosquitto(directory: Path, extra_config: str = "") -> Iterator[Broker]:
    """A broker on a free 127.0.0.1 port for the duration of the block.

    ``extra_config`` replaces ``allow_anonymous true`` after the ``listener`` line (TLS
    files, password file...). Raises FileNotFoundError when mosquitto is not installed
    (callers skip on it).
    """
    binary = mosquitto_binary()
    if binary is None:
        raise FileNotFoundError("mosquitto is not installed: apt-get install mosquitto")
    broker = Broker(binary, directory, free_port(), extra_config)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
