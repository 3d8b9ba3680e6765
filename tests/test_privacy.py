"""Disclosure control: keyed pseudonyms, primary and secondary suppression, the audit log."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from totalplace.errors import ConfigError
from totalplace.families.audit import audit_path, read_audit, record_view
from totalplace.families.privacy import (
    Line,
    key_path,
    protect,
    pseudonym,
    suppress,
    workspace_key,
)


def test_key_is_made_once_readable_by_the_owner_alone(tmp_path: Path) -> None:
    key = workspace_key(tmp_path)
    assert len(key) == 32
    assert stat.S_IMODE(key_path(tmp_path).stat().st_mode) == 0o600
    assert workspace_key(tmp_path) == key


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    workspace_key(tmp_path)
    key_path(tmp_path).chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        workspace_key(tmp_path)


def test_pseudonym_depends_on_the_key_and_never_shows_the_identifier() -> None:
    a, b = b"a" * 32, b"b" * 32
    assert pseudonym(a, "person", "9434765919") == pseudonym(a, "person", "9434765919")
    assert pseudonym(a, "person", "9434765919") != pseudonym(b, "person", "9434765919")
    assert pseudonym(a, "person", "1") != pseudonym(a, "family", "1")
    shown = pseudonym(a, "person", "9434765919")
    assert shown.startswith("P-") and "9434765919" not in shown and len(shown) == 18


def test_small_counts_are_withheld_and_zero_is_not() -> None:
    cells = {("police", "2010-11"): 4, ("police", "2011-12"): 0, ("police", "2012-13"): 50}
    assert ("police", "2010-11") in suppress(cells, 10)
    assert ("police", "2011-12") not in suppress({("police", "2011-12"): 0}, 10)


def test_one_withheld_cell_in_a_row_takes_the_next_smallest_with_it() -> None:
    """With the row total shown, 3 = 120 - 50 - 67 would be worked out: so 50 goes too."""
    cells = {("police", "a"): 3, ("police", "b"): 50, ("police", "c"): 67}
    withheld = suppress(cells, 10)
    assert withheld == {("police", "a"), ("police", "b")}


def test_secondary_suppression_reaches_across_rows_and_columns() -> None:
    cells = {
        ("police", "a"): 3, ("police", "b"): 40, ("police", "c"): 60,
        ("schools", "a"): 30, ("schools", "b"): 20, ("schools", "c"): 70,
        ("housing", "a"): 25, ("housing", "b"): 35, ("housing", "c"): 45,
    }  # fmt: skip
    withheld = suppress(cells, 10)
    rows = {r for r, _ in cells}
    cols = {c for _, c in cells}
    for r in rows:
        assert sum((r, c) in withheld for c in cols) != 1
    for c in cols:
        assert sum((r, c) in withheld for r in rows) != 1
    assert ("police", "a") in withheld


def test_a_total_of_one_withheld_cell_is_withheld() -> None:
    """A row whose only part is small: its total is that part, so it goes too."""
    cells = {"police 2010": 3, "police": 3, "schools 2010": 40, "schools": 40, "all": 43}
    lines = [
        Line(("police 2010",), "police"),
        Line(("schools 2010",), "schools"),
        Line(("police", "schools"), "all"),
    ]
    withheld = protect(cells, lines, 10, fixed=["all"])
    assert {"police 2010", "police"} <= withheld
    # and with the grand total shown, the other row goes too, or 43 - 40 = 3
    assert "schools" in withheld or "schools 2010" in withheld


def test_audit_log_appends_one_line_a_view_and_keeps_earlier_ones(tmp_path: Path) -> None:
    record_view(tmp_path, "cara", "caseworker", "/families/F-1", "F-1")
    record_view(tmp_path, "cara", "caseworker", "/journeys/F-2", "F-2")
    entries = read_audit(tmp_path)
    assert [e["subject"] for e in entries] == ["F-1", "F-2"]
    assert set(entries[0]) == {"time", "user", "role", "page", "subject"}
    assert stat.S_IMODE(audit_path(tmp_path).stat().st_mode) == 0o600
    lines = audit_path(tmp_path).read_text().splitlines()
    assert len(lines) == 2
