"""Which single-byte code page a file that is not UTF-8 was written in.

Files that are not UTF-8 are nearly all Windows-1252 (cp1252), where "£" is
byte 0xA3.  Some come from DOS-era finance systems in code page 850 or 437,
where "£" is byte 0x9C (in cp1252, 0x9C is "œ", so "£1,234.50" would read as
"œ1,234.50" and the amount would not parse).  The rule, on the bytes that
occur in the whole file: when 0x9C stands directly before a digit (or a space
and a digit) and 0xA3 never does, the file is read in a DOS code page, cp850,
or cp437 when cp437 leaves fewer characters that do not belong in a spend file
(box drawing, Greek letters, maths symbols).  The currency sign was then
guessed from its place before the amounts, and the file is flagged so someone
checks it.  Otherwise the file is read as cp1252.

The counts behind the choice, and the raw bytes around the first sign found
(as hex), are kept with the file so the decision can be checked against the
original bytes.

Two more cases are found here: UTF-16 (by its byte-order mark, or by the NUL
bytes its ASCII characters leave in every other byte), and a file that mixes
UTF-8 lines with code-page lines (each line is then read in its own encoding,
and the file is flagged).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHUNK = 8 * 1024 * 1024
DOS_POUND = 0x9C
WINDOWS_POUND = 0xA3
_BEFORE_DIGITS = (DOS_POUND, WINDOWS_POUND)  # each counted before a digit or a space and a digit
# characters a spend file may hold beyond letters, digits and currency signs
_PLAUSIBLE_SYMBOLS = set("°©®«»·¿¡§¶½¼¾")


@dataclass
class Evidence:
    """Counts over the whole file, from one streaming pass."""

    high_bytes: np.ndarray = field(default_factory=lambda: np.zeros(256, dtype=np.int64))
    before_digits: dict[int, int] = field(default_factory=lambda: dict.fromkeys(_BEFORE_DIGITS, 0))
    first_hex: dict[int, str] = field(default_factory=dict)  # raw bytes around the first sign


@dataclass(frozen=True)
class Choice:
    encoding: str
    guessed_sign: bool  # the currency sign was read from a DOS byte
    details: dict[str, object]


def gather(path: Path) -> Evidence:
    """Byte counts and currency-sign positions, a chunk at a time: numpy counts
    the high bytes and looks at the two bytes after each sign, so no Python loop
    runs over the file's bytes.  Each position is judged once, when the two
    bytes after it have been read (the last two of a chunk wait for the next)."""
    ev = Evidence()
    tail = b""  # the last two bytes read, not judged yet
    offset = 0  # position in the file of the window's first byte
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            final = not chunk
            window = tail + chunk + (b"\0\0" if final else b"")
            arr = np.frombuffer(window, dtype=np.uint8)
            high = np.flatnonzero(arr[len(tail) :] >= 0x80) + len(tail)
            ev.high_bytes += np.bincount(arr[high], minlength=256)
            judged = max(0, len(window) - 2)
            real = window[:judged] if final else window  # without the padding
            for byte in _BEFORE_DIGITS:
                at = np.flatnonzero(arr[:judged] == byte)
                after, after2 = arr[at + 1], arr[at + 2]
                digit = (after >= 0x30) & (after <= 0x39)
                spaced = (after == 0x20) & (after2 >= 0x30) & (after2 <= 0x39)
                found = at[digit | spaced]
                ev.before_digits[byte] += len(found)
                if len(found) and byte not in ev.first_hex:
                    first = int(found[0])
                    raw = real[max(0, first - 8) : first + 12]
                    ev.first_hex[byte] = f"{raw.hex(' ')} (at byte {offset + first})"
            if final:
                break
            offset += judged
            tail = window[judged:]
    return ev


def _implausible(encoding: str, counts: np.ndarray) -> int:
    """How many of the file's high bytes decode, in ``encoding``, to characters
    a spend file would not hold."""
    total = 0
    for byte in np.flatnonzero(counts[0x80:]) + 0x80:
        ch = bytes([int(byte)]).decode(encoding)
        name = unicodedata.name(ch, "")
        plausible = (
            (unicodedata.category(ch)[0] in "LN" and not name.startswith("GREEK"))
            or unicodedata.category(ch) in ("Sc", "Zs")  # currency signs, no-break space
            or ch in _PLAUSIBLE_SYMBOLS
        )
        if not plausible:
            total += int(counts[byte])
    return total


def choose(path: Path) -> Choice:
    """The code page of a file already known not to be UTF-8."""
    ev = gather(path)
    dos = ev.before_digits[DOS_POUND]
    windows = ev.before_digits[WINDOWS_POUND]
    details: dict[str, object] = {
        "high_bytes": int(ev.high_bytes[0x80:].sum()),
        "0x9c_before_digits": dos,
        "0xa3_before_digits": windows,
    }
    if dos and not windows:
        scores = {enc: _implausible(enc, ev.high_bytes) for enc in ("cp850", "cp437")}
        encoding = "cp437" if scores["cp437"] < scores["cp850"] else "cp850"
        details.update(
            encoding=encoding,
            reason=(
                f"not UTF-8; byte 0x9C stands before an amount {dos} time(s) and 0xA3 never "
                f"does, so 0x9C is read as '£' in a DOS code page; {encoding} leaves the "
                f"fewest implausible characters (cp850: {scores['cp850']}, "
                f"cp437: {scores['cp437']})"
            ),
            implausible=scores,
            currency_sign_bytes=ev.first_hex[DOS_POUND],
        )
        return Choice(encoding, True, details)
    reason = "not UTF-8; read as Windows-1252 (cp1252)"
    if windows:
        reason += f", where byte 0xA3 is '£' and stands before an amount {windows} time(s)"
        details["currency_sign_bytes"] = ev.first_hex[WINDOWS_POUND]
    details.update(encoding="cp1252", reason=reason)
    return Choice("cp1252", False, details)


# -- UTF-16, and files that mix UTF-8 with a code page ------------------------------------

UTF16_HEAD = 64 * 1024
# A spend file is mostly ASCII: in UTF-16 every such character is a NUL byte and
# a letter, so NULs fill one of the two byte positions and almost never the other.
_NUL_SHARE_WIDE = 0.4
_NUL_SHARE_OTHER = 0.05


def utf16(path: Path) -> str | None:
    """``utf-16`` when the file starts with a UTF-16 byte-order mark; ``utf-16-le``
    or ``utf-16-be`` when, without one, NUL bytes fill the odd (or even) byte
    positions of the first 64 KB and almost none of the others; else None."""
    with path.open("rb") as fh:
        head = fh.read(UTF16_HEAD)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even = head[0 : pairs * 2 : 2].count(0) / pairs
    odd = head[1 : pairs * 2 : 2].count(0) / pairs
    if odd >= _NUL_SHARE_WIDE and even < _NUL_SHARE_OTHER:
        return "utf-16-le"
    if even >= _NUL_SHARE_WIDE and odd < _NUL_SHARE_OTHER:
        return "utf-16-be"
    return None


_AFTER_LINE_END = re.compile(rb"(?<=[\r\n])")


def _lines_with_high_bytes(data: bytes) -> Iterator[bytes]:
    """The lines of ``data`` (cut at CR and LF) holding a byte above ASCII:
    numpy finds the line of each such byte, so Python only visits those lines."""
    arr = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    if not len(high):
        return
    ends = np.flatnonzero((arr == 0x0A) | (arr == 0x0D))
    for k in np.unique(np.searchsorted(ends, high)):
        start = int(ends[k - 1]) + 1 if k > 0 else 0
        stop = int(ends[k]) if k < len(ends) else len(data)
        yield data[start:stop]


@dataclass(frozen=True)
class Mixed:
    """Lines holding bytes above ASCII: those that are UTF-8, those that are not,
    and the first of each (as the code page would show it), for the warning."""

    utf8_lines: int
    other_lines: int
    first_utf8: str
    first_other: str

    @property
    def mixed(self) -> bool:
        return self.utf8_lines > 0 and self.other_lines > 0


def mixed_lines(path: Path, fallback: str) -> Mixed:
    """Count, line by line, the lines with non-ASCII bytes that decode as UTF-8
    and those that do not (a file edited in two programs holds both).  CR and LF
    are single bytes in UTF-8 and every code page, and never part of another
    character, so lines can be cut at them before decoding."""
    utf8 = other = 0
    first_utf8 = first_other = ""
    carry = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            data = carry + chunk
            if chunk:
                cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
                data, carry = data[:cut], data[cut:]
            for line in _lines_with_high_bytes(data):
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError:
                    other += 1
                    first_other = first_other or line.decode(fallback, errors="replace")
                else:
                    utf8 += 1
                    first_utf8 = first_utf8 or text
            if not chunk:
                break
    return Mixed(utf8, other, first_utf8[:80], first_other[:80])


class LineDecoder:
    """Decode each line as UTF-8 when it is UTF-8, else in the code page: for a
    file that mixes both, "£" and "é" then read right on every line."""

    def __init__(self, fallback: str, errors: str = "strict") -> None:
        self.fallback = fallback
        self.errors = errors
        self.carry = b""

    def decode(self, data: bytes, final: bool = False) -> str:
        data = self.carry + data
        self.carry = b""
        if not final:
            cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
            data, self.carry = data[:cut], data[cut:]
        return "".join(self._line(p) for p in _AFTER_LINE_END.split(data) if p)

    def _line(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode(self.fallback, errors=self.errors)
