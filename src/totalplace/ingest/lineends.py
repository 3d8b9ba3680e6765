"""Where lines end in a file that mixes CR, LF and CR LF.

The rule, which numbers every line the reports cite: line N of a file is its
Nth line when CR LF, LF or a lone CR ends a line, decided line by line, not
once for the whole file.  One exception keeps a record whole: in a file whose
lines mostly end in LF (or CR LF), a lone CR ends a line only when the text
before it (since the last line end) is blank or a whole record, holding at
least as many fields as the file's lines usually hold.  Otherwise the CR was
typed inside a field (a description with a carriage return in it) and is read
as a space, so the record is not cut in two.  A lone CR inside a quoted field
ends a physical line but not the record: the record reader joins lines where
quotes span them, as it does for a quoted LF, and the value holds an LF.

Every line end is written as LF, so the text the parser reads has one kind.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t", "|")
WIDTH_LINES = 1000  # lines of the head used to learn how many fields a line holds
_QUOTED = re.compile(r'"[^"]*"')


def _fields(text: str, delimiter: str) -> int:
    """Fields in a line, not counting delimiters inside quotes."""
    return _QUOTED.sub("", text).count(delimiter) + 1


def record_width(head: str) -> tuple[str, int] | None:
    """The delimiter and the number of fields the head's lines usually hold,
    learnt from lines that end in LF and hold no CR (None when no delimiter
    splits them: then nothing tells a record from part of one)."""
    lines = [ln.removesuffix("\r") for ln in head.split("\n")[:WIDTH_LINES]]
    clean = [ln for ln in lines if ln.strip() and "\r" not in ln]
    if not clean:
        clean = [p for ln in lines for p in ln.split("\r") if p.strip()]
    best: tuple[int, str] | None = None
    for delim in DELIMITERS:
        counts = Counter(_fields(ln, delim) for ln in clean)
        if counts:
            width = counts.most_common(1)[0][0]
            if best is None or width > best[0]:
                best = (width, delim)
    if best is None or best[0] < 2:
        return None
    return best[1], best[0]


@dataclass
class LineEnds:
    """Rewrites decoded text, chunk by chunk, with LF line ends by the rule above.

    ``every_cr``: each lone CR ends a line (a CR-only file, or one where lone CRs
    are at least as common as LFs).  Otherwise a lone CR is tested against
    ``width`` fields split by ``delimiter``.
    """

    every_cr: bool
    delimiter: str = ","
    width: int = 0
    inside_records: int = 0  # lone CRs read as a space, for the file's details
    _held: str = ""  # text after the last complete line, kept for the next chunk

    def feed(self, text: str) -> str:
        text = self._held + text
        if self.every_cr:  # only a CR that may pair with an LF in the next chunk waits
            cut = len(text) - 1 if text.endswith("\r") else len(text)
        else:  # a line's lone CRs are judged with the whole line at hand
            cut = text.rfind("\n") + 1
        self._held = text[cut:]
        return self._fix(text[:cut])

    def finish(self) -> str:
        text, self._held = self._held, ""
        return self._fix(text)

    def _fix(self, text: str) -> str:
        text = text.replace("\r\n", "\n")
        if "\r" not in text:
            return text
        if self.every_cr:
            return text.replace("\r", "\n")
        out: list[str] = []
        start = 0
        # one step per line holding a lone CR (rare), not per character
        while (cr := text.find("\r", start)) >= 0:
            begin = text.rfind("\n", 0, cr) + 1
            end = text.find("\n", cr)
            end = len(text) if end < 0 else end
            out.append(text[start:begin])
            out.append(self._line(text[begin:end]))
            start = end
        out.append(text[start:])
        return "".join(out)

    def _line(self, line: str) -> str:
        pieces = line.split("\r")
        out = [pieces[0]]
        record = pieces[0]
        for piece in pieces[1:]:
            if record.count('"') % 2:  # inside a quoted field: the record goes on
                out.append("\n")
                record += "\n" + piece
            elif not record.strip() or _fields(record, self.delimiter) >= self.width:
                out.append("\n")
                record = piece
            else:
                out.append(" ")
                record += " " + piece
                self.inside_records += 1
            out.append(piece)
        return "".join(out)
