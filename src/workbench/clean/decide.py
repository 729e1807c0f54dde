"""From scored pairs to merges: decisions with a reason, a person's overrules, clusters
that do not chain strangers together, and the review queue.

- A pair at or above ``match_probability`` is a **link**; a pair in the review band
  (``review_band = [low, high)``) goes to the **review queue**; below it, nothing.
- ``never_merge`` pairs are never in one cluster (not even through third records);
  ``always_merge`` pairs are links whatever the model says.
- **Clusters** are grown link by link, strongest first (ties by ids, so a rerun gives the
  same clusters).  Joining two groups of which one already holds two or more records needs
  either a second link between them, or one link at or above ``chain_probability`` with no
  scored pair between the two groups below the review band.  A join refused for that is a
  **weak chain**: the link goes to the review queue instead (reason ``weak_chain``).
- **Identity guard**: a pair whose names and companies both differ (or are missing) is never
  merged by the model, however strong its shared phone or e-mail: a family, an office
  switchboard or a shared mailbox.  Above the threshold it goes to the review queue (reason
  ``names_differ``); ``always_merge`` still merges it.
- In each cluster the earliest signup survives, ties by the smallest id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from .linkage import FIELDS, LEVELS

__all__ = ["Decisions", "decide"]


@dataclass
class Decisions:
    """``links``: ``duplicate, survivor, match_probability, decided_by, matched_on`` per
    merged record; ``review``: the pairs a person should look at (``a, b, match_probability,
    why`` and the per-field levels and weights)."""

    links: pl.DataFrame
    review: pl.DataFrame


class _Groups:
    """Union-find over record positions, each group knowing its members."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def of(self, root: int) -> list[int]:
        return self.members.get(root, [root])

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if len(self.of(ra)) < len(self.of(rb)):
            ra, rb = rb, ra
        self.members[ra] = self.of(ra) + self.of(rb)
        self.members.pop(rb, None)
        self.parent[rb] = ra
        return ra


def _decided_by(row: dict, k: int = 3) -> str:
    weights = sorted(((row.get(f"mw_{f}") or 0.0, f) for f in FIELDS), reverse=True)
    return ",".join(f for w, f in weights[:k] if w > 0)


def _matched_on(row: dict) -> str:
    """The identifying fields that agree exactly (the top level of their comparison)."""
    return ",".join(f for f in ("phone", "email", "company", "name")
                    if row.get(f"gamma_{f}") is not None
                    and row[f"gamma_{f}"] == len(LEVELS[f]) - 1)


def _same_identity(row: dict) -> bool:
    """The name or the company agrees at least nearly (a level above ``different``)."""
    return any((row.get(f"gamma_{f}") or 0) > 0 for f in ("name", "company"))


def decide(pairs: pl.DataFrame, order: Sequence[int], match_probability: float,
           review_band: tuple[float, float], chain_probability: float,
           never: Iterable[tuple[int, int]] = (), always: Iterable[tuple[int, int]] = (),
           ) -> Decisions:
    """Decide the merges of ``pairs`` (:func:`.linkage.score_pairs`, ids are record positions).

    Args:
        order: the survivor rank of each record position (earliest signup first, then id).
        never, always: position pairs a person decided.
    """
    n = len(order)
    never_set = {(min(a, b), max(a, b)) for a, b in never}
    always_set = {(min(a, b), max(a, b)) for a, b in always} - never_set
    low, _high = review_band
    # Only the pairs that can matter are read into Python: those at or above the review band,
    # and the weaker ones between records that some link touches (they can contradict a chain).
    strong = pairs.filter(pl.col("match_probability") >= low)
    linked = strong.filter(pl.col("match_probability") >= match_probability)
    touched = pl.concat([linked.get_column("unique_id_l"), linked.get_column("unique_id_r"),
                         pl.Series([x for k in always_set for x in k], dtype=pl.Int64)]).unique()
    weak = pairs.filter((pl.col("match_probability") < low)
                        & pl.col("unique_id_l").is_in(touched.implode())
                        & pl.col("unique_id_r").is_in(touched.implode()))
    rows = {(r["unique_id_l"], r["unique_id_r"]): r for r in strong.iter_rows(named=True)}
    for a, b, p in weak.select("unique_id_l", "unique_id_r", "match_probability").iter_rows():
        rows[(a, b)] = {"unique_id_l": a, "unique_id_r": b, "match_probability": p}
    for key in always_set:
        row = dict(rows.get(key, {"unique_id_l": key[0], "unique_id_r": key[1]}))
        row["match_probability"] = 1.0
        row["_why"] = "always_merge"
        rows[key] = row
    guarded = {k for k, r in rows.items()
               if not r.get("_why") and r["match_probability"] >= match_probability
               and not _same_identity(r)}
    links = sorted((k for k, r in rows.items()
                    if (r["match_probability"] >= match_probability or r.get("_why"))
                    and k not in never_set and k not in guarded),
                   key=lambda k: (-rows[k]["match_probability"], k))
    groups = _Groups(n)
    never_of: dict[int, set[int]] = {}
    for a, b in never_set:
        never_of.setdefault(a, set()).add(b)
        never_of.setdefault(b, set()).add(a)
    joined_by: dict[int, tuple[int, int]] = {}
    refused: dict[tuple[int, int], str] = {}
    for key in links:
        a, b = key
        ra, rb = groups.find(a), groups.find(b)
        if ra == rb:
            continue
        ma, mb = groups.of(ra), groups.of(rb)
        if never_of and any(never_of.get(x, set()) & set(mb) for x in ma):
            refused[key] = "never_merge"
            continue
        row = rows[key]
        if (len(ma) > 1 or len(mb) > 1) and not row.get("_why"):
            cross = [rows[(min(x, y), max(x, y))] for x in ma for y in mb
                     if (min(x, y), max(x, y)) in rows]
            n_strong = sum(1 for c in cross if c["match_probability"] >= match_probability)
            contradicted = any(c["match_probability"] < low for c in cross)
            if n_strong < 2 and (row["match_probability"] < chain_probability or contradicted):
                refused[key] = "weak_chain"
                continue
        root = groups.union(a, b)
        joined_by[root] = key
        for x in (a, b):
            joined_by.setdefault(x, key)
    # links per cluster: the survivor, and each other member's pair with it (or its link)
    out = []
    clusters: dict[int, list[int]] = {}
    for x in range(n):
        clusters.setdefault(groups.find(x), []).append(x)
    link_of: dict[int, tuple[int, int]] = {}
    for key in links:
        if key in refused:
            continue
        for x in key:
            link_of.setdefault(x, key)
    for members in clusters.values():
        if len(members) < 2:
            continue
        survivor = min(members, key=lambda x: order[x])
        for x in sorted(members, key=lambda x: order[x]):
            if x == survivor:
                continue
            key = (min(x, survivor), max(x, survivor))
            row = rows[key] if key in rows else rows[link_of[x]]
            why = row.get("_why") or _decided_by(row)
            out.append({"duplicate": x, "survivor": survivor,
                        "match_probability": float(row["match_probability"]),
                        "decided_by": why, "matched_on": _matched_on(row) or why})
    links_df = pl.DataFrame(out, schema={"duplicate": pl.Int64, "survivor": pl.Int64,
                                         "match_probability": pl.Float64,
                                         "decided_by": pl.String, "matched_on": pl.String})
    final = {x: groups.find(x) for x in range(n)}
    review = []
    for key, r in rows.items():
        a, b = key
        if final[a] == final[b] or key in never_set:
            continue
        why = refused.get(key) or ("names_differ" if key in guarded else None)
        if why is None and low <= r["match_probability"] < match_probability:
            why = "review_band"
        if why in (None, "never_merge"):
            continue
        review.append({"a": a, "b": b, "match_probability": float(r["match_probability"]),
                       "why": why,
                       **{f"gamma_{f}": r.get(f"gamma_{f}") for f in FIELDS},
                       **{f"mw_{f}": r.get(f"mw_{f}") for f in FIELDS}})
    review_df = pl.DataFrame(review, schema={
        "a": pl.Int64, "b": pl.Int64, "match_probability": pl.Float64, "why": pl.String,
        **{f"gamma_{f}": pl.Int64 for f in FIELDS}, **{f"mw_{f}": pl.Float64 for f in FIELDS}})
    return Decisions(links=links_df.sort("duplicate"),
                     review=review_df.sort(["match_probability", "a", "b"],
                                           descending=[True, False, False]))
