"""Organisation-name normalisation: the key two spellings of one body share.

``normalise`` lower-cases, drops bracketed notes and trailing reference codes,
reads "&" as "and", drops "the", and expands the abbreviations spend files use
("mbc", "pct", "nhs ft", "ltd", "hosp", "mcr"...). It keeps every word that
could tell two bodies apart: "North Lincolnshire" and "North East
Lincolnshire" stay different keys.
"""

from __future__ import annotations

import re
from typing import Final

# Whole-word abbreviations, expanded before matching. The expansions are the
# words the registry's own names use, so both sides meet on the long form.
ABBREVIATIONS: Final = {
    "ltd": "limited",
    "mbc": "metropolitan borough council",
    "mdc": "metropolitan district council",
    "pct": "primary care trust",
    "ccg": "clinical commissioning group",
    "icb": "integrated care board",
    "pcc": "police and crime commissioner",
    "dept": "department",
    "govt": "government",
    "hosp": "hospital",
    "hosps": "hospitals",
    "univ": "university",
    "fndtn": "foundation",
    "met": "metropolitan",
    "mcr": "manchester",
    "gtr": "greater",
    "yorks": "yorkshire",
    "lancs": "lancashire",
    "assoc": "association",
}
# Multi-word spellings, applied to the space-joined tokens (longest first).
PHRASES: Final = (
    ("nhs found tr", "nhs foundation trust"),
    ("nhs fdn trust", "nhs foundation trust"),
    ("nhs ft", "nhs foundation trust"),
    ("nhs tr", "nhs trust"),
    ("nhstrust", "nhs trust"),
    ("h m", "hm"),
    ("her majestys", "hm"),
    ("her majesty s", "hm"),
    ("m cr", "manchester"),
)
# Words that say what kind of company a name is; a name with one never
# resolves to a public body unless an alias spells it out.
COMPANY_WORDS: Final = frozenset({"limited", "plc", "llp", "cic"})

_BRACKETED = re.compile(r"\([^)]*(\)|$)|\[[^\]]*(\]|$)")
_APOSTROPHE = re.compile(r"['\u2019`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_HAS_DIGIT = re.compile(r"\d")


def normalise(name: str) -> str:
    """The matching key of an organisation name (may be empty)."""
    text = _BRACKETED.sub(" ", name.lower())
    text = _APOSTROPHE.sub("", text).replace("&", " and ").replace("+", " and ")
    text = " ".join(_NON_WORD.sub(" ", text).split())
    for short, long in PHRASES:
        text = re.sub(rf"\b{short}\b", long, text)
    words = [ABBREVIATIONS.get(w, w) for w in text.split() if w != "the"]
    # Reference codes at the end ("... 009422", "... 5lj") identify a ledger
    # entry, not the body.
    while words and _HAS_DIGIT.search(words[-1]) and len(words) > 1:
        words.pop()
    return " ".join(" ".join(words).split())


def tokens(name: str) -> tuple[str, ...]:
    """The words of the normalised name."""
    return tuple(normalise(name).split())


def is_company(name: str) -> bool:
    """Whether the name carries a company word (ltd, limited, plc, llp, cic)."""
    return any(w in COMPANY_WORDS for w in tokens(name))
