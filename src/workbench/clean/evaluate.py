"""How well the de-duplication did against a known truth (the demo's ``truth.json``).

Both the merges and the truth are read as clusters of customer ids, and compared as the
pairs of ids within each cluster: precision is the share of merged pairs that are true
duplicates, recall the share of true duplicate pairs that were merged.  Strangers (known
non-duplicates) that ended up in a merge are counted apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

import polars as pl

from ..config import Config
from ..privacy import mask_frame

__all__ = ["cluster_pairs", "find_truth", "merge_accuracy", "review_sheet", "truth_pairs"]


def find_truth(cfg: Config) -> dict[str, Any] | None:
    """The demo's ``truth.json`` beside the customers (or orders) source file, when it records
    injected duplicates (a dirty demo).

    Real exports have none, nor has a clean demo: then the notebook shows no precision or recall.
    """
    for table in ("customers", "orders"):
        spec = cfg.sources.get(table)
        path = getattr(spec, "path", None)
        if path is not None and (Path(path).parent / "truth.json").is_file():
            truth = json.loads((Path(path).parent / "truth.json").read_text(encoding="utf-8"))
            dirty = truth.get("dirty") if isinstance(truth, dict) else None
            return dict(truth) if isinstance(dirty, dict) and dirty.get("customers") else None
    return None


def review_sheet(review: pl.DataFrame, customers: pl.DataFrame, show_pii: bool) -> pl.DataFrame:
    """The review queue for a person: each pair with both records side by side (``<column>_l``,
    ``<column>_r``), personal data masked unless ``show_pii``."""
    cols = [c for c in customers.columns if not c.startswith("_")]
    side = (review
            .join(customers.select(cols).rename(lambda c: f"{c}_l"), on="customer_id_l", how="left")
            .join(customers.select(cols).rename(lambda c: f"{c}_r"), on="customer_id_r", how="left"))
    masks = {f"{c}_{s}": c for c in ("name", "phone", "email") for s in "lr" if f"{c}_{s}" in side.columns}
    return mask_frame(side, show_pii, masks) if masks else side


def cluster_pairs(links: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every pair of ids (sorted) within the clusters that ``links`` (duplicate, kept) form."""
    cluster: dict[str, set[str]] = {}
    for a, b in links:
        ca, cb = cluster.get(a, {a}), cluster.get(b, {b})
        if ca is cb:
            continue
        merged = ca | cb
        for x in merged:
            cluster[x] = merged
    seen: set[int] = set()
    out: set[tuple[str, str]] = set()
    for members in cluster.values():
        if id(members) in seen:
            continue
        seen.add(id(members))
        out.update(tuple(sorted(p)) for p in combinations(sorted(members), 2))  # type: ignore[misc]
    return out


def truth_pairs(truth: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The true duplicate pairs of ``truth["dirty"]["customers"]`` (or that mapping itself)."""
    cust = truth.get("dirty", {}).get("customers", truth) if "dirty" in truth else truth
    links = [(d["duplicate_id"], d["original_id"])
             for key in ("duplicates", "hard_duplicates") for d in cust.get(key, [])]
    return cluster_pairs(links)


def merge_accuracy(merge_log: pl.DataFrame, truth: Mapping[str, Any]) -> dict[str, Any]:
    """Precision and recall of the merged pairs against the truth, per kind of duplicate
    (``recall_by_kind``), and the strangers merged (``stranger_merges``: ids)."""
    got = cluster_pairs(merge_log.select("duplicate_id", "kept_id").iter_rows())
    want = truth_pairs(truth)
    tp = got & want
    cust = truth.get("dirty", {}).get("customers", truth) if "dirty" in truth else truth
    strangers = {d["customer_id"] for d in cust.get("non_duplicates", [])}
    merged_ids = set(merge_log.get_column("duplicate_id")) | set(merge_log.get_column("kept_id"))
    by_kind: dict[str, list[int]] = {}
    for key in ("duplicates", "hard_duplicates"):
        for d in cust.get(key, []):
            kind = d.get("kind", "simple")
            hit = tuple(sorted((d["duplicate_id"], d["original_id"]))) in got
            by_kind.setdefault(kind, [0, 0])[0] += int(hit)
            by_kind[kind][1] += 1
    return {"merged_pairs": len(got), "true_pairs": len(want), "correct_pairs": len(tp),
            "precision": len(tp) / len(got) if got else 1.0,
            "recall": len(tp) / len(want) if want else 1.0,
            "recall_by_kind": {k: {"found": f, "of": n, "recall": f / n}
                               for k, (f, n) in sorted(by_kind.items())},
            "stranger_merges": sorted(strangers & merged_ids),
            "wrong_pairs": sorted(got - want)}
