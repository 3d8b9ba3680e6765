"""What the dashboard keeps between requests, so that a request does only
the work that depends on it.

Two things are kept, each for as long as the files it was read from stay
the same:

* the count report (``DIR/reports/count.json``) parsed once, with whatever a
  page works out from it alone (the Overview's aggregates, the count's lines);
* the spend rows open on DuckDB (:class:`totalplace.count.trace.Cells`), with
  the organisation registry, so a drill-down reads a cell's rows from the
  files once and then pages through them in memory.

A file's version is its inode, size and modification time (to the
nanosecond): a re-count writes a new count.json and a re-ingest, a
re-classify or a change to ``orgs/`` changes the catalog, the row files, the
classified or resolved rows or the registry's files, so the next request
reads them again, without the server being restarted.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from totalplace.count.trace import Cells
from totalplace.count.transactions import RESOLVED_NAME
from totalplace.orgs import OrgRegistry, org_registry
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.report.count_file import count_path, read_count
from totalplace.workspace import CATALOG_NAME, CLASSIFIED_NAME, Workspace

T = TypeVar("T")
Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    """The version of a file or folder as the file system gives it, or None
    when there is none: a file replaced (written elsewhere and moved in) has
    a new inode, one rewritten in place a new size or time."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class CountCache:
    """The count report parsed once per version of count.json, and what
    pages derive from it alone.  Callers must not change what they are given:
    the next request is given the same objects."""

    def __init__(self, root: Path) -> None:
        self.path = count_path(root)
        self.root = root
        self._lock = threading.Lock()
        self._stamp: Stamp = None
        self._data: dict[str, Any] | None = None
        self._derived: dict[str, Any] = {}

    def version(self) -> Stamp:
        return stamp(self.path)

    def data(self) -> dict[str, Any]:
        """The report (NoCount when there is none, as :func:`read_count`)."""
        return self._current()[1]

    def _current(self) -> tuple[Stamp, dict[str, Any]]:
        now = stamp(self.path)
        with self._lock:
            if self._data is not None and now is not None and now == self._stamp:
                return self._stamp, self._data
        # read outside the lock; the version is taken before reading, so a
        # report rewritten while it is read is read again next time
        data = read_count(self.root)
        with self._lock:
            if now != self._stamp or self._data is None:
                self._stamp, self._data, self._derived = now, data, {}
            return self._stamp, self._data

    def derived(self, name: str, make: Callable[[dict[str, Any]], T]) -> T:
        """``make(report)``, worked out once per version of the report."""
        version, data = self._current()
        with self._lock:
            if version == self._stamp and name in self._derived:
                found: T = self._derived[name]
                return found
        value = make(data)
        with self._lock:
            if version == self._stamp:
                self._derived[name] = value
        return value


class SpendCache:
    """The spend rows of the count's year open on DuckDB, and the
    organisation registry, kept while the workspace's files stay the same."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._lock = threading.Lock()
        self._cells: dict[str, tuple[tuple[Stamp, ...], Cells]] = {}
        self._registry: tuple[tuple[Stamp, ...], OrgRegistry] | None = None

    def _org_stamps(self) -> tuple[Stamp, ...]:
        orgs = self.ws.root / ORGS_DIR
        files = sorted(orgs.glob("*.csv")) if orgs.is_dir() else []
        return (stamp(orgs), *(stamp(p) for p in files))

    def _store_stamps(self) -> tuple[Stamp, ...]:
        """The versions of the files the spend rows are read from: a row file
        is written elsewhere and moved into ``tables/rows``, which changes the
        folder, and every ingest or repair writes the catalog too."""
        root = self.ws.root
        fixed = [
            root / CATALOG_NAME,
            root / (CATALOG_NAME + ".wal"),
            root / CLASSIFIED_NAME,
            root / RESOLVED_NAME,
            root / "tables" / "rows",
        ]
        return (*(stamp(p) for p in fixed), *self._org_stamps())

    def version(self) -> tuple[Stamp, ...]:
        return self._store_stamps()

    def registry(self) -> OrgRegistry:
        """The organisation registry with the workspace's own ``orgs/``."""
        now = self._org_stamps()
        with self._lock:
            if self._registry is not None and self._registry[0] == now:
                return self._registry[1]
        made = org_registry(self.ws.root / ORGS_DIR)
        with self._lock:
            self._registry = (now, made)
        return made

    def cells(self, year: str) -> Cells:
        """The spend rows of ``year``, opened again when a file they are read
        from has changed since they were opened."""
        now = self._store_stamps()
        registry = self.registry()
        with self._lock:
            kept = self._cells.get(year)
            if kept is not None and kept[0] == now:
                return kept[1]
            # the versions taken before opening, so a change while the rows
            # are read shows as a change next time; the old engine is let go,
            # not closed: a request may still be reading a page from it, and
            # it closes when the last one ends
            opened = Cells(self.ws, year, registry)
            self._cells[year] = (now, opened)
            return opened


# Rendered pages a server keeps; the least recently asked for go first.
KEEP_HTML = 256


class Pages:
    """Pages rendered once for the same address, the same person (name, role
    and session) and the same versions of the files they were made from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], tuple[int, bytes]] = OrderedDict()

    def get(self, key: tuple[Any, ...], make: Callable[[], tuple[Response, bool]]) -> Response:
        """The page kept under ``key``, or ``make()``'s, kept when it says so
        and it is a 200 (a page saying a figure is still being worked out is
        made again next time)."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
        if found is not None:
            return HTMLResponse(found[1], found[0])
        response, keep = make()
        if keep and response.status_code == 200 and isinstance(response.body, bytes):
            with self._lock:
                self._kept[key] = (response.status_code, response.body)
                while len(self._kept) > KEEP_HTML:
                    self._kept.popitem(last=False)
        return response


class SiteCache:
    """Everything the dashboard of one workspace keeps between requests."""

    def __init__(self, ws: Workspace) -> None:
        self.count = CountCache(ws.root)
        self.spend = SpendCache(ws)
        self.pages = Pages()

    def page(
        self,
        request: Request,
        context: dict[str, Any],
        make: Callable[[], tuple[Response, bool]],
        spend: bool = False,
    ) -> Response:
        """A page made by ``make`` from the count (and with ``spend`` from
        the spend rows too), made again when either changes or when someone
        else asks for it."""
        user = context.get("user")
        key = (
            request.url.path,
            request.url.query,
            getattr(user, "name", None),
            getattr(user, "role", None),
            context.get("login_required"),
            context.get("csrf_token"),
            self.count.version(),
            self.spend.version() if spend else None,
        )
        return self.pages.get(key, make)


_SITES: weakref.WeakKeyDictionary[Any, SiteCache] = weakref.WeakKeyDictionary()
_SITES_LOCK = threading.Lock()


def site_cache(site: Any) -> SiteCache:
    """The cache of a dashboard (a :class:`totalplace.web.site.Site`), made
    on first use and let go with the site."""
    with _SITES_LOCK:
        found = _SITES.get(site)
        if found is None:
            found = _SITES[site] = SiteCache(site.ws)
        return found
