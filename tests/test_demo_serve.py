"""``totalplace demo``: builds the demo (ingest, count, workbook) and then
serves its dashboard until Ctrl-C, as ``make demo`` does; ``--no-serve``
stops after the count, for scripts and tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from totalplace.cli import app as cli
from totalplace.web import serve as serve_mod


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_no_serve_builds_and_counts_the_demo_and_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("--no-serve started a server")

    monkeypatch.setattr(serve_mod, "serve", refuse)
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo"), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "workspace" / "reports" / "count.json").is_file()
    assert "Ctrl-C" not in result.output


def test_a_port_in_use_is_refused_before_the_demo_is_built(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo"), "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"127.0.0.1:{port}" in result.output and "--port" in result.output
    assert not (tmp_path / "demo").exists()  # refused before anything was built


def test_serve_refuses_a_port_out_of_range(tmp_path: Path) -> None:
    from totalplace.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    result = CliRunner().invoke(cli, ["serve", str(ws.root), "--port", "70000", "--json"])
    assert result.exit_code == 2
    assert '"type": "ConfigError"' in result.output and "1 to 65535" in result.output


def test_demo_serves_its_dashboard_until_ctrl_c(tmp_path: Path) -> None:
    """What ``make demo`` ends with: the address printed, the Overview of the
    counted demo served there, and Ctrl-C (SIGINT) stopping it cleanly."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "totalplace", "demo", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        address = f"http://127.0.0.1:{port}/"
        seen: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:  # ends if the process dies before serving
            seen.append(line)
            if address in line and "Ctrl-C" in line:
                break
        else:
            pytest.fail("the demo never printed its address:\n" + "".join(seen[-30:]))
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(address, timeout=10)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert page.status_code == 200
        assert "Northmoor" in page.text  # the counted demo place, not 'no count yet'
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
