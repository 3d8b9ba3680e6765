"""Reading a user's TOML file, with errors that name the file and say what it was for."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from totalplace.errors import ConfigError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The parsed file; ConfigError naming ``path`` and ``what`` it holds when it
    cannot be read or is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
