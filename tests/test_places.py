"""The place registry on the shipped tables, and a rebuild of those tables from
the real sources in ../shared/data (skipped when that folder is absent)."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from totalplace.errors import ConfigError
from totalplace.reference.places import (
    KINDS,
    NEAREST_YEAR,
    PRESETS,
    REGIONS,
    SUM_OF_DISTRICTS,
    Registry,
    boundaries_lad13,
    registry,
    resolve_place,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "totalplace" / "reference" / "data" / "places"
SHARED = ROOT.parent / "shared" / "data"
SCRIPT = ROOT / "scripts" / "build_places.py"
BIRMINGHAM, KENT, CUMBRIA = "E08000025", "E10000016", "E10000006"


@pytest.fixture(scope="module")
def reg() -> Registry:
    return registry()


def shipped(name: str) -> list[dict[str, str]]:
    with (SHIPPED / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def current_counties(reg: Registry) -> list[str]:
    return [a.gss for a in reg.authorities(current_only=True) if a.kind == "county"]


# --- presets and resolution ---------------------------------------------------


def test_there_are_13_pilot_presets() -> None:
    assert len(PRESETS) == 13
    assert all(key.startswith("pilot:") for key in PRESETS)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_pilot_preset_resolves_to_current_lowest_tier_units(
    reg: Registry, preset: str
) -> None:
    place = resolve_place(preset)
    assert place.codes == PRESETS[preset].codes
    assert place.units and place.units == tuple(sorted(set(place.units)))
    for unit in place.units:
        authority = reg.get(unit)
        assert authority.current and authority.lowest_tier


def test_county_presets_expand_to_their_districts(reg: Registry) -> None:
    kent = resolve_place("pilot:kent")
    assert len(kent.units) == 12
    assert {reg.get(u).parent_gss for u in kent.units} == {KENT}
    leics = resolve_place("pilot:leicester-leicestershire")
    assert "E06000016" in leics.units and "E10000018" not in leics.units
    assert len(resolve_place("pilot:manchester-warrington").units) == 11


def test_codes_and_names_resolve() -> None:
    assert resolve_place("E08000025").units == (BIRMINGHAM,)
    two = resolve_place("E08000003, E08000001")
    assert two.codes == ("E08000003", "E08000001")
    assert two.units == ("E08000001", "E08000003")
    assert two.name == "Manchester and Bolton"
    assert resolve_place("Birmingham").codes == (BIRMINGHAM,)
    assert resolve_place("e4601").codes == (BIRMINGHAM,)  # MHCLG E-code
    # A name containing a comma is one place, not two.
    assert resolve_place("Bournemouth, Christchurch and Poole").codes == ("E06000058",)


def test_abolished_authority_names_its_successors() -> None:
    with pytest.raises(ConfigError, match=r"abolished.*E06000063.*E06000064"):
        resolve_place(CUMBRIA)
    with pytest.raises(ConfigError, match=r"Bournemouth Borough Council.*E06000058"):
        resolve_place("Bournemouth")


@pytest.mark.parametrize("spec", ["E99999999", "W06000015", "pilot:atlantis", "", "E9999"])
def test_unknown_places_raise_config_error(spec: str) -> None:
    with pytest.raises(ConfigError):
        resolve_place(spec)


# --- the registry -------------------------------------------------------------


def test_birmingham_population_2010_is_the_source_value(reg: Registry) -> None:
    # la_mid_year_population_2010_2024_DERIVED_from_econstack.csv, birmingham, pop_2010
    assert reg.population(BIRMINGHAM, 2010) == (1_061_074, None)


def test_population_outside_the_series_is_flagged_nearest_year(reg: Registry) -> None:
    assert reg.population(BIRMINGHAM, 2008) == (1_061_074, NEAREST_YEAR)
    assert reg.population(BIRMINGHAM, 2030) == (reg.population(BIRMINGHAM, 2024)[0], NEAREST_YEAR)


def test_county_population_is_the_sum_of_its_districts(reg: Registry) -> None:
    counties = current_counties(reg)
    assert len(counties) == 21
    for county in counties:
        for year in range(2010, 2025):
            total, flag = reg.population(county, year)
            assert flag == SUM_OF_DISTRICTS
            assert total == sum(reg.population(u, year)[0] for u in reg.units(county))


def test_region_units_never_include_a_county_with_its_districts(reg: Registry) -> None:
    seen: list[str] = []
    for region in REGIONS:
        units = reg.region_units(region)
        assert units and all(reg.get(u).lowest_tier for u in units)
        seen += units
    lowest = {a.gss for a in reg.authorities(current_only=True) if a.lowest_tier}
    assert sorted(seen) == sorted(lowest)  # each unit in exactly one region
    assert len(lowest) == 296
    assert reg.region_units("yorkshire and the humber") == reg.region_units(REGIONS[2])
    with pytest.raises(ConfigError, match="East of England"):
        reg.region_units("Wessex")


def test_every_authority_has_a_known_kind_and_region(reg: Registry) -> None:
    for a in reg.authorities():
        assert a.kind in KINDS and a.region in REGIONS
        assert a.current == (not a.successor_gss)
    assert reg.get("E07000201").parent_gss == "E10000029"  # Forest Heath in Suffolk
    assert reg.get("E10000007").region == "East Midlands"  # Derbyshire


def test_cumbria_has_two_successors(reg: Registry) -> None:
    assert reg.successors(CUMBRIA) == ("E06000063", "E06000064")
    assert reg.get(CUMBRIA).end_date is not None
    assert reg.get(CUMBRIA).end_date.isoformat() == "2023-03-31"


def test_dorset_and_bcp_predecessors(reg: Registry) -> None:
    dorset_districts = {"E07000049", "E07000050", "E07000051", "E07000052", "E07000053"}
    assert dorset_districts <= set(reg.predecessors("E06000059"))
    assert {"E06000028", "E06000029", "E07000048"} <= set(reg.predecessors("E06000058"))
    for code in dorset_districts:
        assert reg.successors(code) == ("E06000059",)
    # Taunton Deane went to Somerset West and Taunton, then to Somerset.
    assert reg.successors("E07000190") == ("E06000066",)
    assert "E07000190" in reg.predecessors("E06000066")


@pytest.mark.parametrize(
    ("name", "gss"),
    [
        ("City of Bradford Metropolitan District Council", "E08000032"),
        ("Bradford MDC", "E08000032"),
        ("City of Bradford", "E08000032"),
        ("Kingston upon Hull, City of", "E06000010"),
        ("hull city", "E06000010"),
        ("ST. ALBANS", "E07000240"),
        ("Stockton on Tees", "E06000004"),
        ("Durham UA", "E06000047"),
        ("North Yorkshire", "E06000065"),
        ("North Yorkshire County Council", "E10000023"),
    ],
)
def test_find_accepts_name_variants(reg: Registry, name: str, gss: str) -> None:
    assert reg.find(name).gss == gss


def test_every_shipped_alias_finds_its_authority(reg: Registry) -> None:
    rows = shipped("aliases.csv")
    assert len(rows) > 900
    assert all(reg.find(row["alias"]).gss == row["gss"] for row in rows)
    assert "bradford mdc" in reg.get("E08000032").aliases


def test_find_of_an_unknown_name_lists_close_matches(reg: Registry) -> None:
    with pytest.raises(ConfigError, match=r"close matches: .*Birmingham \(E08000025\)"):
        reg.find("Birmingam")
    with pytest.raises(ConfigError, match="no close matches"):
        reg.find("Atlantis")
    for not_a_council in ["London", "", "City of"]:  # a region; nothing; generic words only
        with pytest.raises(ConfigError):
            reg.find(not_a_council)


def test_codes_e_codes_and_former_codes(reg: Registry) -> None:
    assert reg.by_ecode("E4601").gss == BIRMINGHAM
    assert reg.get(BIRMINGHAM).ons_code == "00CN"
    assert reg.get("E08000020").gss == "E08000037"  # Gateshead's code before 2013


def test_imd_uses_the_latest_release(reg: Registry) -> None:
    rows = [r for r in shipped("imd.csv") if r["gss"] == BIRMINGHAM and r["imd_year"] == "2025"]
    assert reg.imd(BIRMINGHAM) == (int(rows[0]["rank"]), float(rows[0]["score"]), 2025)
    allerdale = reg.imd("E07000026")  # abolished 2023: last covered by the 2019 release
    assert allerdale is not None and allerdale[2] == 2019
    assert reg.imd(KENT) is None  # published per district only


def test_pct_over65_is_for_the_latest_year_only(reg: Registry) -> None:
    assert reg.pct_over65(BIRMINGHAM) == (13.0, 2024, None)
    pct, year, flag = reg.pct_over65(KENT)
    assert 10 < pct < 30 and year == 2024 and flag == "weighted-mean-of-districts"


def test_lad13_districts_map_to_current_authorities(reg: Registry) -> None:
    rows = shipped("lad13_to_current.csv")
    assert len(rows) == 326
    assert reg.lad13_to_current("E07000190") == (("E06000066",), "merged-into")
    assert reg.lad13_to_current(BIRMINGHAM) == ((BIRMINGHAM,), "same")
    for row in rows:
        assert all(reg.get(g).current for g in row["gss"].split(";"))
    geometries = boundaries_lad13()["objects"]["lad"]["geometries"]
    assert sorted(g["id"] for g in geometries) == sorted(r["lad13"] for r in rows)
    # each district on the map says which current authorities cover it
    assert {g["id"]: g["properties"]["current"] for g in geometries} == {
        r["lad13"]: r["gss"] for r in rows
    }


def test_shipped_tables_are_small_and_documented() -> None:
    files = sorted(p.name for p in SHIPPED.iterdir() if p.name != "SOURCES.md")
    assert sum(p.stat().st_size for p in SHIPPED.iterdir()) < 1_500_000
    sources = (SHIPPED / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in sources for name in files)
    assert "CC BY 4.0" in sources and "Open Government Licence" in sources


# --- rebuild from the real sources --------------------------------------------


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_places", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shared() -> Path:
    if not (SHARED / "place").is_dir():
        pytest.skip(f"real place data not found at {SHARED / 'place'}")
    return SHARED


@pytest.fixture(scope="module")
def rebuilt(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("places")
    load_script().build(shared, out)
    return out


def test_rebuild_matches_the_shipped_tables(rebuilt: Path) -> None:
    names = sorted(p.name for p in SHIPPED.iterdir())
    assert names == sorted(p.name for p in rebuilt.iterdir())
    for name in names:
        assert (rebuilt / name).read_bytes() == (SHIPPED / name).read_bytes(), name


def test_birmingham_population_matches_the_source_file(shared: Path, reg: Registry) -> None:
    path = shared / "place/population/la_mid_year_population_2010_2024_DERIVED_from_econstack.csv"
    with path.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["gss_code"] == BIRMINGHAM)
    for year in range(2010, 2025):
        assert reg.population(BIRMINGHAM, year)[0] == int(row[f"pop_{year}"])


def test_build_names_a_missing_source(shared: Path, tmp_path: Path) -> None:
    script = load_script()
    with pytest.raises(script.BuildError, match="source file not found"):
        script.build(tmp_path / "nowhere", tmp_path / "out")


# --- places as they were --------------------------------------------------------


def test_cumbria_as_it_was_in_2010_11_is_its_two_successors() -> None:
    place = resolve_place(CUMBRIA, "2010-11")
    assert place.units == ("E06000063", "E06000064")
    assert place.name == "Cumbria"
    assert len(place.as_was) == 1 and "as it was in 2010-11" in place.as_was[0]
    assert resolve_place("Cumbria County Council", "2010-11").units == place.units


def test_an_authority_is_refused_for_a_year_after_it_was_abolished() -> None:
    with pytest.raises(ConfigError, match=r"abolished on 2023-03-31.*E06000063"):
        resolve_place(CUMBRIA, "2023-24")


def test_a_district_merged_into_a_larger_council_cannot_be_counted_alone() -> None:
    # Copeland is one third of Cumberland: the data, on current geography, cannot split it.
    with pytest.raises(ConfigError, match=r"Copeland.*also took in Allerdale and Carlisle"):
        resolve_place("Copeland", "2010-11")


def test_cumbria_2010_11_is_counted_top_down_and_reported_as_it_was() -> None:
    import json

    from typer.testing import CliRunner

    from totalplace.cli import app

    run = CliRunner().invoke(
        app, ["topdown", "--place", CUMBRIA, "--year", "2010-11", "--json", "--no-outturn"]
    )
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["place"]["authorities"] == ["E06000063", "E06000064"]
    assert data["place"]["as_was"] and any("Cumbria (E10000006)" in n for n in data["notes"])
    from totalplace.count.topdown import topdown

    today = topdown(resolve_place("E06000063,E06000064"), "2010-11", use_outturn=False)
    assert data["total_pence"] == today.total_pence


def test_an_abolished_place_refused_with_json_gives_the_error_shape() -> None:
    import json

    from typer.testing import CliRunner

    from totalplace.cli import app

    run = CliRunner().invoke(app, ["topdown", "--place", "Copeland", "--year", "2010-11", "--json"])
    assert run.exit_code == 2
    assert json.loads(run.stdout)["error"]["type"] == "ConfigError"


def test_councils_abolished_in_2009_are_accepted_for_2008_09_by_name() -> None:
    place = resolve_place("Bedfordshire", "2008-09")
    assert place.units == ("E06000055", "E06000056")  # Bedford, Central Bedfordshire
    assert "Bedfordshire (Structural Changes) Order 2008" in place.as_was[0]
    assert resolve_place("Cheshire County Council", "2008-09").units == ("E06000049", "E06000050")
    with pytest.raises(ConfigError, match=r"did not exist in 2009-10.*Cheshire East"):
        resolve_place("Cheshire", "2009-10")
    with pytest.raises(ConfigError, match=r"give a year it existed in"):
        resolve_place("Cheshire")


def test_a_district_abolished_in_2009_cannot_be_counted_alone() -> None:
    with pytest.raises(ConfigError, match=r"Macclesfield.*also took in Congleton"):
        resolve_place("Macclesfield", "2008-09")


def test_the_2009_table_sends_each_county_and_its_districts_to_current_councils(
    reg: Registry,
) -> None:
    from totalplace.reference.places import former_councils

    formers = {f.name: f for f in former_councils().values()}
    counties = {f.name for f in formers.values() if f.kind == "county"}
    assert len(counties) == 7 and len(formers) == 44
    for f in formers.values():
        assert f.successors and all(reg.get(s).current for s in f.successors), f.name
        if f.kind == "district":
            assert f.county in counties
            assert set(f.successors) <= set(formers[f.county].successors), f.name
    for county in counties:
        districts = [f for f in formers.values() if f.county == county]
        covered = {s for f in districts for s in f.successors}
        assert covered == set(formers[county].successors), county


def test_a_workspace_can_be_made_for_cumbria_by_name_for_2010_11(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from totalplace.cli import app
    from totalplace.workspace import Workspace

    run = CliRunner().invoke(
        app, ["init", str(tmp_path / "ws"), "--place", "Cumbria", "--year", "2010-11"]
    )
    assert run.exit_code == 0, run.output
    assert Workspace.open(tmp_path / "ws").config.place == [CUMBRIA]
    late = CliRunner().invoke(
        app, ["init", str(tmp_path / "late"), "--place", "Cumbria", "--year", "2024-25"]
    )
    assert late.exit_code == 2 and "abolished" in late.output
