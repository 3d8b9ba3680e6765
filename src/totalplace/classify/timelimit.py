"""A time limit on the rules' query, per engine.

Patterns that could backtrack for minutes are refused when the rules load
(:func:`totalplace.classify.rules.regex_problem`), but a slow pattern can
still slip through on some data, and Spark's Java matcher has no time limit
of its own.  So the query runs under a watchdog: past the limit it is
cancelled on its engine (DuckDB's interrupt, Spark's cancelAllJobs) and
classification fails with a message naming the limit and ``--time-limit``,
instead of running on for hours.  Nothing is written: classified.parquet is
replaced only by a finished run.

The limit in force is carried by a context variable (:func:`applied`), so the
command sets it once and the query deep inside classification reads it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from totalplace.errors import ConfigError

# Seconds the rules' query may run on each engine: far above what the shared
# files take (seconds on DuckDB), with Spark's start-up and shuffles allowed for.
DEFAULT_SECONDS = {"duckdb": 600.0, "spark": 1800.0}

_LIMIT: ContextVar[float | None] = ContextVar("classify_time_limit", default=None)


@contextlib.contextmanager
def applied(seconds: float | None) -> Iterator[None]:
    """Classify under ``seconds`` (None: each engine's default)."""
    if seconds is not None and not seconds > 0:
        raise ConfigError(f"--time-limit {seconds:g} must be a number of seconds above 0")
    token = _LIMIT.set(seconds)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def limit_for(engine: str) -> float:
    chosen = _LIMIT.get()
    return chosen if chosen is not None else DEFAULT_SECONDS.get(engine, DEFAULT_SECONDS["spark"])


@contextlib.contextmanager
def watched(backend: Any, engine: str) -> Iterator[None]:
    """Run the block, cancelling ``backend``'s query once the limit passes; then
    raise a ConfigError naming the limit (whatever the cancelled query raised)."""
    seconds = limit_for(engine)
    fired, done = threading.Event(), threading.Event()

    def watchdog() -> None:
        if done.wait(seconds):
            return
        fired.set()
        # a cancel reaches only a query already running, so it is repeated each
        # second until the block ends (a query may start just after the limit)
        while not done.is_set():
            _cancel(backend)
            done.wait(1.0)

    thread = threading.Thread(target=watchdog, daemon=True)
    thread.start()
    try:
        yield
    except Exception as exc:
        if fired.is_set():
            raise _over(engine, seconds) from exc
        raise
    finally:
        done.set()
        thread.join()
    if fired.is_set():
        raise _over(engine, seconds)


def _cancel(backend: Any) -> None:
    session = getattr(backend, "session", None)
    if session is not None:  # Spark
        session.sparkContext.cancelAllJobs()
        return
    con = getattr(getattr(backend, "con", None), "con", None)  # Ibis's DuckDB connection
    if con is not None:
        con.interrupt()


def _over(engine: str, seconds: float) -> ConfigError:
    return ConfigError(
        f"classification ran past its time limit of {seconds:g} seconds on {engine} and was "
        "stopped; nothing was written. A rule pattern may be slow on these rows (try the "
        "rules in DIR/rules/ one file at a time), or the workspace is larger than the limit "
        "allows: raise it with classify --time-limit SECONDS."
    )
