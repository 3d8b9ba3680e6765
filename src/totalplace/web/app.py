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
# parameter annotations at run time.
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from totalplace.classify.taxonomy import theme_label
from totalplace.errors import TotalPlaceError
from totalplace.report.count_file import summary
from totalplace.web import (
    page_barriers,
    page_benchmark,
    page_cases,
    page_drill,
    page_families,
    page_network,
    page_opportunities,
    page_overview,
    page_places,
    page_quality,
    page_theme,
    templates,
)
from totalplace.web.access import LOGIN_CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, same_token
from totalplace.web.site import MAX_DEPTH, MAX_LIMIT, ApiError, Limit, Offset, Site, Viewer
from totalplace.web.users import check_password

# Each page module registers its routes, template, script and place in the
# navigation bar; the order here is the order of the navigation bar.
PAGES = (
    page_overview, page_theme, page_drill, page_quality, page_places, page_cases, page_benchmark,
    page_opportunities, page_barriers, page_families, page_network,
)  # fmt: skip
__all__ = ["MAX_DEPTH", "MAX_LIMIT", "PAGES", "create_app", "plotly_js"]
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
    site = Site(root, require_login)
    app = FastAPI(
        title="totalplace",
        summary="The place's count: totals, themes, agencies and the rows behind each cell.",
        docs_url=None,  # the docs pages load scripts from a CDN
        redoc_url=None,
        openapi_url=None,  # served below, behind the login
    )
    app.state.site = site

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
    for module in PAGES:
        module.add_routes(app, site)
    # the navigation bar in the order of PAGES, whatever order the modules
    # were imported in: each entry goes where its page's route was added
    added: dict[str, int] = {}
    for i, route in enumerate(app.routes):
        added.setdefault(getattr(route, "path", ""), i)
    templates.NAV.sort(key=lambda entry: added.get(entry[1], len(added)))

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return site.page(name, status, **context)

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
            user = check_password(site.root, name, password)
        if user is None:
            return _login_form(request, "That user name and password do not match.", 401)
        site.sessions.end(request.cookies.get(SESSION_COOKIE))  # a new token at every login
        token, _ = site.sessions.start(user)
        response = RedirectResponse("/", 303)
        response.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict"
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await request.form()
        session = site.session_of(request)
        if session is None or not same_token(form.get("csrf_token"), session.csrf):
            raise ApiError(403, "CsrfRefused", "the form's CSRF token does not match your "
                           "session: reload the page and log out again")  # fmt: skip
        site.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(
            plotly_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/static/{name}", include_in_schema=False)
    def page_script(name: str) -> Response:
        if name not in templates.SCRIPTS:
            raise HTTPException(404)
        return Response(templates.SCRIPTS[name], media_type="text/javascript")

    # -- API -----------------------------------------------------------------
    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(user: Viewer) -> dict[str, Any]:
        return app.openapi()

    @app.get("/api/count", summary="The count's totals, by theme, agency, service and method")
    def api_count(user: Viewer) -> dict[str, Any]:
        return summary(site.count_data())

    @app.get("/api/lines", summary="The count's lines, paged (viewers see what was counted)")
    def api_lines(user: Viewer, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        lines = site.count_data().get("lines", [])
        page_lines = lines[offset : offset + limit]
        if not user.may("analyst"):
            page_lines = [{k: x.get(k) for k in VIEWER_LINE_FIELDS} for x in page_lines]
        return {
            "total": len(lines),
            "limit": limit,
            "offset": offset,
            "lines": [{**x, "theme_label": theme_label(str(x["theme"]))} for x in page_lines],
        }

    return app
