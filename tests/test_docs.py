"""The README documents every setting, role and issue slug, and its quick start
is exactly the two commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from totalplace.config import SETTINGS_HELP
from totalplace.ingest.issues import FILE_WARNINGS, ISSUE_TYPES
from totalplace.ingest.roles import registry

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_exactly_make_demo_and_make_test() -> None:
    section = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).split("\n")[:-1] == ["make demo", "make test"]


@pytest.mark.parametrize("setting", sorted(SETTINGS_HELP))
def test_every_setting_is_documented(setting: str) -> None:
    assert f"| `{setting}` |" in README


@pytest.mark.parametrize("slug", sorted(ISSUE_TYPES))
def test_every_issue_slug_is_documented(slug: str) -> None:
    severity = ISSUE_TYPES[slug].severity
    assert f"| `{slug}` | {severity} |" in README


@pytest.mark.parametrize("slug", sorted(FILE_WARNINGS))
def test_every_file_warning_is_documented(slug: str) -> None:
    assert f"| `{slug}` | file |" in README


@pytest.mark.parametrize("role", sorted(registry()))
def test_every_role_is_documented(role: str) -> None:
    assert f"| `{role}` |" in README


def test_every_setting_has_help_text() -> None:
    assert all(SETTINGS_HELP.values())


@pytest.mark.parametrize(
    "command",
    [
        "init",
        "ingest",
        "check",
        "remove",
        "demo",
        "topdown",
        "classify",
        "resolve",
        "count",
        "trace",
        "case",
    ],
)
def test_every_command_in_the_tour_has_help(command: str) -> None:
    assert f"`totalplace {command}" in README
    out = subprocess.run(
        [sys.executable, "-m", "totalplace", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Usage" in out.stdout


def test_python_examples_in_the_readme_run(tmp_path: Path) -> None:
    """Each ```python block runs (the store example against a fresh demo)."""
    from totalplace.demo import run_demo

    run_demo(tmp_path / "demo")
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        code = block.replace('Path("demo/workspace")', f'Path("{tmp_path}/demo/workspace")')
        exec(compile(code, "README.md", "exec"), {})
