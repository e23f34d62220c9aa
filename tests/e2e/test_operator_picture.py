"""The operator pictures of a running demo, in a real browser.

``dronewarn demo`` runs tests/data/web-two-nodes.yaml (BY and PL in their own processes,
signed links over mutual TLS) with PL's and BY's pictures; Chromium logs in with the printed
one-time links. The tests follow the night in order: live tracks move, BY's warning appears
at PL, PL's acknowledgement shows at BY, then (the night over) the replay plays.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.e2e.browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.demo_process import Demo, running_demo

SCENARIO = Path(__file__).parents[1] / "data" / "web-two-nodes.yaml"
SPEED = "90"  # the one-hour night takes 40 s


@dataclass
class Watched:
    page: Page
    errors: list[str]
    hosts: set[str]


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    with running_demo("--scenario", str(SCENARIO), "--speed", SPEED, "--web-port", "0") as run:
        yield run


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    found = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield found
    found.close()


def open_picture(browser: Browser, url: str) -> Watched:
    page = browser.new_context(viewport={"width": 1400, "height": 850}).new_page()
    errors: list[str] = []
    hosts: set[str] = set()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(url)
    return Watched(page, errors, hosts)


@pytest.fixture(scope="module")
def pl(demo: Demo, browser: Browser) -> Watched:
    return open_picture(browser, demo.login_url("PL"))


@pytest.fixture(scope="module")
def by(demo: Demo, browser: Browser) -> Watched:
    return open_picture(browser, demo.login_url("BY"))


def wait_js(page: Page, expression: str, timeout_ms: int = 10_000) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's ``wait_for_function``
    evaluates strings with ``eval``, which the page's Content-Security-Policy forbids, as
    it should; ``evaluate`` goes through the debugging protocol instead.)"""
    deadline = time.monotonic() + timeout_ms / 1000.0
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} still false after {timeout_ms} ms")
        time.sleep(0.1)


def picture(page: Page) -> Any:
    return page.evaluate(
        "() => ({time: window.dronewarn.state.timeS,"
        " tracks: Object.fromEntries([...window.dronewarn.state.tracks].map(([id, r]) =>"
        " [id, [r[1], r[2]]])), replayFrames: window.dronewarn.stats.replayFrames})"
    )


def test_live_tracks_appear_and_move(pl: Watched, by: Watched) -> None:
    for watched in (pl, by):
        wait_js(watched.page, "window.dronewarn.state.tracks.size > 0", 30_000)
    before = picture(by.page)
    wait_js(by.page, f"window.dronewarn.state.timeS > {before['time'] + 60}", 15_000)
    after = picture(by.page)
    moved = [
        track_id
        for track_id, position in after["tracks"].items()
        if track_id in before["tracks"] and position != before["tracks"][track_id]
    ]
    assert moved, (before, after)
    assert "PL" in pl.page.title() and "BY" in by.page.title()


def test_a_warning_sent_by_by_appears_at_pl(pl: Watched) -> None:
    incoming = pl.page.locator("#warnings-in li[data-warning]").first
    incoming.wait_for(timeout=40_000)
    assert "from BY" in incoming.inner_text()
    # each warning shows its grade: a watch (possible crossing) or a warning (probable)
    grade = incoming.get_attribute("data-grade")
    assert grade in ("watch", "warning")
    assert grade.upper() in incoming.locator(".grade").inner_text()


def test_acknowledging_at_pl_shows_as_acknowledged_at_by(pl: Watched, by: Watched) -> None:
    item = pl.page.locator("#warnings-in li[data-warning]").first
    warning_id = item.get_attribute("data-warning")
    assert warning_id
    item.locator("button[data-act=acknowledge]").click()
    pl.page.locator(f'#warnings-in li[data-warning="{warning_id}"] .ack.yes').wait_for(
        timeout=10_000
    )
    at_by = by.page.locator(f'#warnings-out li[data-warning="{warning_id}"] .ack.yes')
    at_by.wait_for(timeout=20_000)
    assert "acknowledged by PL" in at_by.inner_text()


def test_the_replay_plays_the_night_again(demo: Demo, by: Watched) -> None:
    demo.wait_for(r"The night is over", 120)
    page = by.page
    page.click("#go-replay")
    wait_js(page, "window.dronewarn.state.mode === 'replay'")
    page.select_option("#speed", "1200")
    wait_js(page, "window.dronewarn.stats.replayFrames > 3", 20_000)
    wait_js(page, "window.dronewarn.state.tracks.size > 0", 20_000)
    first = picture(page)
    wait_js(page, f"window.dronewarn.state.timeS > {first['time'] + 120}", 20_000)
    later = picture(page)
    assert later["replayFrames"] > first["replayFrames"]
    moved = [
        track_id
        for track_id, position in later["tracks"].items()
        if track_id in first["tracks"] and position != first["tracks"][track_id]
    ]
    assert moved
    assert page.inner_text("#mode") == "REPLAY"
    page.click("#go-live")
    wait_js(page, "window.dronewarn.state.mode === 'live'")


def test_a_viewer_logs_in_and_cannot_act(demo: Demo, browser: Browser) -> None:
    base, password = demo.password("PL", "viewer")
    watched = open_picture(browser, base + "/")
    page = watched.page
    page.fill("input[name=name]", "viewer")
    page.fill("input[name=password]", "wrong password")
    page.click("#login-form button[type=submit]")
    wait_js(page, "document.getElementById('login-error').textContent.length > 0")
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.locator("#warnings-in li[data-warning]").first.wait_for(timeout=20_000)
    assert page.locator("button[data-act]").count() == 0
    assert "viewer" in page.inner_text("#user")
    # the wrong password's 401 is the only console error, and expected
    assert all("401" in error for error in watched.errors), watched.errors


def test_no_console_errors_and_no_other_hosts(pl: Watched, by: Watched) -> None:
    for watched in (pl, by):
        assert watched.errors == []
        assert len(watched.hosts) == 1, watched.hosts
        assert next(iter(watched.hosts)).startswith("127.0.0.1:")


def test_ctrl_c_stops_every_node(demo: Demo) -> None:
    folder = demo.wait_for(r"Nodes: dronewarn node run (\S+)/<node>\.toml", 10)[1]
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=30) == 0
    for pattern in (f"demo --scenario {SCENARIO}", f"node run {folder}/"):
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
        assert found.stdout.strip() == "", f"processes outlived the demo: {pattern}"
