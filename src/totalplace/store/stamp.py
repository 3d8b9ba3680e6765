"""Make each table file say what it is, so the catalog can be checked and rebuilt.

Every committed Parquet file carries, in its own key-value metadata under
``totalplace``, the catalog row of the source file it belongs to (file id,
source path, publisher, rows and pence read, loaded and quarantined) and
which table it is.  A catalog that is lost can then be rebuilt from the
table files alone, and a table file put in another's place names the source
it really holds.

The metadata is written into the file's footer after the data is written:
a Parquet file is its data pages, then a footer (Thrift compact encoding)
with the key-value pairs in field 5, then the footer's length and ``PAR1``.
Only the footer is rewritten, so stamping costs the same for a file of ten
rows as for one of ten million; the data pages are not touched, and the
result is read back and compared before it is used.  Should the footer be
one this code does not understand, the file is rewritten whole by DuckDB
instead (slower, same result).
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from totalplace import duck

KEY = "totalplace"
# The stamp's own format, should it ever change.
STAMP_VERSION = 1
_MAGIC = b"PAR1"
_HASH_CHUNK = 8 * 1024 * 1024


class _Footer:
    """Just enough of the Thrift compact protocol to cut a struct into fields."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def skip(self, kind: int) -> None:
        if kind in (1, 2):  # booleans: the value is in the type
            return
        if kind == 3:
            self.pos += 1
        elif kind in (4, 5, 6):
            self.varint()
        elif kind == 7:
            self.pos += 8
        elif kind == 8:
            length = self.varint()  # read before moving on: varint() moves pos
            self.pos += length
        elif kind in (9, 10):
            head = self.byte()
            size, elem = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                if elem in (1, 2):
                    self.pos += 1  # a boolean in a list is one byte
                else:
                    self.skip(elem)
        elif kind == 11:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip(types >> 4)
                    self.skip(types & 0x0F)
        elif kind == 12:
            self.fields()
        elif kind == 13:
            self.pos += 16
        else:
            raise ValueError(f"unknown Thrift type {kind}")

    def fields(self) -> list[tuple[int, int, bytes]]:
        """The fields of the struct at the current position: (id, type, value bytes)."""
        out: list[tuple[int, int, bytes]] = []
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return out
            kind, delta = head & 0x0F, head >> 4
            if delta:
                fid = last + delta
            else:
                raw = self.varint()
                fid = (raw >> 1) ^ -(raw & 1)
            start = self.pos
            self.skip(kind)
            out.append((fid, kind, self.data[start : self.pos]))
            last = fid


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _binary(text: bytes) -> bytes:
    return _varint(len(text)) + text


def _key_values(pairs: dict[str, str]) -> bytes:
    """A Thrift list of KeyValue structs (key: field 1, value: field 2)."""
    n = len(pairs)
    out = bytearray([(n << 4) | 12] if n < 15 else [0xF0 | 12])
    if n >= 15:
        out += _varint(n)
    for key, value in pairs.items():
        out += b"\x18" + _binary(key.encode()) + b"\x18" + _binary(value.encode()) + b"\x00"
    return bytes(out)


def _encode(fields: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray()
    last = 0
    for fid, kind, value in fields:
        delta = fid - last
        if 0 < delta <= 15:
            out.append((delta << 4) | kind)
        else:
            out.append(kind)
            out += _varint((fid << 1) ^ (fid >> 63))
        out += value
        last = fid
    out.append(0)
    return bytes(out)


def _restamp_footer(path: Path, pairs: dict[str, str]) -> None:
    """Replace the key-value metadata in the footer of ``path``, in place."""
    with path.open("r+b") as fh:
        fh.seek(-8, 2)
        tail = fh.read(8)
        if tail[4:] != _MAGIC:
            raise ValueError("not a Parquet file")
        length = struct.unpack("<I", tail[:4])[0]
        end = fh.seek(0, 2)
        start = end - 8 - length
        fh.seek(start)
        reader = _Footer(fh.read(length))
        fields = [f for f in reader.fields() if f[0] != 5]
        fields.append((5, 9, _key_values(pairs)))
        footer = _encode(sorted(fields))
        fh.seek(start)
        fh.write(footer + struct.pack("<I", len(footer)) + _MAGIC)
        fh.truncate()


def stamp(path: Path, table: str, file_row: dict[str, Any]) -> None:
    """Write ``file_row`` (the source's catalog row) and ``table`` into the
    Parquet metadata of ``path``, keeping any key-value pairs already there."""
    value = json.dumps(
        {"version": STAMP_VERSION, "table": table, "file": file_row},
        default=str,
        sort_keys=True,
    )
    before = pq.read_metadata(path)
    pairs = {k.decode(): v.decode() for k, v in (before.metadata or {}).items()}
    pairs[KEY] = value
    with path.open("rb") as fh:
        fh.seek(-(before.serialized_size + 8), 2)
        original = fh.read()
    try:
        _restamp_footer(path, pairs)
        after = pq.read_metadata(path)
        ok = (
            after.num_rows == before.num_rows
            and after.num_row_groups == before.num_row_groups
            and (after.metadata or {}).get(KEY.encode()) == value.encode()
        )
    except (ValueError, IndexError, OSError) as exc:
        ok = False
        reason: Exception | None = exc
    else:
        reason = None
    if ok:
        return
    _put_back_footer(path, before.serialized_size, original)
    _rewrite(path, value)
    if read_stamp(path) is None:
        raise ValueError(f"could not stamp {path}: {reason}")


def _put_back_footer(path: Path, size: int, original: bytes) -> None:
    """Undo a footer rewrite that did not read back as written."""
    with path.open("r+b") as fh:
        end = fh.seek(0, 2)
        fh.seek(-8, 2)
        length = struct.unpack("<I", fh.read(4))[0]
        fh.seek(end - 8 - length)
        fh.write(original)
        fh.truncate()


def _rewrite(path: Path, value: str) -> None:
    """Stamp by writing the whole file again through DuckDB."""
    tmp = path.with_name(path.name + ".stamp")
    quoted = "'" + value.replace("'", "''") + "'"
    con = duck.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            f"COPY (SELECT * FROM read_parquet($src)) TO $dst "
            f"(FORMAT parquet, KV_METADATA {{{KEY}: {quoted}}})",
            {"src": str(path), "dst": str(tmp)},
        )
    finally:
        con.close()
    tmp.replace(path)


def read_stamp(path: Path) -> dict[str, Any] | None:
    """The stamp of a table file: ``{"version", "table", "file"}``, or None
    when the file is unreadable or carries none."""
    try:
        meta = pq.read_metadata(path).metadata or {}
        raw = meta.get(KEY.encode())
        stamp = json.loads(raw) if raw else None
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("file"), dict):
        return None
    return stamp


def is_parquet(path: Path) -> bool:
    """Whether ``path`` is a whole Parquet file (its footer can be read)."""
    try:
        pq.read_metadata(path)
    except (OSError, ValueError):
        return False
    return True


def checksum(path: Path) -> tuple[int, str]:
    """A file's size in bytes and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
