"""Logging in and out in Chromium, and what each role sees, on a dashboard
started with ``--require-login`` (the workspace has a viewer, an analyst and
an admin)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import Browsing, LiveServer, browsing
from tests.browser.pages import (
    CSV_LINKS_JS,
    DEEP,
    PAGES,
    deep_path,
    drill_path,
    private_payees,
    slug,
)


@pytest.fixture(scope="module")
def payees(demo_dir: Path) -> dict[str, tuple[str, str]]:
    names = private_payees(demo_dir / "workspace")
    assert len(names) >= 10, names  # the demo pays companies and people
    return names


@pytest.fixture(scope="module")
def as_viewer(browser: Any, login_server: LiveServer) -> Any:
    """The cookies of vera (a viewer) logged in once, for the tests that look
    at page after page as her."""
    state = None
    for b in browsing(browser, login_server):  # runs once, then closes the context
        b.log_in("vera")
        assert _at(b, "/"), b.page.url
        state = b.page.context.storage_state()
    return state


@pytest.fixture
def viewer(browser: Any, login_server: LiveServer, as_viewer: Any) -> Iterator[Browsing]:
    yield from browsing(browser, login_server, storage_state=as_viewer)


def _at(b: Browsing, path: str) -> bool:
    return urlsplit(b.page.url).path == path


@pytest.mark.parametrize("path", [pytest.param(p, id=slug(label)) for label, p in PAGES])
def test_every_page_sends_someone_not_logged_in_to_the_login_form(
    locked: Browsing, path: str
) -> None:
    locked.goto(path)
    assert _at(locked, "/login"), locked.page.url
    assert locked.page.get_by_label("User name").is_visible()
    assert not locked.watch.problems, "\n".join(locked.watch.problems)


def test_log_in_then_log_out(locked: Browsing) -> None:
    locked.log_in("ann")
    assert _at(locked, "/"), locked.page.url
    assert locked.page.get_by_text("ann (analyst)").is_visible()
    locked.page.get_by_role("button", name="Log out").click()
    locked.page.wait_for_load_state("load")
    assert _at(locked, "/login"), locked.page.url
    locked.goto("/")  # the session is over: the overview asks for a login again
    assert _at(locked, "/login"), locked.page.url
    assert not locked.watch.problems, "\n".join(locked.watch.problems)


def test_a_wrong_password_is_refused_on_the_form(locked: Browsing) -> None:
    locked.watch.expected.add("/login")  # the refusal is a 401
    locked.log_in("ann", "not the password at all")
    assert _at(locked, "/login")
    assert locked.page.get_by_role("alert").inner_text() == (
        "That user name and password do not match."
    )
    locked.goto("/")
    assert _at(locked, "/login")


@pytest.mark.parametrize("path", [pytest.param(p, id=slug(label)) for label, p in PAGES] + DEEP)
def test_a_viewer_sees_no_supplier_name_on_any_page(
    viewer: Browsing, path: str, payees: dict[str, tuple[str, str]], demo_dir: Path
) -> None:
    """A viewer sees totals only: no company, person or redaction the place
    paid appears on any page they can open, the drill-down included, nor in
    any CSV those pages link to."""
    if not path.startswith("/"):
        path = deep_path(demo_dir / "workspace", path)
    viewer.watch.expected.add(urlsplit(path).path)  # a refusal may come as a 403 page
    response = viewer.goto(path)
    assert response is not None
    assert not _at(viewer, "/login"), "the viewer's session was not kept"
    text = viewer.page.content()
    shown = [name for name in payees if name in text or name.replace("'", "&#39;") in text]
    assert not shown, f"{path} shows a viewer these payees: {shown}"
    for href in set(viewer.page.eval_on_selector_all("a", CSV_LINKS_JS)):
        got = viewer.page.request.get(href)
        shown = [name for name in payees if name in got.text()]
        assert not shown, f"{href} (linked from {path}) gives a viewer these payees: {shown}"
    assert not viewer.watch.problems, "\n".join(viewer.watch.problems)


def test_a_viewer_gets_the_refusal_on_a_drill_page(viewer: Browsing, demo_dir: Path) -> None:
    path = deep_path(demo_dir / "workspace", "drill")
    viewer.watch.expected.add("/drill")
    viewer.goto(path)
    body = viewer.page.locator("main").inner_text()
    assert "viewer" in body and "analyst" in body, body[:500]
    # the rows' own route refuses the viewer too, in the one error shape
    query = parse_qs(urlsplit(path).query)
    api = f"/api/cells/{query['agency'][0]}/{query['theme'][0]}/rows?limit=1"
    got = viewer.page.request.get(viewer.server + api)
    assert got.status == 403 and got.json()["error"]["type"] == "Forbidden"


def test_an_analyst_sees_the_payees_on_the_drill_page(
    locked: Browsing, payees: dict[str, tuple[str, str]]
) -> None:
    """The other side of the viewer's test: an analyst opening the cell that
    pays a company, a person or a redaction most sees the name, so its
    absence for a viewer is the role's doing."""
    locked.log_in("ann")
    for name in list(payees)[:3]:
        locked.goto(drill_path(*payees[name], limit=1000))
        text = locked.page.locator("main").inner_text()
        assert name in text, (name, payees[name], text[:500])
    assert not locked.watch.problems, "\n".join(locked.watch.problems)
