"""The Spark session's settings that are not Spark's defaults, and why."""

from __future__ import annotations

import pytest

from totalplace.backends import local_spark_builder, spark_memory


class _Builder:
    """Records what a SparkSession.builder is given, starting nothing."""

    def __init__(self) -> None:
        self.settings: dict[str, str] = {}

    def config(self, key: str, value: str) -> _Builder:
        self.settings[key] = value
        return self

    def master(self, value: str) -> _Builder:
        return self.config("master", value)

    def appName(self, value: str) -> _Builder:  # Spark's own name
        return self.config("appName", value)


def test_spark_gets_a_quarter_of_memory_or_what_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark's default heap (1 GiB) ran out linking 100,000 person records."""
    monkeypatch.delenv("TOTALPLACE_SPARK_MEMORY", raising=False)
    given = int(spark_memory().removesuffix("g"))
    assert 1 <= given <= 16
    assert local_spark_builder(_Builder()).settings["spark.driver.memory"] == f"{given}g"
    monkeypatch.setenv("TOTALPLACE_SPARK_MEMORY", "6g")
    assert local_spark_builder(_Builder()).settings["spark.driver.memory"] == "6g"
    settings = local_spark_builder(_Builder()).settings
    assert settings["spark.driver.bindAddress"] == "127.0.0.1"  # never listens beyond the machine
