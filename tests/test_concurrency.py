"""Commands run at once against one workspace, as real processes, never lose or
corrupt what is stored.

Each round starts, a fraction of a second apart, two ingests of the same file
(issue 12: the second used to crash and delete the first's committed Parquet),
an ingest of another file and a ``check`` (which used to delete a running
ingest's staged files), then checks the store against an independent count:
the pence of every row, summed here from the values written into the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from totalplace.workspace import Workspace

ROUNDS = int(os.environ.get("TOTALPLACE_CONCURRENCY_ROUNDS", "3"))
ROWS = 5_000
HEADER = "Body Name,Payment Date,Amount,Supplier Name\n"
CLI = [sys.executable, "-m", "totalplace"]


def _spend(path: Path, rows: int, seed: int) -> int:
    """Write a spend file and return its pence, summed from the values written."""
    rng = random.Random(seed)
    total = 0
    lines = [HEADER]
    for i in range(rows):
        pence = rng.randrange(50_000, 10_000_000)
        total += pence
        day = 1 + i % 28
        lines.append(
            f"Concurrency Test Council,{day:02d}/0{1 + i % 9}/2010,"
            f"{pence // 100}.{pence % 100:02d},Supplier {rng.randrange(500)}\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return total


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, object], str]:
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err[-2000:]
    return proc.returncode, json.loads(out) if out.strip() else {}, err


def _stored(ws: Workspace) -> dict[str, tuple[int, int]]:
    """Rows and pence loaded per file, read from the table files."""
    with ws.connect() as con:
        return {
            str(f): (int(n), int(p))
            for f, n, p in con.sql(
                "SELECT file_id, count(*), sum(amount_pence) FROM spend GROUP BY 1"
            ).fetchall()
        }


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux")
def test_two_ingests_and_a_check_at_once_keep_the_store_whole(tmp_path: Path) -> None:
    rng = random.Random(12)
    for round_no in range(ROUNDS):
        root = tmp_path / f"ws{round_no}"
        ws = Workspace.create(root, ["E08000025"], "2010-11")
        same, other = tmp_path / f"same{round_no}.csv", tmp_path / f"other{round_no}.csv"
        same_pence = _spend(same, ROWS, 2 * round_no)
        other_pence = _spend(other, ROWS // 2, 2 * round_no + 1)
        expected = {(_sha(same), same_pence), (_sha(other), other_pence)}
        procs = [_start("ingest", str(root), str(same), "--json")]
        for args in (
            ("ingest", str(root), str(same), "--json"),
            ("ingest", str(root), str(other), "--json"),
            ("check", str(root), "--json"),
        ):
            time.sleep(rng.uniform(0.0, 0.4))
            procs.append(_start(*args))
        results = [_finish(p) for p in procs]

        statuses = [
            [str(f["status"]) for f in r[1]["files"]]  # type: ignore[index, union-attr]
            for r in results[:3]
        ]
        assert [r[0] for r in results[:3]] == [0, 0, 0], [r[2][-500:] for r in results]
        assert sorted(statuses[0] + statuses[1]) == ["duplicate", "loaded"], statuses
        assert statuses[2] == ["loaded"]
        code, checked, err = results[3]
        assert code == 0, err[-500:]  # a reader is never turned away, and deletes nothing
        assert checked["store"]["ok"]  # type: ignore[index]

        ws = Workspace.open(root)
        stored = _stored(ws)
        assert {(fid, p) for fid, (_, p) in stored.items()} == expected
        assert sorted(n for n, _ in stored.values()) == [ROWS // 2, ROWS]
        assert ws.check_tables(verify=True).ok
        loads = [e["file_id"] for e in ws.history() if e["action"] == "loaded"]
        assert sorted(loads) == sorted(fid for fid, _ in expected)
        assert list((root / "staging").iterdir()) == []  # every command cleaned up after itself


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux")
def test_a_file_appended_while_ingested_loads_exactly_the_bytes_it_is_named_by(
    tmp_path: Path,
) -> None:
    # issue 12: rows_read counted appended rows while file_id was the hash of
    # something else, and the finished file later loaded a second time
    root = tmp_path / "ws"
    Workspace.create(root, ["E08000025"], "2010-11")
    src = tmp_path / "growing.csv"
    _spend(src, 200_000, 7)
    original = src.read_bytes()
    appended: list[bytes] = []
    proc = _start("ingest", str(root), str(src), "--json")
    stop = threading.Event()

    def append() -> None:
        with src.open("ab") as fh:
            while not stop.is_set():
                line = b"Concurrency Test Council,01/04/2010,1.00,Late Ltd\n"
                fh.write(line)
                fh.flush()
                appended.append(line)
                time.sleep(0.002)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        code, report, err = _finish(proc)
    finally:
        stop.set()
        writer.join()
    assert code in (0, 1), err[-500:]
    rep = report["files"][0]  # type: ignore[index]
    if rep["status"] == "failed":
        assert "file changed while reading" in rep["message"]
        return
    assert rep["status"] == "loaded"
    # the file id is the hash of a prefix of the file, and that prefix holds
    # exactly the rows read: what was hashed is what was parsed
    digest = hashlib.sha256(original)
    prefixes = {digest.hexdigest(): 0}
    for n, line in enumerate(appended, start=1):
        digest.update(line)
        prefixes[digest.hexdigest()] = n
    assert rep["sha256"] in prefixes
    assert rep["rows_read"] == 200_000 + prefixes[rep["sha256"]]


def test_a_second_thread_waits_for_the_writer_lock_the_first_holds(tmp_path: Path) -> None:
    """The web server writes (barriers, marks) from several threads of one
    process: the lock must keep them apart as it keeps two commands apart."""
    import threading

    from totalplace.store.locking import writer_lock

    got: list[bool] = []
    with writer_lock(tmp_path, wait=0) as held:
        assert held

        def other() -> None:
            with writer_lock(tmp_path, wait=0.2) as second:
                got.append(second)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        with writer_lock(tmp_path, wait=0) as again:  # this thread re-enters
            assert again
    assert got == [False]
    # once released, another thread takes it
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert got == [False, True]
