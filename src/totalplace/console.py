"""The terminal's two consoles and the one error shape of every command, for
the main command line (:mod:`totalplace.cli`) and the groups it takes in from
other packages (``totalplace network``), so a group never imports the command
line that imports it."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.text import Text

from totalplace.errors import TotalPlaceError

USAGE_EXIT = 2

# Wide when writing to a file or pipe, so tables and messages are not cut at 80.
# Markup is off: names, paths and messages hold square brackets ("a [columns]
# table", "[b]x.csv") that must print as written; styles are given as Text.
# Emoji codes are off too: a name holding ":x:" prints as ":x:", not as a symbol.
out = Console(markup=False, emoji=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, markup=False, emoji=False, width=None if sys.stderr.isatty() else 200)


def fail(exc: TotalPlaceError, as_json: bool = False) -> typer.Exit:
    """A usage error: on stderr, or with --json as ``{"error": {type, message}}`` on stdout."""
    if as_json:
        print(json.dumps({"error": {"type": type(exc).__name__, "message": str(exc)}}, indent=2))
    else:
        err.print(Text("error:", style="bold red"), str(exc), highlight=False, soft_wrap=True)
    return typer.Exit(USAGE_EXIT)


def who() -> str:
    """Who makes a change from the command line: the account running it."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
