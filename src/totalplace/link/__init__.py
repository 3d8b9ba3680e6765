"""Linking people across agencies' person-level extracts.

The public surface is :func:`link_records` and :class:`LinkResult`; the command
``totalplace link`` and the family view call it.  Matching is Splink's
(Fellegi-Sunter with term-frequency adjustments, trained by EM with no labels),
not a hand-written linker.
"""

from __future__ import annotations

from totalplace.link.model import link_records
from totalplace.link.result import LinkResult, RefusedRow

__all__ = ["LinkResult", "RefusedRow", "link_records"]
