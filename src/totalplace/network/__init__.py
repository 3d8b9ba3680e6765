"""A network of places (Total Place #2): several places' workspaces that share
one versioned method, compared side by side, with a shared learning log.

* :mod:`totalplace.method`: the method as files, and the hash that names it
  (below the count, which stamps each count with it);
* :mod:`.folder`: the network folder, its members and its changelog;
* :mod:`.propose`: a method change shown on every member before adoption;
* :mod:`.compare`: the members side by side, and what recurs across them;
* :mod:`.learning`: what a place tried and what happened;
* :mod:`.cli`: the ``totalplace network`` commands.

Nothing is imported here until it is asked for: the command line imports
:mod:`.cli` at start-up, and must not load the store (DuckDB, Arrow) to do so.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Network", "add_member", "init_network", "method_version", "open_network"]

_WHERE = {
    "Network": "totalplace.network.folder",
    "add_member": "totalplace.network.folder",
    "init_network": "totalplace.network.folder",
    "open_network": "totalplace.network.folder",
    "method_version": "totalplace.method",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'totalplace.network' has no attribute {name!r}")
