"""Leave one publisher out, for column roles: each shared publisher's files,
ingested with only ``--publisher`` after every registry synonym that matches
one of its own headers is removed, still map the required roles to the same
columns as the baseline (``data/real_spend_baseline.json``, recorded from the
synonym-only mapping before values were read).

The headers a publisher shares with a published standard stay in the registry:
a new publisher that follows the standard is not "unseen".  The standard
vocabulary, normalised as the registry compares headers:

- Local Government Transparency Code 2015, Part 2, "Expenditure exceeding
  £500": date, department, beneficiary, purpose, amount, merchant category and
  the VAT that cannot be recovered;
- the DCLG/LGA spending data guidance of 2010-11 that councils' first files
  followed (body name, body, service area categorisation, service division
  categorisation, responsible unit, expenses type, detailed expenses type,
  expenses code, narrative, date, transaction number, amount, net amount,
  irrecoverable VAT, supplier name, supplier ID, contract ID, capital/revenue);
- the LGA spend schema's field names (OrganisationURI, OrganisationLabel,
  EffectiveDate, PaymentDate, TransactionNumber, Amount, IrrecoverableVATAmount,
  BeneficiaryName, BeneficiaryOtherID, VATRegistrationNumber, ProclassCode,
  ProclassLabel, OrganisationalUnit, Purpose).

The per-publisher table of how many of the other baseline roles also agree is
written to the test's output (``pytest -s``) and kept in the README.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from totalplace.ingest import ingest_files
from totalplace.ingest.dialect import sniff
from totalplace.ingest.roles import Profile, normalise_header, synonyms_removed
from totalplace.ingest.sources import PreparedSource, prepare
from totalplace.workspace import Workspace

from .conftest import SPEND, TEST_DATA
from .test_real_spend import PUBLISHERS

LGTC_2015 = {
    "date", "department", "beneficiary", "purpose", "amount", "merchant category",
    "irrecoverable vat",
}  # fmt: skip
SPENDING_GUIDANCE_2011 = {
    "body name", "body", "service area categorisation", "service division categorisation",
    "responsible unit", "expenses type", "detailed expenses type", "expenses code", "narrative",
    "date", "transaction number", "amount", "net amount", "irrecoverable vat", "supplier name",
    "supplier id", "contract id", "capital revenue",
}  # fmt: skip
LGA_SPEND_SCHEMA = {
    "organisationuri", "organisationlabel", "effectivedate", "paymentdate", "transactionnumber",
    "amount", "irrecoverablevatamount", "beneficiaryname", "beneficiaryotherid",
    "vatregistrationnumber", "proclasscode", "proclasslabel", "organisationalunit", "purpose",
}  # fmt: skip
STANDARD = {normalise_header(h) for h in LGTC_2015 | SPENDING_GUIDANCE_2011 | LGA_SPEND_SCHEMA}

REQUIRED = ("amount", "supplier_name")
DATES = ("payment_date", "period")
BASELINE: dict[str, dict[str, object]] = json.loads(
    (TEST_DATA / "real_spend_baseline.json").read_text(encoding="utf-8")
)
FOLDERS = sorted({k.split("/", 1)[0] for k in BASELINE})


def _header(described: str) -> str:
    return re.sub(r" \([^()]*\)$", "", described)


def _own_headers(folder: Path, tmp: Path) -> set[str]:
    """Every header the publisher's files use, normalised."""
    own: set[str] = set()
    for path in sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".zip")):
        for src in prepare(path, tmp):
            if isinstance(src, PreparedSource):
                dialect = sniff(src.display_path, src.head, Profile())
                own |= {normalise_header(h) for h in dialect.headers}
    return own


@pytest.mark.parametrize("folder", FOLDERS)
def test_required_roles_map_without_the_publishers_own_synonyms(
    folder: str, tmp_path: Path, spend_dir: Path
) -> None:
    removed = _own_headers(spend_dir / folder, tmp_path) - STANDARD
    ws = Workspace.create(tmp_path / folder, ["E08000025"], "2010-11")
    files = sorted(p for p in (spend_dir / folder).iterdir() if p.suffix in (".csv", ".zip"))
    with synonyms_removed(removed):
        report = ingest_files(ws, files, PUBLISHERS.get(folder, folder))
    agree = other = 0
    for f in report.files:
        key = f.path.replace(str(SPEND) + "/", "")
        assert f.status == "loaded", (key, f.message)
        before = {r: _header(str(d)) for r, d in dict(BASELINE[key]["column_map"]).items()}
        now = {r: _header(d) for r, d in f.column_map.items()}
        for role in REQUIRED:
            assert now.get(role) == before[role], (key, role)
        dated = [r for r in DATES if r in before]
        assert any(now.get(r) == before[r] for r in dated), (key, "date")
        rest = [r for r in before if r not in (*REQUIRED, *DATES)]
        other += len(rest)
        agree += sum(now.get(r) == before[r] for r in rest)
    print(f"\n| {folder} | {len(removed)} | {agree} of {other} |")
