"""totalplace.toml is read strictly: a typo or an impossible value is an error
naming the key, never a setting silently ignored."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.config import CONFIG_NAME, WorkspaceConfig
from totalplace.errors import ConfigError
from totalplace.workspace import Workspace


def config_file(tmp_path: Path, **changes: object) -> Path:
    """A workspace's totalplace.toml with keys set (or added) as given."""
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    path = ws.root / CONFIG_NAME
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_misspelt_key_is_rejected_naming_it_and_the_allowed_keys(tmp_path: Path) -> None:
    path = config_file(tmp_path, plase=["E08000003"])
    with pytest.raises(ConfigError) as err:
        WorkspaceConfig.from_file(path)
    message = str(err.value)
    assert "unknown key 'plase' (did you mean 'place'?)" in message
    assert "the allowed keys are format_version, place, year, name, disclosure_threshold" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("disclosure_threshold", -5), ("format_version", 0)],
)
def test_out_of_range_value_is_rejected_naming_the_key(
    tmp_path: Path, key: str, value: int
) -> None:
    path = config_file(tmp_path, **{key: value})
    with pytest.raises(ConfigError, match=rf"{key}: Input should be greater than or equal to"):
        WorkspaceConfig.from_file(path)


def test_unknown_key_in_a_source_entry_is_rejected(tmp_path: Path) -> None:
    source = {"path": "a.csv", "sha256": "00", "publisher": "X", "publsher": "Y"}
    path = config_file(tmp_path, sources=[source])
    with pytest.raises(ConfigError, match=r"unknown key 'sources\[0\]\.publsher'"):
        WorkspaceConfig.from_file(path)


def test_every_key_the_code_writes_is_accepted(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11", "A study")
    text = (ws.root / CONFIG_NAME).read_text(encoding="utf-8")
    assert WorkspaceConfig.from_file(ws.root / CONFIG_NAME).to_toml() == text
    path = config_file(tmp_path / "again", gross=["Trafford Council"], disclosure_threshold=0)
    assert WorkspaceConfig.from_file(path).disclosure_threshold == 0


def test_a_command_on_a_bad_config_exits_2_with_the_error_shape(tmp_path: Path) -> None:
    path = config_file(tmp_path, disclosure_threshold=-5)
    result = CliRunner().invoke(app, ["check", str(path.parent), "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError"
    assert "disclosure_threshold" in error["message"]
