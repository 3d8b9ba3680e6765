"""Disclosure control for person-level data: pseudonyms and suppression.

**Pseudonyms.**  A person's or family's identifier is shown only as a keyed
hash: HMAC-SHA256 of the identifier under a key made once for the workspace
(``family.key``, readable by its owner alone, never copied into an export or a
download).  The same person always gets the same pseudonym in one workspace,
so a caseworker can follow them from page to page, but nobody without the key
can work back from the pseudonym, or make one from a name they know.

**Primary suppression.**  A count of people or families above nought and below
the workspace's ``disclosure_threshold`` is withheld ("fewer than N"), and so
is every figure made from that cell (its contacts and cost), since a cost of
one family is that family's.

**Secondary suppression.**  Where a table shows row or column totals, one
withheld cell in a row could be worked out as the total less the other cells.
So while any row or column has exactly one withheld cell, the smallest other
cell of that row or column is withheld too (or, if it has no other cell, its
total), and this repeats until no row or column has exactly one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import TypeVar

from totalplace.errors import ConfigError

KEY_FILE = "family.key"
# 16 hex characters (64 bits): no two of a place's people share one in practice.
PSEUDONYM_CHARS = 16

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def key_path(root: Path) -> Path:
    return root / KEY_FILE


def workspace_key(root: Path) -> bytes:
    """The workspace's pseudonym key, made (32 random bytes, mode 0600) on first use."""
    path = key_path(root)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made by another process just now: read theirs
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    if path.stat().st_mode & 0o077:
        raise ConfigError(
            f"{path}: the pseudonym key is readable by others; run `chmod 600 {path}` "
            "(and make a new key if it may have been copied)"
        )
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError(f"{path}: not a pseudonym key; remove it to make a new one")
    return key


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """``P-`` or ``F-`` (person or family) and 16 hex characters of
    HMAC-SHA256(key, kind + value): stable in a workspace, meaningless outside it."""
    digest = hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:PSEUDONYM_CHARS]}"


def hidden(n: int, threshold: int) -> bool:
    """True when a count of people must be withheld: above nought and under the threshold."""
    return 0 < n < threshold


def suppress(cells: Mapping[tuple[R, C], int], threshold: int) -> set[tuple[R, C]]:
    """The cells of a (row, column) table of counts to withhold: primary (small
    counts) and secondary (so no row or column total reveals a withheld cell).
    Totals are taken over the cells given; a cell missing from ``cells`` is a
    published zero and is never chosen."""
    withheld = {c for c, n in cells.items() if hidden(n, threshold)}
    lines: dict[tuple[int, Hashable], list[tuple[R, C]]] = {}
    for cell in cells:
        lines.setdefault((0, cell[0]), []).append(cell)
        lines.setdefault((1, cell[1]), []).append(cell)
    changed = True
    while changed:
        changed = False
        for members in lines.values():
            out = [c for c in members if c in withheld]
            if len(out) != 1:
                continue
            rest = sorted((c for c in members if c not in withheld), key=lambda c: cells[c])
            if rest:
                withheld.add(rest[0])
                changed = True
    return withheld


def lone_totals(
    cells: Mapping[tuple[R, C], int], withheld: set[tuple[R, C]]
) -> set[tuple[int, Hashable]]:
    """Rows (0, r) and columns (1, c) whose total must be withheld as well: those
    with a single cell, withheld (its total would be the cell)."""
    lines: dict[tuple[int, Hashable], list[tuple[R, C]]] = {}
    for cell in cells:
        lines.setdefault((0, cell[0]), []).append(cell)
        lines.setdefault((1, cell[1]), []).append(cell)
    return {k for k, members in lines.items() if len(members) == 1 and members[0] in withheld}
