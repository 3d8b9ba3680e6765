"""The dashboard in a real browser: Debian's Chromium (``/usr/bin/chromium``,
never a browser Playwright downloads) driven by Playwright, against the
dashboard served by uvicorn on a free loopback port, over the counted demo
place.

Two servers run for the whole session, each over its own copy of the demo
workspace: an open one (loopback, no users: one analyst at their desk) and
one started with ``--require-login`` whose workspace has a viewer, an analyst
and an admin.  Every page a test opens is watched: a console error, an
uncaught script error, a failed request, an error status or a request to any
host but the server is recorded, and the test asserts there was none.

Without Chromium or Playwright every test here skips, saying which is missing
and how to install it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# The screen sizes every page is looked at (and photographed) in.
VIEWPORTS = ((1366, 768), (1920, 1080))
PASSWORD = "a long enough passphrase"
USERS = {"vera": "viewer", "ann": "analyst", "ada": "admin"}
# Plotly draws after the page's script runs; a chart not drawn in this time is
# a chart that failed.
DRAW_MS = 10_000
NAVIGATION_MS = 90_000


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return (
            f"Chromium is not installed at {CHROMIUM}: apt-get install chromium "
            "(make test and .ci/run do this as root)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]' (or make install)"
    return None


# Package scope: Playwright's synchronous API holds an asyncio loop in this
# thread while it is open, which would stop any later test (the place
# report's PDF, say) from using it; it closes when the browser tests end.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root otherwise
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo place, ingested and counted once for every browser test."""
    if _missing():
        pytest.skip(str(_missing()))
    from totalplace.demo import run_demo
    from totalplace.report.run import count_workspace

    folder = tmp_path_factory.mktemp("browser") / "demo"
    _, ws = run_demo(folder)
    count_workspace(ws)
    return folder


class LiveServer:
    """The dashboard served by uvicorn in a thread, on a loopback port the
    system chose free, as ``totalplace serve`` serves it."""

    def __init__(self, root: Path, require_login: bool) -> None:
        import uvicorn

        from totalplace.web.app import create_app

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(root, require_login), log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start at {self.url}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()


def _workspace_copy(demo_dir: Path, dest: Path) -> Path:
    """A copy of the demo folder; the copy's workspace reads the same source
    files (their paths are recorded as they were ingested)."""
    shutil.copytree(demo_dir, dest)
    return dest / "workspace"


@pytest.fixture(scope="session")
def open_server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = _workspace_copy(demo_dir, tmp_path_factory.mktemp("open") / "demo")
    with LiveServer(root, require_login=False) as server:
        yield server


@pytest.fixture(scope="session")
def login_server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from totalplace.web.users import add_user

    root = _workspace_copy(demo_dir, tmp_path_factory.mktemp("login") / "demo")
    for name, role in USERS.items():
        add_user(root, name, role, PASSWORD)
    with LiveServer(root, require_login=True) as server:
        yield server


@dataclass
class Watch:
    """What went wrong while a page was open: console errors, uncaught
    script errors, failed requests, error statuses and requests to any host
    but the server."""

    server: str
    problems: list[str] = field(default_factory=list)
    # error statuses a test expects (a refusal it is checking), by path
    expected: set[str] = field(default_factory=set)

    def attach(self, page: Any) -> None:
        host = urlsplit(self.server).netloc

        def console(m: Any) -> None:
            # a refusal the test expects is logged as a failed load too
            if m.type == "error" and urlsplit(m.location.get("url", "")).path not in self.expected:
                self.problems.append(f"console {m.type}: {m.text} at {m.location}")

        page.on("console", console)
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on(
            "requestfailed",
            lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"),
        )

        def response(r: Any) -> None:
            if r.status >= 400 and urlsplit(r.url).path not in self.expected:
                self.problems.append(f"HTTP {r.status}: {r.url}")

        def request(r: Any) -> None:
            parts = urlsplit(r.url)
            if parts.scheme in ("data", "blob", "about"):
                return
            if parts.netloc != host:
                self.problems.append(f"request outside the server: {r.url}")

        page.on("response", response)
        page.on("request", request)


@dataclass
class Browsing:
    """A page in a fresh browser context (its own cookies), watched."""

    page: Any
    watch: Watch
    server: str

    def goto(self, path: str) -> Any:
        return self.page.goto(self.server + path, wait_until="load")

    def log_in(self, name: str, password: str = PASSWORD) -> None:
        self.goto("/login")
        self.page.get_by_label("User name").fill(name)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state("load")

    def undrawn_charts(self) -> list[str]:
        """The ids of chart containers on the page with no drawn Plotly chart
        in them, after waiting for the page's scripts to draw."""
        selector = ".chart"
        if self.page.locator(selector).count():
            # on a timeout, the list below names the charts not drawn
            with contextlib.suppress(Exception):
                self.page.wait_for_function(
                    "s => [...document.querySelectorAll(s)].every("
                    "el => el.querySelector('.main-svg'))",
                    arg=selector,
                    timeout=DRAW_MS,
                )
        undrawn: list[str] = self.page.eval_on_selector_all(
            selector,
            "els => els.filter(el => !el.querySelector('.plotly .main-svg'))"
            ".map(el => el.id || el.className)",
        )
        return undrawn


def browsing(
    browser: Any,
    server: LiveServer,
    viewport: tuple[int, int] = VIEWPORTS[0],
    storage_state: Any = None,
) -> Iterator[Browsing]:
    """A watched page in a fresh context; ``storage_state`` (cookies saved
    from another context) logs it in as that context was."""
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, storage_state=storage_state
    )
    # a page computed on a busy shared machine may take a while; a page that
    # never loads still fails
    context.set_default_navigation_timeout(NAVIGATION_MS)
    page = context.new_page()
    watch = Watch(server.url)
    watch.attach(page)
    try:
        yield Browsing(page, watch, server.url)
    finally:
        context.close()


@pytest.fixture
def at_desk(browser: Any, open_server: LiveServer) -> Iterator[Browsing]:
    """The open dashboard (no login), at 1366x768."""
    yield from browsing(browser, open_server, VIEWPORTS[0])


@pytest.fixture
def locked(browser: Any, login_server: LiveServer) -> Iterator[Browsing]:
    """The dashboard that asks for a login, at 1366x768, not logged in yet."""
    yield from browsing(browser, login_server, VIEWPORTS[0])
