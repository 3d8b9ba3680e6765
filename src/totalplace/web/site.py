"""What every page and API route of the dashboard shares: the workspace, who
is asking (and whether they must log in), the count the pages read, and the
one error shape.

A page module (``web/page_<name>.py``) has one function,
``add_routes(app, site)``, that registers its routes with the parameter types
below: :data:`Viewer` for anything any logged-in user may see (aggregates),
:data:`Analyst` for the rows behind a cell and supplier names, and
:data:`Limit` and :data:`Offset` for every paged list, so a list is capped the
same way everywhere.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations
# at run time.
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from totalplace.report.count_file import NoCount
from totalplace.web.access import LOCAL_USER, SESSION_COOKIE, Session, Sessions
from totalplace.web.templates import render
from totalplace.web.users import User, list_users
from totalplace.workspace import Workspace

# Rows a page of any list may hold.
MAX_LIMIT = 1000
# How deep into a list a page may start: a query reads the largest
# offset + limit rows and the page is the last of them.
MAX_DEPTH = 20_000


class ApiError(HTTPException):
    """An error with its type named for the one error shape
    ``{"error": {"type", "message"}}``."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(status, message)
        self.type = type_


def check_depth(limit: int, offset: int) -> None:
    """Refuse a page that starts deeper than :data:`MAX_DEPTH` rows."""
    if offset + limit > MAX_DEPTH:
        raise ApiError(
            422,
            "InvalidRequest",
            f"offset + limit is {offset + limit:,}; pages reach {MAX_DEPTH:,} rows into a "
            "list at most: filter the list instead",
        )


class Site:
    """The dashboard of one workspace: its sessions and who may see what."""

    def __init__(self, root: Path, require_login: bool = False) -> None:
        self.ws = Workspace.open(root)
        self.sessions = Sessions()
        self.require_login = require_login

    @property
    def root(self) -> Path:
        return self.ws.root

    def login_required(self) -> bool:
        return self.require_login or bool(list_users(self.ws.root))

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def current_user(self, request: Request) -> User:
        if not self.login_required():
            return LOCAL_USER
        session = self.session_of(request)
        if session is None:
            raise ApiError(401, "LoginRequired", "log in first: POST /login, or open /login")
        return session.user

    def count_data(self) -> dict[str, Any]:
        """The count report, or a 404 saying how to make one (parsed once per
        version of the file: see :mod:`totalplace.web.cache`)."""
        from totalplace.web.cache import site_cache

        try:
            return site_cache(self).count.data()
        except NoCount as exc:
            raise ApiError(404, "NoCount", str(exc)) from exc

    def page_user(self, request: Request) -> tuple[User, dict[str, Any]] | RedirectResponse:
        """For a page: the user and the context every template needs, or a
        redirect to the login form when someone must log in first."""
        session = self.session_of(request)
        if self.login_required() and session is None:
            return RedirectResponse("/login", 303)
        user = session.user if session else LOCAL_USER
        return user, {
            "user": user,
            "login_required": self.login_required(),
            "csrf_token": session.csrf if session else "",
            "path": request.url.path,
        }

    @property
    def disclosure_threshold(self) -> int:
        return int(self.ws.config.disclosure_threshold)

    def people(self, n: int, user: User) -> int | None:
        """A count of people (or of payments to private individuals) as
        ``user`` may see it: None, shown as "fewer than N", when it is above
        nought and under the workspace's ``disclosure_threshold`` and the
        user's role has no person-level access (a viewer), so a small count
        cannot point to someone."""
        if user.may("analyst") or n == 0 or n >= self.disclosure_threshold:
            return n
        return None

    @staticmethod
    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(render(name, **context), status)

    @staticmethod
    def analyst_only(user: User) -> None:
        if not user.may("analyst"):
            raise ApiError(
                403,
                "Forbidden",
                f"{user.name} is a viewer: viewers see totals only, not the rows behind "
                "them or supplier names; ask an admin for the analyst role",
            )


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _viewer(request: Request) -> User:
    return _site(request).current_user(request)


def _analyst(user: Annotated[User, Depends(_viewer)]) -> User:
    Site.analyst_only(user)
    return user


Viewer = Annotated[User, Depends(_viewer)]
Analyst = Annotated[User, Depends(_analyst)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows in the page.")]
Offset = Annotated[int, Query(ge=0, description="Rows skipped before the page.")]


def csv_response(name: str, header: list[str], rows: list[list[Any]]) -> Response:
    """A table as a CSV download; text cells that a spreadsheet would run as a
    formula are written as text (see :func:`totalplace.sheets.safe_text`)."""
    import csv
    import io

    from totalplace.sheets import safe_text

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_text(v) if isinstance(v, str) else v for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
