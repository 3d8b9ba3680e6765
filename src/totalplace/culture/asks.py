"""The asks of central government, grouped by who can grant them.

What the Total Place pilots sent to the ministerial group: for each
department (or other owner), the open barriers with an ask, and the money
at stake, which is the sum of the exact impacts stated.  A barrier whose
impact is not known adds nothing to that sum and is counted apart, so the
figure is never more than the register supports.  Owners are grouped by
the organisation registry's body when it knows the name ("DH" and
"Department of Health" are one department), else by the name as typed.
Resolved and dropped barriers are left out: they are no longer asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from totalplace.culture.barriers import OPEN_STATUSES, Barrier
from totalplace.culture.fields import TYPES
from totalplace.money import display_pounds


def asks_by_department(barriers: Sequence[Barrier]) -> list[dict[str, Any]]:
    """Groups of open asks, central government first, then by money at stake."""
    from totalplace.classify.taxonomy import theme_label

    groups: dict[str, dict[str, Any]] = {}
    for b in barriers:
        if not b.ask or b.status not in OPEN_STATUSES:
            continue
        key = b.owner.body_id or b.owner.typed.casefold()
        group = groups.setdefault(
            key,
            {
                "department": b.owner.shown, "owner_id": b.owner.body_id,
                "central": b.owner.central, "pence": 0, "asks_without_figure": 0,
                "asks": [],
            },
        )  # fmt: skip
        if b.impact_pence is None:
            group["asks_without_figure"] += 1
        else:
            group["pence"] += b.impact_pence
        group["asks"].append(
            {
                "id": b.id, "title": b.title, "ask": b.ask, "status": b.status,
                "type": b.type, "type_label": TYPES[b.type], "theme": b.theme,
                "theme_label": theme_label(b.theme) if b.theme else "",
                "impact_pence": b.impact_pence, "evidence": b.evidence,
            }
        )  # fmt: skip
    out = sorted(groups.values(), key=lambda g: (not g["central"], -g["pence"], g["department"]))
    for g in out:
        g["asks"].sort(key=lambda a: (-(a["impact_pence"] or 0), a["id"]))
    return out


def asks_markdown(groups: list[dict[str, Any]], place: str = "") -> str:
    """The asks as a note to a ministerial group, in Markdown."""
    total = sum(g["pence"] for g in groups)
    n = sum(len(g["asks"]) for g in groups)
    lines = [
        f"# Asks of central government{f' from {place}' if place else ''}",
        "",
        f"{plural(n, 'open ask')} to {plural(len(groups), 'owner')}; {display_pounds(total)} "
        "at stake where the impact is known.",
    ]
    for g in groups:
        unknown = g["asks_without_figure"]
        lines += [
            "",
            f"## {_md(g['department'])}: {display_pounds(g['pence'])} at stake"
            + (f" ({unknown} without a figure)" if unknown else ""),
            "",
        ]
        for a in g["asks"]:
            money = (
                display_pounds(a["impact_pence"])
                if a["impact_pence"] is not None
                else ("impact not known")
            )
            theme = f", {a['theme_label']}" if a["theme_label"] else ""
            lines.append(
                f"- **{_md(a['title'])}** ({a['id']}, {a['type_label']}{theme}, {a['status']}, "
                f"{money}): {_md(a['ask'])}"
            )
            if a["evidence"]:
                lines.append(f"  Evidence: {_md(a['evidence'])}")
    return "\n".join(lines) + "\n"


def plural(n: int, word: str) -> str:
    """``1 open ask``, ``2 open asks``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _md(text: str) -> str:
    """Text with Markdown's markup characters escaped, on one line."""
    out = " ".join(text.split())
    for ch in "\\`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out
