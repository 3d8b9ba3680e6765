"""Drill-down: the source rows behind a cell of the count (an agency and a
theme), each with its file and line, read by the same definition of a cell
that the count uses (:func:`totalplace.count.trace.trace`), so the rows shown
add up to the cell's lines from payments.  Analysts only: rows carry
supplier names, some of them people.

The page (``/drill?agency=A&theme=T``), its CSV download and the API route
list rows through one function, :func:`cell_rows`, so a sort or a filter
means the same rows wherever it is asked for.  A viewer's page shows the
cell's lines (how each was counted, the key and its year, where the figure
comes from), which are aggregates, and says that the rows need an analyst.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.count.place_count import PlaceCount
from totalplace.count.trace import (
    ROW_SORTS,
    QueryTimeLimit,
    RowQuery,
    Trace,
    agency_in_count,
    trace,
)
from totalplace.report.count_file import NoCount, method_label, place_count
from totalplace.report.labels import tier_label
from totalplace.web import templates
from totalplace.web.cache import site_cache
from totalplace.web.site import (
    MAX_DEPTH,
    Analyst,
    ApiError,
    Limit,
    Offset,
    Site,
    check_depth,
    csv_response,
)
from totalplace.web.users import User

# Rows a CSV download holds at most: as deep as a page may reach.
CSV_CAP = MAX_DEPTH
# Rows a page of the drill-down shows unless the address asks for more.
PAGE_ROWS = 50
# How long a query behind a page may run: a slow one answers 503
# QueryTimeLimit rather than hold a worker (DuckDB; Spark runs unlimited).
QUERY_SECONDS = 10.0

Sort = Annotated[
    Literal["amount", "date", "supplier", "file"],
    Query(description="List the rows by amount (size), date, supplier or file and line."),
]
Order = Annotated[
    Literal["asc", "desc"] | None,
    Query(description="asc or desc; by default largest amounts first, the others A to Z."),
]
Supplier = Annotated[
    str, Query(max_length=200, description="Rows whose supplier name holds this, any case.")
]
DateFrom = Annotated[date | None, Query(description="Rows paid on or after this day.")]
DateTo = Annotated[date | None, Query(description="Rows paid on or before this day.")]

assert set(ROW_SORTS) == {"amount", "date", "supplier", "file"}  # the Literal above


def row_query(
    sort: str, order: str | None, supplier: str, date_from: date | None, date_to: date | None
) -> RowQuery:
    """The rows asked for, in the count's own terms; a range that ends
    before it starts is refused rather than shown as an empty cell."""
    if date_from is not None and date_to is not None and date_to < date_from:
        raise ApiError(
            422,
            "InvalidRequest",
            f"date_to ({date_to}) is before date_from ({date_from}): swap them",
        )
    descending = order == "desc" if order else sort == "amount"
    return RowQuery(sort, descending, supplier.strip(), date_from, date_to)


def cell_rows(
    site: Site,
    agency: str,
    theme: str,
    query: RowQuery,
    limit: int,
    offset: int,
    count: PlaceCount | None = None,
) -> Trace:
    """One page of a cell's rows as ``query`` asks, or a 404 naming the
    nearest agencies when the count has no such cell (``count``: the count
    the caller has read already, read here otherwise)."""
    cache = site_cache(site)
    if count is None:
        site.count_data()  # a 404 when there is no count
        count = cache.count.derived("place_count", place_count)
    try:
        # the spend rows stay open while the files do not change, so only
        # the page asked for is worked out here
        cells = cache.spend.cells(count.year)
        found = trace(site.ws, count, agency, theme, limit, query=query, offset=offset,
                      seconds=QUERY_SECONDS, cells=cells)  # fmt: skip
    except QueryTimeLimit as exc:
        raise ApiError(503, "QueryTimeLimit", str(exc)) from exc
    if not found.lines:
        hint = f"; the nearest agencies: {'; '.join(found.nearest)}" if found.nearest else ""
        raise ApiError(404, "NoSuchCell", f"no line of the count has agency "
                       f"{found.agency!r} and theme {theme!r}{hint}")  # fmt: skip
    return found


def from_payments(found: Trace) -> int:
    """The cell's lines from payments: what its rows add up to."""
    return sum(int(x["pence"]) for x in found.lines if x["method"] == "transactions")


def _row(r: Any) -> dict[str, Any]:
    return {"file": r.path, "line": r.line, "paying_body": r.paying_body,
            "supplier": r.supplier, "date": r.date, "pence": r.pence,
            "rule_id": r.rule_id, "classified_by": r.classified_by}  # fmt: skip


DRILL = """{% extends "base.html" %}
{% block main %}
{% if notice %}
<p class="notice" role="status">{{ notice }}</p>
{% if nearest %}<p>The count's nearest agencies:</p>
<ul>{% for n in nearest %}<li><a href="{{ n.href }}">{{ n.name }}</a></li>{% endfor %}</ul>
{% endif %}
{% else %}
<p><a href="{{ theme_href }}">All of {{ theme_name }}</a> · the cell:
<span class="figure">{{ money(cell_pence) }}</span></p>
<section aria-labelledby="lines">
<h2 id="lines">How the cell was counted</h2>
<table>
<caption>The count's lines for {{ agency }} and {{ theme_name }}</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Tier</th>
<th scope="col">Key</th><th scope="col">Key year</th>
<th scope="col">Where the figure comes from</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for x in lines %}
<tr><td>{{ x.method }}</td><td>{{ x.tier }}</td><td>{{ x.key or "—" }}</td>
<td>{{ x.key_year or "—" }}</td><td>{{ x.source }}{% if x.basis %} ({{ x.basis }}){% endif
%}{% for f in x.flags %}<br>{{ f }}{% endfor %}</td>
<td class="money">{{ money(x.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if top_down %}<p>An apportioned line is the place's share of a national or regional figure,
shared out by the key named (its data from the year shown); the share and the figure it
was taken from are in the line's source above.</p>{% endif %}
</section>
{% if not analyst %}
<p class="notice" role="status">You are a viewer: you see how the cell was counted, not the
payments behind it or who was paid. Ask an admin for the analyst role to see the rows.</p>
{% elif rows_notice %}
<p class="notice" role="status">The payments behind the cell cannot be listed: {{ rows_notice
}}.</p>
{% elif has_payments %}
<section aria-labelledby="rows">
<h2 id="rows">The payments behind it</h2>
<p>Rows over all pages{% if filtered %} (every row of the cell){% endif %}:
{{ "{:,}".format(rows_total) }} worth {{ money(rows_pence) }}; the cell's lines from payments:
{{ money(payments) }}. {% if rows_pence == payments %}<strong>They agree.</strong>{% else
%}<strong>They differ by {{ money(payments - rows_pence) }}.</strong>{% endif %}</p>
{% if filtered %}<p>The filter keeps {{ "{:,}".format(matched_total) }} rows worth
{{ money(matched_pence) }}. <a href="{{ clear_href }}">Show every row</a></p>{% endif %}
<form method="get" action="/drill">
<input type="hidden" name="agency" value="{{ agency }}">
<input type="hidden" name="theme" value="{{ theme }}">
<input type="hidden" name="sort" value="{{ sort }}">
<input type="hidden" name="order" value="{{ order }}">
<label for="supplier">Supplier contains</label>
<input id="supplier" name="supplier" value="{{ supplier }}" maxlength="200">
<label for="date_from">Paid from</label>
<input id="date_from" name="date_from" type="date" value="{{ date_from }}">
<label for="date_to">to</label>
<input id="date_to" name="date_to" type="date" value="{{ date_to }}">
<button type="submit">Filter</button>
</form>
<table>
<caption>Rows {{ first }} to {{ last }} of {{ "{:,}".format(matched_total) }}, by {{ sort_words
}}</caption>
<thead><tr>
{% for col in columns %}<th scope="col"{% if col.money %} class="money"{% endif %}{% if col.sorted
%} aria-sort="{{ col.sorted }}"{% endif %}>{% if col.href %}<a href="{{ col.href }}">{{ col.label
}}</a>{% else %}{{ col.label }}{% endif %}</th>{% endfor %}
</tr></thead>
<tbody>
{% for r in rows %}
<tr><td>{{ r.date }}</td><td>{{ r.supplier or "(no name)" }}</td><td>{{ r.paying_body }}</td>
<td>{{ r.file }}</td><td>{{ r.line }}</td><td class="money">{{ money(r.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
<p>{% if prev_href %}<a href="{{ prev_href }}" rel="prev">Previous {{ limit }}</a>{% endif %}
{% if next_href %}<a href="{{ next_href }}" rel="next">Next {{ limit }}</a>{% endif %}</p>
<p class="download"><a href="{{ csv_href }}">Download these rows as CSV</a>{% if
 matched_total > csv_cap %} (the first {{ "{:,}".format(csv_cap) }}; filter to see the rest){%
 endif %}</p>
</section>
{% else %}
<p>No line of this cell is from payments, so no source row stands behind it.</p>
{% endif %}
{% endif %}
{% endblock %}
"""

templates.register("drill.html", DRILL)

_SORT_WORDS = {
    "amount": "amount (largest payment or refund first)",
    "date": "date paid",
    "supplier": "supplier",
    "file": "file and line",
}
_COLUMNS = (
    ("Date", "date", False),
    ("Supplier", "supplier", False),
    ("Paid by", None, False),
    ("File", "file", False),
    ("Line", None, False),
    ("Amount", "amount", True),
)


# The apportionment keys (count/keys.py KEYS, "site" and "outturn") as
# data/apportionment_keys.toml describes them, in a finance officer's words.
KEY_LABELS = {
    "population": "Residents (mid-year population)",
    "population_65plus": "Residents aged 65 and over",
    "children": "Children (residents under 16)",
    "income_deprived": "Residents in income deprivation (IoD income domain)",
    "employment_deprived": "Residents in employment deprivation (IoD employment domain)",
    "children_income_deprived": "Children in income-deprived families (IDACI)",
    "older_income_deprived": "Older people in income deprivation (IDAOPI)",
    "deprivation_weighted": "Residents weighted by deprivation (IMD score)",
    "police_force": "Police spending of the force serving each authority",
    "fire_authority": "Fire spending of the authority serving each area",
    "transport_body": "Transport spending of the bodies serving each authority",
    "site": "The authority where the site is",
    "outturn": "The body's own published outturn",
}


def key_label(key: str) -> str:
    """An apportionment key in words (a key of a user's own file: its id in words)."""
    return KEY_LABELS.get(key, key.replace("_", " ").strip().capitalize())


def _href(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def drill_href(agency: str, theme: str) -> str:
    """The drill-down page of one cell (the Overview and theme pages link to it)."""
    return _href("/drill", {"agency": agency, "theme": theme})


def _lines_for_page(lines: list[dict[str, Any]], analyst: bool) -> list[dict[str, Any]]:
    """The cell's lines in words; a viewer sees where a line from payments
    comes from only as 'its payments' (its source names the rows' count)."""
    out = []
    for x in lines:
        own = x["method"] != "transactions" or analyst
        out.append({
            "method": method_label(str(x["method"])),
            "tier": tier_label(str(x["tier"])),
            "key": key_label(str(x["key"])) if x.get("key") else "",
            "key_year": x.get("key_year", ""),
            "source": x.get("source", "") if own else "its payments in the year",
            "basis": x.get("basis", ""),
            "flags": list(x.get("flags", ())) if own else [],
            "pence": int(x["pence"]),
        })  # fmt: skip
    return out


def _page(site: Site, request: Request, user: User, context: dict[str, Any]) -> Response:
    params = request.query_params
    agency, theme = params.get("agency", ""), params.get("theme", "")
    title = f"Drill-down: {theme_label(theme)} / {agency}" if agency and theme else "Drill-down"
    base = {"title": title, "agency": agency, "theme": theme, **context}
    if not agency or not theme:
        return site.page("drill.html", 422, notice="Open a cell from the Overview or a theme "
                         "page: the address needs ?agency=...&theme=...", **base)  # fmt: skip
    cache = site_cache(site)
    try:
        count = cache.count.derived("place_count", place_count)
    except NoCount as exc:
        return site.page("drill.html", notice=str(exc), **base)
    name, nearest = agency_in_count(site.ws, count, agency, cache.spend.registry())
    lines = [x.to_dict() for x in count.lines if x.agency == name and x.theme == theme]
    if not lines:
        return site.page(
            "drill.html",
            404,
            notice=f"The count has no line for {agency} and {theme_label(theme)}.",
            nearest=[{"name": n, "href": drill_href(n, theme)} for n in nearest],
            **base,
        )
    analyst = user.may("analyst")
    base.update(
        agency=name,
        theme_name=theme_label(theme),
        theme_href=f"/themes/{theme}",
        cell_pence=sum(int(x["pence"]) for x in lines),
        lines=_lines_for_page(lines, analyst),
        top_down=any(x["method"] == "apportioned" for x in lines),
        analyst=analyst,
        payments=sum(int(x["pence"]) for x in lines if x["method"] == "transactions"),
        has_payments=any(x["method"] == "transactions" for x in lines),
    )
    if not analyst or not base["has_payments"]:
        return site.page("drill.html", **base)
    try:
        return _rows_page(site, request, count, name, theme, base)
    except ApiError as exc:
        if exc.type != "QueryTimeLimit":
            raise
        return site.page("drill.html", exc.status_code, rows_notice=str(exc.detail), **base)


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        value = default
    return min(max(value, low), high)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _rows_page(
    site: Site,
    request: Request,
    count: PlaceCount,
    agency: str,
    theme: str,
    base: dict[str, Any],
) -> Response:
    """The analyst's part of the page: the cell's rows, one page, with the
    filter form, sortable headings, paging and the CSV link.  An address a
    person edited by hand (a limit out of range, a date that is not one) is
    read as the nearest thing that is, not refused."""
    p = request.query_params
    sort = str(p.get("sort")) if p.get("sort") in ROW_SORTS else "amount"
    order = p.get("order") if p.get("order") in ("asc", "desc") else None
    supplier = (p.get("supplier") or "")[:200]
    limit = _int(p.get("limit"), PAGE_ROWS, 1, 1000)
    offset = _int(p.get("offset"), 0, 0, MAX_DEPTH - limit)
    date_from, date_to = _day(p.get("date_from")), _day(p.get("date_to"))
    query = row_query(sort, order, supplier, date_from, date_to)
    found = cell_rows(site, agency, theme, query, limit, offset, count)
    order = "desc" if query.descending else "asc"
    keep = {"agency": agency, "theme": theme, "sort": sort, "order": order,
            "supplier": query.supplier, "date_from": date_from, "date_to": date_to}  # fmt: skip
    here = {**keep, "limit": limit if limit != PAGE_ROWS else None}
    columns = []
    for label, key, money in _COLUMNS:
        flip = "asc" if key == sort and order == "desc" else "desc"
        if key != sort:
            flip = "desc" if key == "amount" else "asc"
        columns.append({
            "label": label, "money": money,
            "href": _href("/drill", {**here, "sort": key, "order": flip}) if key else "",
            "sorted": ("descending" if order == "desc" else "ascending") if key == sort else "",
        })  # fmt: skip
    shown = found.rows
    next_offset = offset + limit
    reach = min(found.matched_total, MAX_DEPTH)
    return site.page(
        "drill.html",
        **base,
        rows=[_row(r) for r in shown],
        rows_total=found.rows_total,
        rows_pence=found.rows_pence,
        matched_total=found.matched_total,
        matched_pence=found.matched_pence,
        filtered=query.filters(),
        sort=sort,
        order=order,
        sort_words=_SORT_WORDS[sort] + (", reversed" if order != _default_order(sort) else ""),
        supplier=query.supplier,
        date_from=date_from or "",
        date_to=date_to or "",
        columns=columns,
        limit=limit,
        first=offset + 1 if shown else 0,
        last=offset + len(shown),
        prev_href=_href("/drill", {**here, "offset": max(offset - limit, 0)}) if offset else "",
        next_href=_href("/drill", {**here, "offset": next_offset}) if next_offset < reach else "",
        clear_href=_href("/drill", {"agency": agency, "theme": theme}),
        csv_href=_href("/drill/rows.csv", keep),
        csv_cap=CSV_CAP,
    )


def _default_order(sort: str) -> str:
    return "desc" if sort == "amount" else "asc"


def add_routes(app: FastAPI, site: Site) -> None:
    @app.get("/drill", response_class=HTMLResponse, include_in_schema=False)
    def drill(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        user, context = who
        # rendered once per version of the count and of the spend rows, and
        # person asking; a page that timed out (503) is made again
        return site_cache(site).page(
            request, context, lambda: (_page(site, request, user, context), True), spend=True
        )

    @app.get("/drill/rows.csv", include_in_schema=False)
    def drill_csv(
        user: Analyst,
        agency: Annotated[str, Query(min_length=1)],
        theme: Annotated[str, Query(min_length=1)],
        sort: Sort = "amount",
        order: Order = None,
        supplier: Supplier = "",
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> Response:
        query = row_query(sort, order, supplier, date_from, date_to)
        found = cell_rows(site, agency, theme, query, CSV_CAP, 0)
        header = ["file", "line", "paying_body", "supplier", "date", "pence", "pounds",
                  "rule_id", "classified_by"]  # fmt: skip
        rows = [
            [r.path, r.line, r.paying_body, r.supplier or "", r.date, r.pence,
             _pounds_text(r.pence),
             r.rule_id or "", r.classified_by]
            for r in found.rows
        ]  # fmt: skip
        response = csv_response(f"rows-{theme}.csv", header, rows)
        response.headers["X-Rows-Matched"] = str(found.matched_total)
        response.headers["X-Rows-In-File"] = str(len(rows))
        return response

    @app.get(
        "/api/cells/{agency}/{theme}/rows",
        summary="The source rows of one agency and theme, paged, sortable and filterable "
        "(analysts)",
    )
    def api_cell_rows(
        agency: str,
        theme: str,
        user: Analyst,
        limit: Limit = 100,
        offset: Offset = 0,
        sort: Sort = "amount",
        order: Order = None,
        supplier: Supplier = "",
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> dict[str, Any]:
        check_depth(limit, offset)
        query = row_query(sort, order, supplier, date_from, date_to)
        found = cell_rows(site, agency, theme, query, limit, offset)
        return {
            "agency": found.agency,
            "theme": theme,
            "theme_label": theme_label(theme),
            "cell_pence": found.pence,
            # the cell's lines from payments, which the rows add up to
            "transactions_pence": from_payments(found),
            # the rows the pages list (the filter's, or all the cell's)
            "total": found.matched_total,
            "matched_pence": found.matched_pence,
            # every row of the cell, whatever the filter
            "cell_rows": found.rows_total,
            "rows_pence": found.rows_pence,
            "basis": found.basis,
            "sort": query.sort,
            "order": "desc" if query.descending else "asc",
            "supplier": query.supplier,
            "date_from": query.date_from.isoformat() if query.date_from else None,
            "date_to": query.date_to.isoformat() if query.date_to else None,
            "limit": limit,
            "offset": offset,
            "rows": [_row(r) for r in found.rows],
        }


def _pounds_text(pence: int) -> str:
    """Pounds to the penny as text, from integer pence (no float)."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"
