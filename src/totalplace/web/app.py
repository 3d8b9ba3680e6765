"""The dashboard's FastAPI app: the Overview page, login and logout, and a
JSON API over the workspace's count, described by OpenAPI at
``/api/openapi.json``.

Every error, from any route, is ``{"error": {"type", "message"}}`` with its
HTTP status (401, 403, 404, 422, 500), so a client handles one shape.  Every
list is paged with a cap (:data:`MAX_LIMIT` rows a page).  A viewer sees
aggregates only: the rows behind a cell, which carry supplier names (some of
them people, some redacted), need the analyst role.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes'
# parameter annotations at run time, and some name types made inside create_app.
import secrets
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from totalplace.classify.taxonomy import theme_label
from totalplace.count.trace import trace
from totalplace.errors import TotalPlaceError
from totalplace.web.access import (
    LOCAL_USER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Session,
    Sessions,
    same_token,
)
from totalplace.web.reports import NoCount, cells, place_count, read_count, summary
from totalplace.web.templates import OVERVIEW_JS, render, script_json
from totalplace.web.users import User, check_password, list_users
from totalplace.workspace import Workspace

# Rows a page of any list may hold.
MAX_LIMIT = 1000
# How deep into a cell's rows a page may start: trace reads the largest
# offset + limit rows and the page is the last of them.
MAX_DEPTH = 20_000
# The count lines' fields a viewer sees: what was counted, never whose rows.
VIEWER_LINE_FIELDS = (
    "agency", "agency_type", "funder", "theme", "function", "tier", "capital_revenue",
    "method", "part", "gross_net", "grade", "pence", "service", "key", "key_year",
)  # fmt: skip
# No script, style sheet or font from anywhere but this server (styles inline
# because Plotly writes its own); no page may frame this one.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Error types by HTTP status, for errors FastAPI raises itself.
_TYPES = {
    400: "BadRequest", 401: "LoginRequired", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 422: "InvalidRequest", 500: "InternalError",
}  # fmt: skip


class ApiError(HTTPException):
    """An error with its type named for the one error shape."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(status, message)
        self.type = type_


def _error(status: int, type_: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": type_, "message": message}}, status, headers=SECURITY_HEADERS
    )


def plotly_js() -> Path:
    """plotly.min.js from the installed plotly package: the page fetches
    nothing from any other server."""
    return Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))


def create_app(root: Path, require_login: bool = False) -> FastAPI:
    """The dashboard for the workspace at ``root``."""
    ws = Workspace.open(root)
    sessions = Sessions()
    app = FastAPI(
        title="totalplace",
        summary="The place's count: totals, themes, agencies and the rows behind each cell.",
        docs_url=None,  # the docs pages load scripts from a CDN
        redoc_url=None,
        openapi_url=None,  # served below, behind the login
    )

    def login_required() -> bool:
        return require_login or bool(list_users(ws.root))

    def session_of(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(SESSION_COOKIE))

    def current_user(request: Request) -> User:
        if not login_required():
            return LOCAL_USER
        session = session_of(request)
        if session is None:
            raise ApiError(401, "LoginRequired", "log in first: POST /login, or open /login")
        return session.user

    def analyst(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.may("analyst"):
            raise ApiError(
                403,
                "Forbidden",
                f"{user.name} is a viewer: viewers see totals only, not the rows behind "
                "them or supplier names; ask an admin for the analyst role",
            )
        return user

    def count_data() -> dict[str, Any]:
        try:
            return read_count(ws.root)
        except NoCount as exc:
            raise ApiError(404, "NoCount", str(exc)) from exc

    Viewer = Annotated[User, Depends(current_user)]
    Analyst = Annotated[User, Depends(analyst)]
    Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows in the page.")]
    Offset = Annotated[int, Query(ge=0, description="Rows skipped before the page.")]

    # plotly.min.js is 4.9 MB as installed and 1.5 MB compressed
    app.add_middleware(GZipMiddleware, minimum_size=1000)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        type_ = getattr(exc, "type", None) or _TYPES.get(exc.status_code, "HTTPError")
        message = (
            str(exc.detail)
            if exc.status_code != 404 or type_ != "NotFound"
            else (f"nothing at {request.url.path}")
        )
        return _error(exc.status_code, type_, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        ]
        return _error(422, "InvalidRequest", "; ".join(parts))

    @app.exception_handler(TotalPlaceError)
    async def ours(request: Request, exc: TotalPlaceError) -> JSONResponse:
        return _error(422, type(exc).__name__, str(exc))

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSONResponse:
        return _error(
            500,
            "InternalError",
            f"internal error: {type(exc).__name__}. This is a fault in totalplace; please "
            "report it with the address you opened and the server's log.",
        )

    # -- pages ---------------------------------------------------------------
    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(render(name, **context), status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request) -> Response:
        session = session_of(request)
        if login_required() and session is None:
            return RedirectResponse("/login", 303)
        user = session.user if session else LOCAL_USER
        context: dict[str, Any] = {
            "title": "Overview",
            "user": user,
            "login_required": login_required(),
            "csrf_token": session.csrf if session else "",
        }
        try:
            data = read_count(ws.root)
        except NoCount as exc:
            return page("overview.html", no_count=str(exc), **context)
        s = summary(data)
        all_cells = cells(data)
        shown = [c for c in all_cells if c["pence"] > 0]
        by_theme: dict[str, int] = defaultdict(int)
        for c in shown:
            by_theme[c["theme"]] += c["pence"]
        treemap = [
            {"id": f"t:{t}", "label": theme_label(t), "parent": "", "pence": p}
            for t, p in by_theme.items()
        ] + [
            {"id": f"t:{c['theme']}/a:{c['agency']}", "label": c["agency"],
             "parent": f"t:{c['theme']}", "pence": c["pence"]}
            for c in shown
        ]  # fmt: skip
        chart = {"by_theme": [t for t in s["by_theme"] if t["pence"] > 0], "treemap": treemap}
        return page(
            "overview.html",
            title=f"Overview: {s['place']}",
            s=s,
            cells=all_cells,
            negative=[c for c in all_cells if c["pence"] <= 0],
            chart_json=script_json(chart),
            **{k: v for k, v in context.items() if k != "title"},
        )

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request) -> Response:
        return _login_form(request, "")

    def _login_form(request: Request, message: str, status: int = 200) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        response = page(
            "login.html", status, title="Log in", csrf_token=token, message=message, user=None
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict"
        )
        return response

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        if not same_token(form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)):
            raise ApiError(403, "CsrfRefused", "the form's CSRF token is missing or stale: "
                           "open /login again and resubmit")  # fmt: skip
        name, password = form.get("name"), form.get("password")
        user = None
        if isinstance(name, str) and isinstance(password, str):
            user = check_password(ws.root, name, password)
        if user is None:
            return _login_form(request, "That user name and password do not match.", 401)
        sessions.end(request.cookies.get(SESSION_COOKIE))  # a new token at every login
        token, _ = sessions.start(user)
        response = RedirectResponse("/", 303)
        response.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict"
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await request.form()
        session = session_of(request)
        if session is None or not same_token(form.get("csrf_token"), session.csrf):
            raise ApiError(403, "CsrfRefused", "the form's CSRF token does not match your "
                           "session: reload the page and log out again")  # fmt: skip
        sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(
            plotly_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/static/overview.js", include_in_schema=False)
    def overview_js() -> Response:
        return Response(OVERVIEW_JS, media_type="text/javascript")

    # -- API -----------------------------------------------------------------
    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(user: Viewer) -> dict[str, Any]:
        return app.openapi()

    @app.get("/api/count", summary="The count's totals, by theme, agency, service and method")
    def api_count(user: Viewer) -> dict[str, Any]:
        return summary(count_data())

    @app.get("/api/lines", summary="The count's lines, paged (viewers see what was counted)")
    def api_lines(user: Viewer, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        lines = count_data().get("lines", [])
        page_lines = lines[offset : offset + limit]
        if not user.may("analyst"):
            page_lines = [{k: x.get(k) for k in VIEWER_LINE_FIELDS} for x in page_lines]
        return {
            "total": len(lines),
            "limit": limit,
            "offset": offset,
            "lines": [{**x, "theme_label": theme_label(str(x["theme"]))} for x in page_lines],
        }

    @app.get(
        "/api/cells/{agency}/{theme}/rows",
        summary="The source rows of one agency and theme, largest first, paged (analysts)",
    )
    def api_cell_rows(
        agency: str, theme: str, user: Analyst, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        if offset + limit > MAX_DEPTH:
            raise ApiError(422, "InvalidRequest", f"offset + limit is {offset + limit:,}; "
                           f"pages reach {MAX_DEPTH:,} rows into a cell at most")  # fmt: skip
        count = place_count(count_data())
        found = trace(ws, count, agency, theme, limit=offset + limit)
        if not found.lines:
            hint = f"; the nearest agencies: {'; '.join(found.nearest)}" if found.nearest else ""
            raise ApiError(404, "NoSuchCell", f"no line of the count has agency "
                           f"{found.agency!r} and theme {theme!r}{hint}")  # fmt: skip
        from_rows = sum(int(x["pence"]) for x in found.lines if x["method"] == "transactions")
        return {
            "agency": found.agency,
            "theme": theme,
            "theme_label": theme_label(theme),
            "cell_pence": found.pence,
            # the cell's lines from payments, which the rows add up to
            "transactions_pence": from_rows,
            "total": found.rows_total,
            "rows_pence": found.rows_pence,
            "basis": found.basis,
            "limit": limit,
            "offset": offset,
            "rows": [
                {"file": r.path, "line": r.line, "paying_body": r.paying_body,
                 "supplier": r.supplier, "date": r.date, "pence": r.pence,
                 "rule_id": r.rule_id, "classified_by": r.classified_by}
                for r in found.rows[offset : offset + limit]
            ],
        }  # fmt: skip

    return app
