"""Sharing a total out by a key, conserving every penny.

The largest-remainder method gives each unit the floor of its exact share and
hands the pennies left over to the largest remainders (ties to the earlier
unit in sorted order), so the parts always add back to the whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction


def largest_remainder(total_pence: int, weights: Mapping[str, int | Fraction]) -> dict[str, int]:
    """Split ``total_pence`` among the keys of ``weights`` in proportion to them.

    Weights must be non-negative with a positive sum.  A negative total is
    split as its absolute value and negated, so signs never flip.
    """
    if not weights:
        raise ValueError("nothing to apportion to: the key has no units")
    if any(w < 0 for w in weights.values()):
        raise ValueError("apportionment weights must not be negative")
    sign = -1 if total_pence < 0 else 1
    amount = abs(total_pence)
    if all(isinstance(w, int) for w in weights.values()):
        if not any(weights.values()):
            raise ValueError("apportionment weights sum to zero")
        return _integer_split(sign, amount, {k: int(w) for k, w in weights.items()})
    whole = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if whole == 0:
        raise ValueError("apportionment weights sum to zero")
    exact = {k: Fraction(amount) * Fraction(w) / whole for k, w in weights.items()}
    shares = {k: v.numerator // v.denominator for k, v in exact.items()}
    left = amount - sum(shares.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - shares[k]), k))
    for k in order[:left]:
        shares[k] += 1
    return {k: sign * v for k, v in shares.items()}


def _integer_split(sign: int, amount: int, weights: dict[str, int]) -> dict[str, int]:
    """The same method in integer arithmetic (remainders compared over one denominator)."""
    whole = sum(weights.values())
    shares = {k: amount * w // whole for k, w in weights.items()}
    rem = {k: amount * w % whole for k, w in weights.items()}
    left = amount - sum(shares.values())
    for k in sorted(rem, key=lambda k: (-rem[k], k))[:left]:
        shares[k] += 1
    return {k: sign * v for k, v in shares.items()}
