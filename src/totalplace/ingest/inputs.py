"""What ingest is given, before any file is read: folders expanded to the spend
files under them, zip archives unpacked member by member, and every input not
read reported with the reason (a :class:`Skipped`), never passed over in silence.

A folder is walked in name order; hidden files, files of other types and the
workspace's own files are left out, and a link to a sub-folder is followed
only when it resolves inside the folder given.  A zip is read like a folder;
a member whose name points outside the archive, holds control characters, is
encrypted or is a zip nested past :data:`MAX_ZIP_DEPTH` is reported, and
members are written out under names of ingest's own, so no member name can
place a file anywhere.  Everything unzipped from one path counts against
:data:`MAX_ARCHIVE_BYTES`, so a zip bomb stops before it fills the disk.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from totalplace.errors import SourceError

CHUNK = 8 * 1024 * 1024
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
SPEND_SUFFIXES = (*TEXT_SUFFIXES, *XLSX_SUFFIXES, ".zip")
ACCEPTED = ", ".join(SPEND_SUFFIXES)
# Unzipped bytes allowed from one path named to ingest (--max-archive-size raises it),
# and how many zips inside a zip are opened.
MAX_ARCHIVE_BYTES = 2 * 1024**3
MAX_ZIP_DEPTH = 3


@dataclass(frozen=True)
class Skipped:
    """An input that is not read, listed in the ingest report with the reason
    and never loaded: a workbook sheet holding no payments (notes, a pivot
    table, a chart), a zip member whose name points outside the archive or
    that is nested too deep, a link to a folder or file outside the folder given."""

    display_path: str  # "book.xlsx!Sheet", "archive.zip!member.csv", "folder/link"
    sha256: str | None
    reason: str


def expand_folders(paths: Sequence[Path | Skipped], workspace: Path) -> list[Path | Skipped]:
    """Each folder replaced by the spend files under it, sorted (hidden ones and
    the workspace's own files left out); a folder with none stays, to be reported.

    A link to a sub-folder is followed when it resolves inside the folder given
    (once: a link back to a folder already read is reported, so a loop ends);
    a link (to a folder or a file) that leads outside it is reported, not
    followed, so naming a folder never reads files the person did not put under it."""
    inside = workspace.resolve()
    out: list[Path | Skipped] = []
    for path in paths:
        if isinstance(path, Skipped) or not path.is_dir():
            out.append(path)
            continue
        files: list[Path] = []
        skipped: list[Skipped] = []
        _walk(path, path.resolve(), inside, {path.resolve()}, files, skipped)
        out.extend(sorted(files) or ([] if skipped else [path]))
        out.extend(skipped)
    return out


def _walk(
    folder: Path,
    root: Path,
    workspace: Path,
    seen: set[Path],
    files: list[Path],
    skipped: list[Skipped],
) -> None:
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        target = entry.resolve()
        if target.is_relative_to(workspace):
            continue
        if entry.is_dir():
            if not entry.is_symlink():
                seen.add(target)
                _walk(entry, root, workspace, seen, files, skipped)
            elif not target.is_relative_to(root):
                skipped.append(
                    Skipped(
                        str(entry),
                        None,
                        f"a link to a folder outside {root} ({target}): not followed. "
                        "Name that folder on the command line to ingest it.",
                    )
                )
            elif target in seen or folder.resolve().is_relative_to(target):  # read, or a loop
                skipped.append(
                    Skipped(str(entry), None, f"a link to {target}, a folder already read")
                )
            else:
                seen.add(target)
                _walk(entry, root, workspace, seen, files, skipped)
        elif entry.suffix.lower() in SPEND_SUFFIXES and entry.is_file():
            if entry.is_symlink() and not target.is_relative_to(root):
                skipped.append(
                    Skipped(
                        str(entry),
                        None,
                        f"a link to a file outside {root} ({target}): not followed. "
                        "Name that file on the command line to ingest it.",
                    )
                )
            else:
                files.append(entry)


def _size_text(n: int) -> str:
    size = f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.2f} MiB"
    return f"{n:,} bytes ({size})"


@dataclass
class Unpacked:
    """Bytes written out of archives for one path named to ingest, against the cap:
    a zip bomb stops at the cap, before it fills the disk."""

    limit: int
    used: int = 0

    def take(self, n: int, display: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise SourceError(
                display,
                f"the archive unpacks to more than {_size_text(self.limit)} (the limit on "
                "unzipped size; a compressed file this large is more likely a zip bomb than "
                "spend data). If it is real, ingest again with --max-archive-size "
                "(e.g. --max-archive-size 8GiB), or unzip it and ingest the files.",
            )


def _unzip(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, out: Path, unpacked: Unpacked, shown: str
) -> None:
    """Write one member out, counting its bytes against the cap.  A member
    whose data does not match its header (sizes or checksum), or that uses a
    compression Python cannot read, fails its archive with the reason."""
    try:
        with archive.open(member) as src, out.open("wb") as dst:
            while chunk := src.read(CHUNK):
                unpacked.take(len(chunk), shown)
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise SourceError(
            shown,
            f"cannot unzip {member.filename!r} ({exc}): the archive is damaged, or its sizes or "
            "checksum do not match its data. Download it again, or unzip it with another "
            "tool and ingest the files.",
        ) from exc


LEFT_OUT = ""  # a member left out without a report, as the same file in a folder would be
_DRIVE = re.compile(r"^[A-Za-z]:")


def _member_problem(member: zipfile.ZipInfo, depth: int) -> str | None:
    """Why a zip member is not read, or None to read it.  Hidden files and
    files of other types are left out as they are in a folder; the rest is
    reported.  Members are written out under a name of ingest's own, never
    the member's, so no name can place a file outside the workspace."""
    name = member.filename
    parts = name.replace("\\", "/").split("/")
    if any(ord(c) < 32 or c == "\x7f" for c in name) or _DRIVE.match(name):
        return (
            f"member name {name!r} holds control characters or a drive: not read. "
            "Unzip the archive and ingest the files by name."
        )
    if name.startswith(("/", "\\")) or ".." in parts:
        return (
            f"member name {name!r} points outside the archive (an absolute path or '..'): "
            "not read. Unzip the archive and ingest the files by name."
        )
    if any(p.startswith(".") for p in parts if p not in ("", ".")) or parts[0] == "__MACOSX":
        return LEFT_OUT
    suffix = Path(parts[-1]).suffix.lower()
    if suffix not in SPEND_SUFFIXES:
        return LEFT_OUT
    if member.flag_bits & 0x1:
        return "encrypted: not read. Unzip it with its password and ingest the files."
    if suffix == ".zip" and depth >= MAX_ZIP_DEPTH:
        return (
            f"an archive nested {depth + 1} deep (at most {MAX_ZIP_DEPTH} zips inside a zip are "
            "opened): not read. Unzip it and ingest the files inside."
        )
    return None


def unzip_members(
    path: Path, display: str, tmp_dir: Path, unpacked: Unpacked, depth: int
) -> Iterator[tuple[Path, str] | Skipped]:
    """Each member of the zip to read, written out under a name of ingest's own
    (``zip-<depth>-<i>.<suffix>``) with the name to report it by, or a
    :class:`Skipped` with the reason it is not read."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError(display, f"not a readable zip archive ({exc})") from exc
    with archive:
        found = [(m, _member_problem(m, depth)) for m in archive.infolist() if not m.is_dir()]
        members = [(m, why) for m, why in found if why != LEFT_OUT]
        if not any(why is None for _, why in members):
            reasons = "; ".join(f"{m.filename!r}: {why}" for m, why in members if why)
            raise SourceError(
                display,
                "the zip holds no .csv, .txt, .xlsx or .zip file to read"
                + (f" ({reasons})" if reasons else ""),
            )
        # the sizes the archive declares are checked before anything is unzipped;
        # the bytes actually written are counted too, in case they lie
        declared = sum(m.file_size for m, why in members if why is None)
        if unpacked.used + declared > unpacked.limit:
            unpacked.take(declared, display)
        for i, (member, why) in enumerate(members):
            shown = f"{display}!{member.filename}"
            if why is not None:
                yield Skipped(shown, None, why)
                continue
            suffix = Path(member.filename.replace("\\", "/")).suffix.lower()
            out = tmp_dir / f"zip-{depth}-{i}{suffix}"
            _unzip(archive, member, out, unpacked, shown)
            yield out, shown
