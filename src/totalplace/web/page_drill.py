"""Drill-down: the source rows behind a cell of the count (an agency and a
theme), each with its file and line, read by the same definition of a cell
that the count uses (:func:`totalplace.count.trace.trace`), so the rows shown
add up to the cell's lines from payments.  Analysts only: rows carry
supplier names, some of them people."""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from typing import Any

from fastapi import FastAPI

from totalplace.classify.taxonomy import theme_label
from totalplace.count.trace import trace
from totalplace.web.reports import place_count
from totalplace.web.site import Analyst, ApiError, Limit, Offset, Site, check_depth


def add_routes(app: FastAPI, site: Site) -> None:
    @app.get(
        "/api/cells/{agency}/{theme}/rows",
        summary="The source rows of one agency and theme, largest first, paged (analysts)",
    )
    def api_cell_rows(
        agency: str, theme: str, user: Analyst, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        check_depth(limit, offset)
        count = place_count(site.count_data())
        found = trace(site.ws, count, agency, theme, limit=offset + limit)
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
