"""k-means clusters on standardised log-RFM, with k chosen by the silhouette, and their profiles."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..errors import DataError, ModelError, UsageError
from ..frames import as_polars
from ..sampling import sample_rows
from . import labels
from .metrics import no_nulls

__all__ = ["RFMClusterer", "cluster_profiles"]


class RFMClusterer(BaseEstimator):
    """k-means on standardised log-RFM features, with k chosen by the silhouette score.

    Features: ``log1p(recency_days)``, ``log1p(frequency)``, ``log1p(max(monetary, 0))``,
    each standardised (mean 0, sd 1).  For every k in ``k_range`` a k-means with
    ``n_init`` starts and ``random_state`` is fitted; the silhouette is computed on a
    random sample of at most ``silhouette_sample`` customers (the same sample for every
    k).  With more than ``fit_sample`` customers (None: never) the k-means models are
    fitted on a seeded sample of that many and every customer gets the nearest centre
    (k-means costs rows x k x starts; a hundred thousand rows place three-feature centres
    as well as a million).  The k with the highest silhouette wins (the smallest k on a tie).  Clusters are
    renumbered 0, 1, ... by mean monetary, highest first, so cluster 0 is always the
    highest-spending group.

    A scikit-learn estimator (parameters stored as given, checked in :meth:`fit`).
    Learned attributes: ``k_``, ``silhouettes_`` (k -> score), ``scaler_``, ``model_``,
    ``labels_`` (of the fitted rows), ``order_`` (k-means label -> cluster number).
    """

    FEATURES = ("recency_days", "frequency", "monetary")

    def __init__(self, k_range: Sequence[int] = range(3, 9), random_state: int = 0,
                 silhouette_sample: int = 3000, n_init: int = 10,
                 fit_sample: int | None = None):
        self.k_range = k_range
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.fit_sample = fit_sample

    def _features(self, metrics: Any) -> np.ndarray:
        m = as_polars(metrics, "metrics", list(self.FEATURES))
        no_nulls(m, list(self.FEATURES), "metrics (customers with a purchase)")
        r = m.get_column("recency_days").cast(pl.Float64).to_numpy()
        f = m.get_column("frequency").cast(pl.Float64).to_numpy()
        v = m.get_column("monetary").cast(pl.Float64).clip(lower_bound=0).to_numpy()
        return np.column_stack([np.log1p(r), np.log1p(f), np.log1p(v)])

    def fit(self, metrics: Any, y: None = None) -> RFMClusterer:
        """Fit on customers with a purchase (rows of ``metrics``; null recency is an error)."""
        ks = sorted(int(k) for k in self.k_range)
        if not ks or ks[0] < 2:
            raise UsageError(f"k_range {list(self.k_range)} must hold cluster counts of 2 or "
                             f"more.")
        if self.silhouette_sample < 2:
            raise UsageError(f"silhouette_sample {self.silhouette_sample} must be 2 or more.")
        if self.fit_sample is not None and self.fit_sample < 2:
            raise UsageError(f"fit_sample {self.fit_sample} must be 2 or more, or None.")
        x = self._features(metrics)
        n = len(x)
        ks = [k for k in ks if k < n]
        distinct = _distinct_rows(x)
        if not ks or distinct < 2:
            raise ModelError(
                f"clustering needs more distinct customers than clusters: {n} customers "
                f"({distinct} distinct RFM profiles) for k in {list(self.k_range)}."
            )
        # One native thread: on a busy machine OpenMP threads spin and k-means gets ~50x
        # slower; the data here (three features) is far too small to gain from threads.
        with threadpool_limits(limits=1):
            self._fit(x, ks, distinct)
        return self

    def _fit(self, x: np.ndarray, ks: list[int], distinct: int) -> None:
        n = len(x)
        self.scaler_ = StandardScaler().fit(x)
        z = self.scaler_.transform(x)
        rng = np.random.default_rng(self.random_state)
        sample = (rng.choice(n, size=self.silhouette_sample, replace=False)
                  if n > self.silhouette_sample else np.arange(n))
        # The fit sample has its own seeded stream: the silhouette sample stays as before.
        fit_rows = sample_rows(n, self.fit_sample, [self.random_state, 1])
        silhouettes: dict[int, float] = {}
        models: dict[int, Any] = {}
        labels_by_k: dict[int, np.ndarray] = {}
        tried = [k for k in ks if k < distinct]
        # The k are independent fits: one per core at a time, each single-threaded (the
        # same models as one after the other, in the time of one per core).
        workers = min(len(tried), os.cpu_count() or 1)
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                fitted = list(pool.map(lambda k: self._kmeans(z, fit_rows, k), tried))
        else:
            fitted = [self._kmeans(z, fit_rows, k) for k in tried]
        for k, (km, found) in zip(tried, fitted, strict=True):
            if len(np.unique(found[sample])) < 2:
                continue
            silhouettes[k] = float(silhouette_score(z[sample], found[sample]))
            models[k] = km
            labels_by_k[k] = found
        if not silhouettes:
            raise ModelError("clustering: no k gave two or more clusters; the customers are "
                             "too alike.")
        self.silhouettes_ = silhouettes
        self.k_ = max(silhouettes, key=lambda k: (silhouettes[k], -k))
        self.model_ = models[self.k_]
        raw = labels_by_k[self.k_]
        means = [x[raw == j, 2].mean() for j in range(self.k_)]
        ranking = np.argsort(-np.asarray(means), kind="stable")
        self.order_ = {int(j): int(pos) for pos, j in enumerate(ranking)}
        self.labels_ = self._renumber(raw)

    def _renumber(self, raw: np.ndarray) -> np.ndarray:
        """k-means labels -> cluster numbers (``order_``), by one lookup table."""
        lut = np.array([self.order_[j] for j in range(len(self.order_))], dtype=np.int64)
        return lut[raw]

    def _kmeans(self, z: np.ndarray, fit_rows: np.ndarray | None,
                k: int) -> tuple[KMeans, np.ndarray]:
        """One k-means model with ``k`` clusters and the labels of every row of ``z``."""
        with threadpool_limits(limits=1):  # OpenMP's limit holds for the calling thread
            km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)
            found = km.fit(z).labels_ if fit_rows is None else km.fit(z[fit_rows]).predict(z)
        return km, found

    def predict(self, metrics: Any) -> np.ndarray:
        """Cluster number of each row of ``metrics``."""
        check_is_fitted(self, "model_")
        with threadpool_limits(limits=1):
            raw = self.model_.predict(self.scaler_.transform(self._features(metrics)))
        return self._renumber(raw)


def _distinct_rows(x: np.ndarray) -> int:
    """The number of distinct rows of ``x`` (like ``len(np.unique(x, axis=0))``, -0.0 equal
    to 0.0), by hashing rather than a sort of all rows."""
    frame = pl.DataFrame(x + 0.0, schema=[f"f{i}" for i in range(x.shape[1])], orient="row"
                         ) if x.ndim == 2 else pl.DataFrame({"f0": x + 0.0})
    return frame.n_unique()


def _level(z: float) -> str:
    if z > 1.0:
        return "vhigh"
    if z > 0.35:
        return "high"
    if z < -1.0:
        return "vlow"
    return "low" if z < -0.35 else "mid"


def cluster_profiles(table: Any, *, cluster_col: str = "cluster", lang: str = "en",
                     customer_id_col: str = "customer_id") -> pl.DataFrame:
    """Plain-language profile of each cluster, e.g. "high spend, recent, frequent: 812
    customers, 54% of revenue".

    Levels compare the cluster's mean of each log feature with all clustered customers,
    in standard deviations: above +1 very high, above +0.35 high, below -0.35 low, below
    -1 very low, else middle (for recency, high means *recent*).  Returns ``cluster,
    customers, customer_share, revenue, revenue_share, mean_recency_days, mean_frequency,
    mean_monetary, description``.
    """
    t = as_polars(table, "table", [cluster_col, "recency_days", "frequency", "monetary"])
    t = t.filter(pl.col(cluster_col).is_not_null())
    if t.height == 0:
        raise DataError("cluster_profiles: no clustered customer in the table.")
    logs = t.select(
        pl.col(cluster_col),
        (-pl.col("recency_days").cast(pl.Float64).log1p()).alias("_r"),
        pl.col("frequency").cast(pl.Float64).log1p().alias("_f"),
        pl.col("monetary").clip(lower_bound=0).cast(pl.Float64).log1p().alias("_m"),
    )
    stats = {}
    for c in ("_r", "_f", "_m"):
        col = logs.get_column(c)
        mu, sd = col.mean(), col.std()
        stats[c] = (float(mu) if isinstance(mu, (int, float)) else 0.0,
                    float(sd) if isinstance(sd, (int, float)) and sd else 1.0)
    z = logs.group_by(cluster_col).agg([((pl.col(c).mean() - mu) / sd).alias(c)
                                       for c, (mu, sd) in stats.items()])
    total_rev = float(t.get_column("monetary").clip(lower_bound=0).sum()) or 1.0
    prof = t.group_by(cluster_col).agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().alias("revenue"),
        pl.col("recency_days").mean().alias("mean_recency_days"),
        pl.col("frequency").mean().alias("mean_frequency"),
        pl.col("monetary").mean().alias("mean_monetary"),
    ).join(z, on=cluster_col).sort(cluster_col)
    prof = prof.with_columns(
        (pl.col("customers") / t.height).alias("customer_share"),
        (pl.col("revenue").clip(lower_bound=0) / total_rev).alias("revenue_share"),
    )
    sep = labels.t("list_sep", lang)
    descs = []
    for row in prof.iter_rows(named=True):
        parts = [labels.t(f"lvl.spend.{_level(row['_m'])}", lang),
                 labels.t(f"lvl.recency.{_level(row['_r'])}", lang),
                 labels.t(f"lvl.frequency.{_level(row['_f'])}", lang)]
        descs.append(_describe(sep.join(parts), row["customers"],
                                      100 * row["revenue_share"], lang))
    return prof.with_columns(pl.Series("description", descs)).select(
        cluster_col, "customers", "customer_share", "revenue", "revenue_share",
        "mean_recency_days", "mean_frequency", "mean_monetary", "description")


def _describe(levels: str, customers: int, share: float, lang: str) -> str:
    """One cluster's description: its levels, size and share of revenue."""
    return labels.t("cluster_profile", lang).format(levels=levels, customers=customers,
                                                   share=share)
