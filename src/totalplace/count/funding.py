"""Who funds a body's outturn: its financing mix from its own Revenue Outturn.

RS shows how each authority financed its net current expenditure: specific
grants (inside and outside Aggregate External Finance, Area Based Grant),
formula grant (Revenue Support Grant, redistributed business rates, police
grant, GLA general grant) and council tax (or the precept).  A body's lines
are shared among these pro rata, which is an estimate: the mix is the whole
body's, not each service's (ring-fenced grants such as the schools grant fund
particular services), and financing outside these three (reserves, interest,
fees netted in the expenditure) is left out of the shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from totalplace.reference.outturn import outturn

# funder -> RS financing lines (shown as negative amounts: income)
FUNDERS: Mapping[str, tuple[str, ...]] = {
    "specific grants (government departments)": (
        "specific_grants_inside_aef",
        "specific_grants_outside_aef",
        "area_based_grant",
    ),
    "formula grant (DCLG)": (
        "revenue_support_grant",
        "redistributed_non_domestic_rates",
        "police_grant",
        "general_gla_grant",
    ),
    "council tax and precepts (local taxpayers)": ("council_tax_requirement",),
}
MIX_FLAG = "funder split pro rata to the body's RS financing mix (estimate)"
# Specific grants come with conditions (the schools grant, public health...);
# formula grant and council tax are the body's to spend.
RING_FENCED: Mapping[str, str] = {
    "specific grants (government departments)": "ring-fenced (specific grants, estimate)",
    "formula grant (DCLG)": "not ring-fenced",
    "council tax and precepts (local taxpayers)": "not ring-fenced",
}


@cache
def _mixes(year: str) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for r in outturn(year):
        rows.setdefault(r.ecode, {})[r.line] = r.pence
    out: dict[str, dict[str, int]] = {}
    for ecode, lines in rows.items():
        mix = {
            funder: abs(sum(lines.get(x, 0) for x in items)) for funder, items in FUNDERS.items()
        }
        if any(mix.values()):
            out[ecode] = mix
    return out


def funding_mix(year: str, ecode: str) -> dict[str, int]:
    """Weights (pence of financing) by funder for a body's outturn; empty when
    RS gives the body no financing lines."""
    return dict(_mixes(year).get(ecode, {}))
