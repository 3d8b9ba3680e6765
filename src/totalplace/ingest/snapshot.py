"""Read each source file once: the bytes hashed are the bytes parsed.

A source file is copied into the command's own staging folder before
anything else reads it, and everything after (the SHA-256 that becomes its
``file_id``, the encoding scan, the parse) reads the copy.  The copy is taken
in one pass; if the file's size or modification time moved while it was
copied (a download still running, a file being appended to), the file fails
with "file changed while reading" and nothing of it is loaded.  Once copied,
changes to the original cannot reach the load: the rows loaded and the hash
that names them always come from the same bytes, so the same content loaded
later is recognised as a duplicate, and different content never is.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from totalplace.errors import SourceError

CHUNK = 8 * 1024 * 1024
T = TypeVar("T")


def _copy_chunks(src: IO[bytes], out: IO[bytes]) -> int:
    """Copy ``src`` to ``out``; the number of bytes copied."""
    copied = 0
    while chunk := src.read(CHUNK):
        out.write(chunk)
        copied += len(chunk)
    return copied


def snapshot(path: Path, folder: Path) -> Path:
    """A private copy of ``path`` under ``folder`` with the same file name, or
    SourceError when the file changed while it was copied."""
    dest = folder / f"source-{uuid.uuid4().hex[:12]}" / path.name
    dest.parent.mkdir(parents=True)
    with path.open("rb") as src:
        before = os.fstat(src.fileno())
        with dest.open("wb") as out:
            copied = _copy_chunks(src, out)
        after = os.fstat(src.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
        copied != after.st_size
    ):
        dest.unlink(missing_ok=True)
        dest.parent.rmdir()
        raise SourceError(
            str(path),
            f"file changed while reading: it was {before.st_size:,} bytes when reading began, "
            f"{after.st_size:,} bytes ({copied:,} read) when it ended. Nothing of it was "
            "loaded. Ingest it again once it is complete (a download or export still running?).",
        )
    return dest


def read_once(
    prepare: Callable[..., Iterator[T]], path: Any, tmp_dir: Path, *args: Any
) -> Iterator[T]:
    """``prepare(path, tmp_dir, *args)`` over a snapshot of ``path`` (a file),
    each source's ``display_path`` naming the original again.  Anything that
    is not a file (a folder, a missing path, an input already skipped) is
    passed to ``prepare`` as it is, which reports it."""
    if not isinstance(path, Path) or not path.is_file():
        yield from prepare(path, tmp_dir, *args)
        return
    copy = snapshot(path, tmp_dir)
    try:
        for src in prepare(copy, tmp_dir, *args):
            yield _named_as(src, str(copy), str(path))
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def _named_as(src: T, copy: str, original: str) -> T:
    shown = getattr(src, "display_path", None)
    if isinstance(shown, str) and shown.startswith(copy) and dataclasses.is_dataclass(src):
        return dataclasses.replace(src, display_path=original + shown[len(copy) :])  # type: ignore[type-var]
    return src
