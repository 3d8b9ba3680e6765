"""What the dashboard's tests share: a counted demo workspace, a test client
(logged in as a user when one is named), and the one error shape."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.demo import run_demo
from totalplace.report.run import count_workspace
from totalplace.web.access import LOGIN_CSRF_COOKIE
from totalplace.web.app import create_app
from totalplace.workspace import Workspace

# Starlette's test client prefers httpx2 and warns when it finds httpx, the
# client FastAPI documents; the warning is about packaging, not our code.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"

__all__ = ["PASSWORD", "TestClient", "client_for", "counted_demo", "error_type"]


def counted_demo(factory: pytest.TempPathFactory, label: str) -> Workspace:
    """The demo's workspace, ingested and counted, in a folder of its own."""
    _, ws = run_demo(factory.mktemp(label) / "demo")
    count_workspace(ws)
    return ws


def client_for(
    root: Path, name: str | None = None, require_login: bool | None = None
) -> TestClient:
    """A client of the dashboard over ``root``; with ``name``, logged in as
    that user (whose password is :data:`PASSWORD`), login required."""
    login = name is not None if require_login is None else require_login
    client = TestClient(create_app(root, login), raise_server_exceptions=False)
    if name is not None:
        client.get("/login")
        token = client.cookies.get(LOGIN_CSRF_COOKIE)
        done = client.post(
            "/login",
            data={"name": name, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    return client


def error_type(response: Any, status: int) -> str:
    """The type of an error in the one shape ``{"error": {"type", "message"}}``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]["message"]
    return str(body["error"]["type"])
