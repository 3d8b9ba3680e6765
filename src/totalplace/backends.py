"""The engine layer: the two backends every Ibis query runs on, DuckDB and Spark.

A backend supplies two primitives, read Parquet as a table and write a table
to Parquet; classification and the count write their queries once with Ibis
on top of them.  Spark is imported only when asked for, so the core install
works without pyspark (``pip install 'totalplace[spark]'`` adds it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import ibis
import ibis.expr.types as ir

from totalplace.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")
_SPARK_TYPES = {"String": "STRING", "Int64": "BIGINT", "Boolean": "BOOLEAN", "Date": "DATE"}
# Spark is an optional extra: the core install (DuckDB) does not carry pyspark.
SPARK_INSTALL = "pip install 'totalplace[spark]' (pyspark 4.0) and a Java 17 runtime"


class Backend(Protocol):
    def read_parquet(self, paths: Sequence[Path], name: str, schema: ibis.Schema) -> ir.Table:
        """The files as one table with exactly ``schema``'s columns; a column
        a file lacks is null in that file's rows."""

    def write_parquet(self, table: ir.Table, folder: Path) -> None:
        """Write ``table`` as one or more ``*.parquet`` files into ``folder``."""

    def close(self) -> None: ...


class DuckDBBackend:
    def __init__(self) -> None:
        self.con = ibis.duckdb.connect()
        self.con.raw_sql("SET enable_progress_bar = false")

    def read_parquet(self, paths: Sequence[Path], name: str, schema: ibis.Schema) -> ir.Table:
        table = self.con.read_parquet([str(p) for p in paths], table_name=name, union_by_name=True)
        return table.select(
            *(
                table[c].cast(t).name(c) if c in table.columns else ibis.null(t).name(c)
                for c, t in schema.items()
            )
        )

    def write_parquet(self, table: ir.Table, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.con.to_parquet(table, folder / "part-0.parquet")

    def close(self) -> None:
        self.con.disconnect()


class SparkBackend:
    def __init__(self, session: SparkSession, owned: bool) -> None:
        self.session, self.owned = session, owned
        self.con = ibis.pyspark.connect(session)

    def read_parquet(self, paths: Sequence[Path], name: str, schema: ibis.Schema) -> ir.Table:
        # Files store only the columns their layout fills, with integer widths
        # that vary; reading with a declared schema leaves the rest null.
        ddl = ", ".join(f"`{c}` {_SPARK_TYPES[type(t).__name__]}" for c, t in schema.items())
        frame = self.session.read.schema(ddl).parquet(*(str(p) for p in paths))
        frame.createOrReplaceTempView(name)
        return self.con.table(name)

    def write_parquet(self, table: ir.Table, folder: Path) -> None:
        # Written by Spark itself: collecting through Python would go via pandas.
        frame = self.con.raw_sql(self.con.compile(table))
        frame.write.mode("overwrite").parquet(str(folder))

    def close(self) -> None:
        if self.owned:
            self.session.stop()


def spark_session() -> tuple[SparkSession, bool]:
    """The active SparkSession, or a new local one: (session, created here)."""
    check_engine("spark")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ConfigError(
            "--engine spark needs Java 17: no `java` on PATH and JAVA_HOME is not set"
        )
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # stay on loopback: no network
    session = local_spark_builder(SparkSession.builder).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def spark_memory() -> str:
    """The heap of Spark's one JVM in local mode: ``TOTALPLACE_SPARK_MEMORY``
    (as Spark writes it, ``6g``), else a quarter of the machine's memory, from
    1 to 16 GiB.  Spark's own default, 1 GiB, ran out of heap linking 100,000
    person records (the pairs to score are held while they are written)."""
    chosen = os.environ.get("TOTALPLACE_SPARK_MEMORY")
    if chosen:
        return chosen
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2g"
    return f"{min(16, max(1, total // 4 // 1024**3))}g"


def local_spark_builder(builder: Any) -> Any:
    """Spark in local mode on two cores: no UI, no progress bar, loopback only.

    With Splink's string-similarity functions on the class path when Splink is
    installed (a jar inside the splink package; nothing is downloaded): a
    session is made once per process, so the one the count made must also
    serve ``link --engine spark``."""
    try:
        from splink.backends.spark import similarity_jar_location

        builder = builder.config("spark.jars", similarity_jar_location())
    except ImportError:
        pass
    return (
        builder.master("local[2]")
        .appName("totalplace")
        .config("spark.driver.memory", spark_memory())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
    )


def check_engine(engine: str) -> None:
    """Refuse an engine this install cannot run, before any work is done:
    an unknown name, or Spark without pyspark (an optional extra)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                f"--engine spark needs pyspark, which is not installed: {SPARK_INSTALL}"
            ) from exc


def open_backend(engine: str) -> Backend:
    check_engine(engine)
    if engine == "duckdb":
        return DuckDBBackend()
    if engine == "spark":
        session, owned = spark_session()
        return SparkBackend(session, owned)
    raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
