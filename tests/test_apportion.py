"""Largest-remainder apportionment conserves every penny."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.count.apportion import largest_remainder


def test_hand_worked_split() -> None:
    # 100p by 1:1:1 -> 33.33 each; the spare penny goes to the first in order
    assert largest_remainder(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    # 1000p by 2:3 -> exactly 400 and 600
    assert largest_remainder(1000, {"x": 2, "y": 3}) == {"x": 400, "y": 600}


def test_negative_totals_keep_their_sign() -> None:
    assert largest_remainder(-100, {"a": 1, "b": 1, "c": 1}) == {"a": -34, "b": -33, "c": -33}


def test_bad_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="no units"):
        largest_remainder(1, {})
    with pytest.raises(ValueError, match="zero"):
        largest_remainder(1, {"a": 0})
    with pytest.raises(ValueError, match="negative"):
        largest_remainder(1, {"a": -1, "b": 2})


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=-(10**15), max_value=10**15),
    weights=st.lists(
        st.fractions(min_value=0, max_value=10**7, max_denominator=1000), min_size=1, max_size=40
    ).filter(lambda ws: sum(ws) > 0),
)
def test_parts_always_add_back_to_the_whole(total: int, weights: list[Fraction]) -> None:
    keyed = {f"u{i:02d}": w for i, w in enumerate(weights)}
    parts = largest_remainder(total, keyed)
    assert sum(parts.values()) == total
    whole = sum(weights)
    for k, w in keyed.items():  # each part is within a penny of its exact share
        assert abs(Fraction(parts[k]) - Fraction(total) * w / whole) < 1


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=-(10**15), max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_integer_weights_split_like_fractions(total: int, weights: list[int]) -> None:
    keyed = {f"u{i:02d}": w for i, w in enumerate(weights)}
    as_fractions = {k: Fraction(w) for k, w in keyed.items()}
    assert largest_remainder(total, keyed) == largest_remainder(total, as_fractions)
