"""``totalplace demo --network``: the demo's Northmoor and a second synthetic
place in a two-place network, so ``network compare`` has something to show.

The second place, Eastmoor, is built as Northmoor is, from the demo's
generator with another seed: the same kinds of body and file layout, other
payments.  Both places' codes are fictional (never a real authority), so
neither is drawn on the comparison map and, with no population, per head is
not known; totals, themes, the prevention split and the barriers compare.
The same demo barriers are raised in both, so they show as recurring, and
one lesson (Eastmoor's, invented for the demo) is in the learning log.  The
network's comparison report is written in the network's folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from totalplace.network.folder import Network, add_member, init_network
from totalplace.network.learning import add_lesson

__all__ = ["SECOND_NAME", "build_demo_network", "write_demo_report"]

SECOND_NAME = "Eastmoor (demo)"
# Another seed of the demo's generator: Eastmoor's payments, not Northmoor's.
SECOND_SEED_OFFSET = 17


def _second_place(folder: Path) -> Path:
    from totalplace.classify import RULES_DIR
    from totalplace.count.cube import ORGS_DIR
    from totalplace.culture.demo import add_demo_culture
    from totalplace.demo import (
        DEMO_PLACE,
        DEMO_YEAR,
        write_demo_bodies,
        write_demo_cases,
        write_demo_rules,
    )
    from totalplace.demo_data import DEMO_SEED, POLICE_PROFILE_NAME, write_demo_sources
    from totalplace.ingest.pipeline import ingest_files
    from totalplace.workspace import Workspace

    sources = write_demo_sources(folder / "sources", seed=DEMO_SEED + SECOND_SEED_OFFSET)
    ws = Workspace.create(folder / "workspace", DEMO_PLACE, DEMO_YEAR, name=SECOND_NAME)
    shutil.copy(folder / "sources" / POLICE_PROFILE_NAME, ws.profiles_dir)
    for src in sources:
        ingest_files(ws, [src.path], src.publisher)
    write_demo_bodies(ws.root / ORGS_DIR)
    write_demo_rules(ws.root / RULES_DIR)
    write_demo_cases(ws.root / "cases")
    add_demo_culture(ws)
    return ws.root


def build_demo_network(directory: Path, northmoor: Path) -> Network:
    """Build Eastmoor in ``directory/eastmoor``, count it, and put it with the
    demo's Northmoor (workspace ``northmoor``, already counted) in a network
    at ``directory/network`` whose method is Northmoor's rules.  Northmoor is
    counted again so its count carries the network's method version."""
    from totalplace.report.run import count_workspace
    from totalplace.workspace import Workspace

    second = _second_place(directory / "eastmoor")
    net = init_network(directory / "network", "Demo network of places", northmoor)
    add_member(net, northmoor, "Northmoor")
    add_member(net, second, "Eastmoor")
    for root in (northmoor, second):
        count_workspace(Workspace.open(root))
    add_lesson(
        net,
        "Eastmoor",
        "A family intervention team for the families known to most agencies, costed with "
        "Westminster's Family Recovery case (demo)",
        "Fewer police call-outs and evictions in the first year; the business case is "
        "being updated with Eastmoor's own unit costs (demo)",
        "totalplace demo",
        second / "cases" / "westminster_family_recovery.toml",
    )
    return net


def write_demo_report(net: Network) -> dict[str, Any]:
    """The network's comparison report in its folder: ``report.html``, and
    ``report.pdf`` when Chromium is installed to print it."""
    from totalplace.network.report import write_network_report
    from totalplace.place_report.pdf import find_chromium

    pdf = net.root / "report.pdf" if find_chromium() else None
    return write_network_report(net, net.root / "report.html", pdf)
