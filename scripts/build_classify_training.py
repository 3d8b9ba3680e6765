"""Build the shipped training labels of the classifier's learned fallback.

    .venv/bin/python scripts/build_classify_training.py [--shared PATH] [--out FILE]
        [--workspace DIR]

Ingests every folder of ``PATH/spend`` (PATH defaults to
``<project>/../shared/data``; publisher names as tests/test_real_spend.py gives
them) into a temporary workspace, classifies every row with the shipped rules
alone, and writes ``src/totalplace/data/vocab/training_labels.csv.gz`` (or
FILE): one line per publisher, label combination (the model's label fields
and supplier name, joined as the model joins them) and theme, with the number
of rows, for rows a rule that is not a catch-all gave a theme and that are not
pass-through.  A payee ingest flags as a private individual or as redacted
is left blank: no person's name ships with the project.  Sorted and
gzip-written with a fixed timestamp, so the same data gives the same bytes.
``--workspace DIR`` classifies a workspace that already holds those files
(as ``benchmarks/classify_lopo.py --workspace DIR`` leaves it) instead of
ingesting them again.
The fallback learns from these when a workspace holds too few rule-classified
rows of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))
sys.path.insert(0, str(PROJECT))

# publisher names given on ingest for folders whose files name none
from tests.test_real_spend import PUBLISHERS  # noqa: E402

from totalplace.classify import load_rules  # noqa: E402
from totalplace.classify.model import TRAINING_COLUMNS, key_sql  # noqa: E402
from totalplace.classify.query import classify_rows  # noqa: E402
from totalplace.ingest import ingest_files  # noqa: E402
from totalplace.workspace import Workspace  # noqa: E402

DEFAULT_OUT = PROJECT / "src" / "totalplace" / "data" / "vocab" / "training_labels.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workspace", type=Path, help="a workspace already holding the files")
    args = parser.parse_args()
    spend = args.shared / "spend"
    if not spend.is_dir():
        sys.exit(f"no spend data at {spend}")
    with contextlib.ExitStack() as stack:
        if args.workspace:
            ws = Workspace.open(args.workspace)
            dest = ws.tmp_dir / "training-classified.parquet"
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            ws = Workspace.create(Path(tmp) / "ws", ["E08000025"], "2010-11")
            dest = None
            for folder in sorted(p for p in spend.iterdir() if p.is_dir()):
                files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".zip"))
                if not ingest_files(ws, files, publisher=PUBLISHERS.get(folder.name)).ok:
                    sys.exit(f"{folder}: not every file loaded")
        path, _ = classify_rows(ws, load_rules(), dest=dest)
        with ws.connect() as con:
            rows = con.execute(
                f"""SELECT f.publisher, {key_sql("s")} AS key, c.theme, count(*) AS n
                    FROM (SELECT * REPLACE (CASE WHEN list_has_any(warnings,
                              ['personal-supplier', 'redacted-supplier'])
                              THEN NULL ELSE supplier_name END AS supplier_name)
                          FROM spend) s
                    JOIN files f USING (file_id)
                    JOIN read_parquet(?) c USING (file_id, source_line)
                    WHERE c.theme IS NOT NULL AND NOT c.catch_all AND NOT c.pass_through
                    GROUP BY ALL ORDER BY 1, 2, 3""",
                [str(path)],
            ).fetchall()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(TRAINING_COLUMNS)
    writer.writerows(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with (
        args.out.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
    ):
        gz.write(text.getvalue().encode("utf-8"))
    print(f"{len(rows):,} label combinations from {len({r[0] for r in rows})} publishers")


if __name__ == "__main__":
    main()
