"""A network of places (Total Place #2): several places' workspaces that share
one versioned method, compared side by side, with a shared learning log.

* :mod:`.method`: the method as files, and the hash that names it;
* :mod:`.folder`: the network folder, its members and its changelog;
* :mod:`.propose`: a method change shown on every member before adoption;
* :mod:`.compare`: the members side by side, and what recurs across them;
* :mod:`.learning`: what a place tried and what happened.
"""

from __future__ import annotations

from totalplace.network.folder import (
    Network,
    add_member,
    init_network,
    open_network,
)
from totalplace.network.method import method_version

__all__ = ["Network", "add_member", "init_network", "method_version", "open_network"]
