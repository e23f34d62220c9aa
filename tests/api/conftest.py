"""A small night (tests/data/web-two-nodes.yaml) run in one process, with each node's
operator picture built on top and a thread standing in for the nodes' loop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dronewarn.api.auth import Account, Role, hash_password
from dronewarn.harness.in_process import InProcessNodes, Window, simulate_scenario
from dronewarn.node.operator_picture import OperatorPicture, PictureConfig
from dronewarn.sim.scenario import load_scenario
from dronewarn.sim.stream import ReplayClock

SCENARIO = Path(__file__).parents[1] / "data" / "web-two-nodes.yaml"
PASSWORDS = {
    "watcher": "watcher-password-1",
    "duty": "duty-password-22",
    "boss": "boss-password-333",
}
ORIGIN = {"Origin": "http://testserver"}


@dataclass
class Pictures:
    night: InProcessNodes
    by_node: dict[str, OperatorPicture]


def accounts() -> tuple[Account, ...]:
    roles = {"watcher": Role.VIEWER, "duty": Role.OPERATOR, "boss": Role.ADMIN}
    return tuple(Account(n, roles[n], hash_password(p)) for n, p in PASSWORDS.items())


@pytest.fixture(scope="module")
def pictures() -> Iterator[Pictures]:
    scenario = load_scenario(str(SCENARIO))
    world = simulate_scenario(scenario)
    night = InProcessNodes(world)
    config = PictureConfig(accounts=accounts(), login_links=(("one-time-token", "duty"),))
    by_node = {node_id: OperatorPicture(node, config) for node_id, node in night.nodes.items()}
    window = Window(scenario.start_s, scenario.end_s)

    def step(now_s: float) -> None:
        for picture in by_node.values():
            picture.step(now_s)

    night.run(window, ReplayClock(window.start_s, None), step)
    stop = threading.Event()

    def node_loop() -> None:  # the nodes' loop after the night: commands, fresh ledgers
        while not stop.wait(0.02):
            for node_id, picture in by_node.items():
                picture.step(night.nodes[node_id].now_s)

    loop = threading.Thread(target=node_loop, daemon=True)
    loop.start()
    yield Pictures(night, by_node)
    stop.set()
    loop.join()
    for picture in by_node.values():
        picture.history.close()
    night.close()
