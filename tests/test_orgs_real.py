"""Resolution on the real spend files: the labelled names come from them, and
``totalplace resolve`` runs on a workspace of a few of them."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

from .conftest import SPEND, TEST_DATA

runner = CliRunner()
LABELLED = TEST_DATA / "labelled_suppliers.csv"
FILES = ("manchester/2010-12.csv", "calderdale/2010-10.csv", "sheffield/2011-01.csv")


def _text(path: Path) -> str:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            raw = b"".join(z.read(n) for n in z.namelist())
    else:
        raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def test_every_labelled_name_occurs_in_its_source_file() -> None:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND}: cannot check the labelled names")
    with LABELLED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts: dict[str, str] = {}
    missing = []
    for row in rows:
        if row["file"] not in texts:
            texts[row["file"]] = _text(SPEND / row["file"])
        if row["name"] not in texts[row["file"]]:
            missing.append((row["name"], row["file"]))
    assert missing == []
    assert len({r["file"].split("/")[0] for r in rows}) >= 10


@pytest.fixture(scope="module")
def real_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    ws = Workspace.create(tmp_path_factory.mktemp("orgs") / "ws", ["E08000003"], "2010-11")
    for name in FILES:
        publisher = "Sheffield City Council" if name.startswith("sheffield") else None
        report = ingest_files(ws, [SPEND / name], publisher=publisher)
        assert report.ok
    return ws.root


def test_resolve_writes_the_table_and_counts(real_ws: Path) -> None:
    result = runner.invoke(app, ["resolve", str(real_ws), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    table = pq.read_table(real_ws / "resolved_suppliers.parquet").to_pylist()
    assert not list(real_ws.glob("*.tmp"))
    assert len(table) == len(data["names"]) == sum(data["counts"].values())
    assert set(table[0]) >= {"name", "body_id", "kind", "confidence", "status", "method"}
    by_name = {r["name"]: r for r in table}
    # paying bodies are resolved too
    assert by_name["Manchester City Council"]["body_id"] == "la-E08000003"
    assert "paying_body" in by_name["Manchester City Council"]["role"]
    assert by_name["Sheffield City Council"]["body_id"] == "la-E08000019"
    pct = by_name["NHS Manchester Primary Care Trust"]
    assert (pct["body_id"], pct["status"]) == ("nhs-5NT", "accepted")
    assert by_name["Calderdale Primary Care Trust"]["kind"] == "nhs_commissioner"
    assert by_name["ENVIRONMENT AGENCY"]["body_id"] == "alb-environment-agency"
    assert by_name["ADT FIRE & SECURITY PLC"]["status"] == "rejected"
    assert {r["status"] for r in table} == {"accepted", "review", "rejected"}
    assert all(r["body_id"] is None for r in table if r["status"] == "rejected")


def test_review_only_lists_only_review_items(real_ws: Path) -> None:
    result = runner.invoke(app, ["resolve", str(real_ws), "--json", "--review-only"])
    assert result.exit_code == 0, result.output
    names = json.loads(result.output)["names"]
    assert names
    assert {n["status"] for n in names} == {"review"}
    text = runner.invoke(app, ["resolve", str(real_ws), "--review-only"])
    assert text.exit_code == 0
    assert "Names to review" in text.output
    assert names[0]["name"][:20] in text.output


def test_a_workspace_alias_file_is_used(real_ws: Path) -> None:
    before = {
        r["name"]: r for r in pq.read_table(real_ws / "resolved_suppliers.parquet").to_pylist()
    }
    assert before["Metro Cars"]["status"] == "rejected"
    orgs = real_ws / "orgs"
    orgs.mkdir(exist_ok=True)
    (orgs / "local.csv").write_text(
        "id,name,kind,aliases,source\n"
        "other-metro-cars,Metro Cars (school transport),other_public,Metro Cars,test\n",
        encoding="utf-8",
    )
    try:
        result = runner.invoke(app, ["resolve", str(real_ws), "--json"])
        assert result.exit_code == 0, result.output
        after = {n["name"]: n for n in json.loads(result.output)["names"]}
        assert (after["Metro Cars"]["body_id"], after["Metro Cars"]["status"]) == (
            "other-metro-cars",
            "accepted",
        )
    finally:
        (orgs / "local.csv").unlink()


def test_evaluate_option_matches_the_library() -> None:
    result = runner.invoke(app, ["resolve", "--evaluate", str(LABELLED), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["precision"] >= 0.95
    assert data["tp"] + data["fn"] == data["public"]
    plain = runner.invoke(app, ["resolve", "--evaluate", str(LABELLED)])
    assert f"precision {data['precision']:.3f}" in plain.output


def test_resolve_needs_a_workspace_or_a_labelled_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["resolve"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["resolve", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "not a workspace" in result.output
