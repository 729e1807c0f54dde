"""The checks of the de-duplication keys of ``cleaning:`` (``docs/dedupe.md``), kept apart from
the other cleaning rules."""

from __future__ import annotations

from typing import Any

__all__ = ["check_dedupe"]


def check_dedupe(s: Any) -> None:
    """Rules between the de-duplication values of a :class:`~.rules.CleaningRules` ``s``
    (each failure is the settings' error naming the key)."""
    p = s.match_probability
    if not 0 < p < 1:
        s.fail("match_probability", p, "a probability between 0 and 1, e.g. 0.95")
    band = tuple(s.review_band)
    if len(band) != 2 or not 0 <= band[0] <= band[1] <= p:
        s.fail("review_band", list(band), f"[low, high] with 0 <= low <= high <= "
               f"match_probability ({p}), e.g. [0.6, {p}]")
    if not p <= s.chain_probability <= 1:
        s.fail("chain_probability", s.chain_probability,
               f"a probability between match_probability ({p}) and 1")
    if s.placeholder_min_customers < 2:
        s.fail("placeholder_min_customers", s.placeholder_min_customers, "a whole number >= 2")
    seen: dict[tuple[str, str], str] = {}
    for key in ("never_merge", "always_merge"):
        for pair in getattr(s, key):
            if len(pair) != 2 or pair[0] == pair[1]:
                s.fail(key, list(pair), "pairs of two different customer ids, e.g. "
                       "[[C000012, C000345]]")
            k = (min(pair), max(pair))
            if seen.get(k, key) != key:
                s.fail(key, list(pair), "a pair that is not also in "
                       f"{'always_merge' if key == 'never_merge' else 'never_merge'}")
            seen[k] = key
