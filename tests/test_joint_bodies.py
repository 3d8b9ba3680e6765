"""The joint bodies' areas, curated twice (for the top-down count and for the
organisation registry), must agree wherever both draw a statutory area."""

from __future__ import annotations

import pytest

from totalplace.orgs import org_registry
from totalplace.reference.joint_bodies import joint_bodies
from totalplace.reference.places import Registry, registry


def _cover(reg: Registry, codes: tuple[str, ...]) -> set[str]:
    units: set[str] = set()
    for code in codes:
        if reg.get(code).current:
            units.update(reg.units(code))
        else:
            for successor in reg.successors(code):
                units.update(reg.units(successor))
    return units


@pytest.mark.parametrize("kind", ["police", "fire", "transport", "waste", "combined", "gla"])
def test_both_registries_draw_the_same_areas(kind: str) -> None:
    reg, orgs = registry(), org_registry()
    bodies = [b for b in joint_bodies().values() if b.kind == kind]
    assert bodies
    for body in bodies:
        other = orgs.by_code(body.ecode)
        assert _cover(reg, body.members) == _cover(reg, other.area_gss), (body.ecode, other.id)
