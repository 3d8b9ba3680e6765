"""The Cases page: every business case file in the workspace's ``cases/`` folder,
listed with its headline figures, and each shown as ``totalplace case FILE
--html`` shows it (:mod:`totalplace.case.page`), its charts drawn by a served
script from a JSON block.

A case is named in the address by its file name without ``.toml`` and is looked
up in the folder's own listing, so no address can reach a file outside it.  A
file that cannot be read or appraised is listed with its error (file, field and
what to do); it never stops the other cases from showing.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
import threading
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.case.gainshare import GainShare
from totalplace.case.montecarlo import Appraisal
from totalplace.case.page import DRAW_JS, render_body
from totalplace.case.view import case_view, describe_input
from totalplace.errors import ConfigError, TotalPlaceError
from totalplace.web import templates
from totalplace.web.site import ApiError, Site, Viewer, csv_response
from totalplace.web.templates import script_json

CASES_DIR = "cases"
# A case file is a few kilobytes; anything far larger is not one.
MAX_CASE_BYTES = 1_000_000
# Appraisals kept in memory, each with its Monte Carlo runs (10,000 floats).
_CACHE_SIZE = 32

LIST = """{% extends "base.html" %}
{% block main %}
<p>Invest-to-save business cases in the workspace's <code>{{ folder }}</code> folder:
each <code>.toml</code> file there is appraised as
<code>totalplace case FILE</code> appraises it. Headline figures are present values on
the public-value basis.</p>
{% if not cases %}
<p class="notice" role="status">No case files yet: put a case file (TOML) in the
workspace's <code>{{ folder }}</code> folder;
<code>totalplace demo</code> puts the three worked examples there.</p>
{% else %}
<table>
<caption>Business cases</caption>
<thead><tr><th scope="col">Case</th><th scope="col">File</th>
<th scope="col" class="money">NPV</th><th scope="col" class="money">BCR</th>
<th scope="col" class="money">Payback</th></tr></thead>
<tbody>
{% for c in cases %}
{% if c.error %}
<tr><td>{{ c.name }}</td><td>{{ c.file }}</td>
<td colspan="3" class="error" role="alert">Cannot be appraised: {{ c.error.message }}</td></tr>
{% else %}
<tr><td><a href="/cases/{{ c.name|urlencode }}">{{ c.title }}</a></td><td>{{ c.file }}</td>
<td class="money">{{ money(c.npv_pence) }}</td><td class="money">{{ ratio(c.bcr) }}</td>
<td class="money">{{ years(c.payback_years) }}</td></tr>
{% endif %}
{% endfor %}
</tbody>
</table>
{% endif %}
{% endblock %}
"""

ONE = """{% extends "base.html" %}
{% block main %}
<p><a href="/cases">All cases</a> · <a href="/api/cases/{{ case_name|urlencode }}">JSON</a></p>
{% if error %}
<p class="error" role="alert">{{ error }}</p>
{% else %}
{{ body }}
<script id="case-figures" type="application/json">{{ figures_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/case.js"></script>
{% endif %}
{% endblock %}
"""

templates.register("cases.html", LIST)
templates.register("case.html", ONE)
templates.script("case.js", DRAW_JS)


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}".replace("-", "\u2212", 1)


def _years(value: float | None) -> str:
    return "not within the period" if value is None else f"{value:.2f} years"


templates.env.globals.update(ratio=_ratio, years=_years)


def case_files(root: Path) -> dict[str, Path]:
    """The case files of the workspace by name (the file name without ``.toml``):
    regular files directly in ``cases/``, and links only where they resolve inside it."""
    folder = root / CASES_DIR
    if not folder.is_dir():
        return {}
    inside = folder.resolve()
    found = {}
    for path in sorted(folder.glob("*.toml")):
        if path.is_file() and path.resolve().parent == inside:
            found[path.stem] = path
    return found


class _Cases:
    """Appraisals of the workspace's case files, kept until a file changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._done: dict[tuple[str, int, int], tuple[Appraisal, GainShare | None, str]] = {}

    def names(self) -> dict[str, Path]:
        return case_files(self.root)

    def path(self, name: str) -> Path:
        files = self.names()
        if name not in files:
            known = ", ".join(files) or "none yet"
            raise ApiError(
                404,
                "NoSuchCase",
                f"no case file {name!r} in the workspace's {CASES_DIR}/ folder; cases there: "
                f"{known}",
            )
        return files[name]

    def appraise(self, name: str) -> tuple[Appraisal, GainShare | None, str]:
        """The case's appraisal as ``totalplace case FILE`` makes it (10,000 seeded
        draws), and the gain share among all its agencies or why there is none."""
        path = self.path(name)
        stat = path.stat()
        key = (name, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._done:
                return self._done[key]
        found = _appraise(path)
        with self._lock:
            if len(self._done) >= _CACHE_SIZE:
                self._done.pop(next(iter(self._done)))
            self._done[key] = found
        return found


def _display(path: Path) -> str:
    return f"{CASES_DIR}/{path.name}"


def _appraise(path: Path) -> tuple[Appraisal, GainShare | None, str]:
    """Read and appraise one case file; errors name it as ``cases/NAME.toml``."""
    from totalplace.case import appraise
    from totalplace.case.model import parse_case
    from totalplace.case.partners import gain_share
    from totalplace.tomlfile import read_toml

    shown = _display(path)
    try:
        if path.stat().st_size > MAX_CASE_BYTES:
            raise ConfigError(
                f"{shown}: the file is over {MAX_CASE_BYTES:,} bytes; a case file is a few "
                "kilobytes: check it is the right file"
            )
        appraisal = appraise(parse_case(read_toml(path, "case file"), shown))
    except TotalPlaceError as exc:
        raise ConfigError(str(exc).replace(str(path), shown)) from exc
    try:
        return appraisal, gain_share(appraisal.result), ""
    except TotalPlaceError as exc:
        return appraisal, None, str(exc)


def _case_json(
    name: str, appraisal: Appraisal, split: GainShare | None, why: str
) -> dict[str, Any]:
    """The case as ``totalplace case FILE --json`` gives it, with the gain share among
    all its agencies and each uncertain input named in words."""
    case = appraisal.result.case
    return {
        "name": name,
        **appraisal.to_dict(),
        "gain_share": asdict(split) if split is not None else None,
        "gain_share_error": why or None,
        "inputs": {p.id: describe_input(case, p.id) for p in case.params()},
    }


def _csv_value(cell: dict[str, Any]) -> Any:
    """A figure as a number a spreadsheet sums (pounds as exact decimals); text as text."""
    value = cell["value"]
    if cell["num"] and isinstance(value, str) and value:
        return Decimal(value)
    return value


def add_routes(app: FastAPI, site: Site) -> None:
    # here rather than on import, so the navigation bar follows the order of app.PAGES
    templates.nav("Cases", "/cases")
    cases = _Cases(site.root)

    def listing() -> list[dict[str, Any]]:
        found = []
        for name, path in cases.names().items():
            entry: dict[str, Any] = {"name": name, "file": _display(path), "error": None}
            try:
                appraisal, _, _ = cases.appraise(name)
            except TotalPlaceError as exc:
                entry["error"] = {"type": type(exc).__name__, "message": str(exc)}
            else:
                res = appraisal.result
                entry.update(
                    title=res.case.title,
                    npv_pence=res.npv,
                    bcr=res.bcr,
                    roi=res.roi,
                    payback_years=res.payback_years,
                )
            found.append(entry)
        return found

    @app.get("/api/cases", summary="Every business case in the workspace's cases/ folder")
    def api_cases(user: Viewer) -> dict[str, Any]:
        return {"folder": CASES_DIR, "cases": listing()}

    @app.get("/api/cases/{name}", summary="One business case, appraised (as case FILE --json)")
    def api_case(name: str, user: Viewer) -> dict[str, Any]:
        try:
            appraisal, split, why = cases.appraise(name)
        except ConfigError as exc:
            raise ApiError(422, "ConfigError", str(exc)) from exc
        return _case_json(name, appraisal, split, why)

    @app.get("/cases/{name}/{table}.csv", include_in_schema=False)
    def case_csv(name: str, table: str, user: Viewer) -> Response:
        try:
            appraisal, split, why = cases.appraise(name)
        except ConfigError as exc:
            raise ApiError(422, "ConfigError", str(exc)) from exc
        tables = case_view(appraisal, split, why)["tables"]
        if table not in tables:
            raise ApiError(
                404, "NotFound", f"case {name} has no table {table!r}; tables: {', '.join(tables)}"
            )
        t = tables[table]
        rows = [
            [v for c in row for v in [_csv_value(c)] + [""] * (int(c.get("span", 1)) - 1)]
            for row in t["rows"]
        ]
        return csv_response(f"{name}-{table}.csv", list(t["columns"]), rows)

    @app.get("/cases", response_class=HTMLResponse, include_in_schema=False)
    def cases_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        folder = f"{CASES_DIR}/"
        return site.page(
            "cases.html", title="Business cases", cases=listing(), folder=folder, **context
        )

    @app.get("/cases/{name}", response_class=HTMLResponse, include_in_schema=False)
    def case_page(request: Request, name: str) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        try:
            appraisal, split, why = cases.appraise(name)
        except ApiError as exc:
            return site.page(
                "case.html",
                exc.status_code,
                title="No such case",
                error=exc.detail,
                case_name=name,
                **context,
            )
        except ConfigError as exc:
            return site.page(
                "case.html", 422, title=f"Case {name}", error=str(exc), case_name=name, **context
            )
        view = case_view(appraisal, split, why)
        return site.page(
            "case.html",
            title=view["title"],
            case_name=name,
            body=render_body(view, csv_base=f"/cases/{quote(name, safe='')}"),
            figures_json=script_json(view["figures"]),
            **context,
        )
