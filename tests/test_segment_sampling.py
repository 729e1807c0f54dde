"""k-means fitted on a sample of customers: the same clusters, seeded, every customer assigned."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from workbench import segment as sg
from workbench.errors import UsageError
from workbench.segment.clusters import RFMClusterer


@pytest.fixture(scope="module")
def metrics():
    rng = np.random.default_rng(11)
    n = 30_000
    group = rng.integers(0, 4, n)
    return pl.DataFrame({
        "recency_days": np.exp(rng.normal(np.array([1.5, 3.0, 4.5, 5.5])[group], 0.5)).round(),
        "frequency": np.exp(rng.normal(np.array([2.5, 1.5, 0.7, 0.1])[group], 0.4)).round(),
        "monetary": np.exp(rng.normal(np.array([9.0, 7.5, 6.5, 5.0])[group], 0.5)),
    })


def test_a_sampled_fit_finds_the_same_clusters(metrics):
    full = RFMClusterer(k_range=[4], n_init=4).fit(metrics)
    part = RFMClusterer(k_range=[4], n_init=4, fit_sample=5_000).fit(metrics)
    assert part.labels_.shape == (metrics.height,)          # every customer assigned
    assert adjusted_rand_score(full.labels_, part.labels_) > 0.95
    np.testing.assert_array_equal(part.predict(metrics), part.labels_)
    # Cluster 0 is the highest-spending group in both.
    m = metrics.get_column("monetary").to_numpy()
    assert m[part.labels_ == 0].mean() == max(m[part.labels_ == j].mean() for j in range(4))
    again = RFMClusterer(k_range=[4], n_init=4, fit_sample=5_000).fit(metrics)
    np.testing.assert_array_equal(again.labels_, part.labels_)
    other = RFMClusterer(k_range=[4], n_init=4, fit_sample=5_000, random_state=1).fit(metrics)
    assert adjusted_rand_score(other.labels_, part.labels_) > 0.95


def test_a_sample_larger_than_the_data_is_the_full_fit(metrics):
    small = metrics.head(2_000)
    a = RFMClusterer(k_range=[3, 4], n_init=2).fit(small)
    b = RFMClusterer(k_range=[3, 4], n_init=2, fit_sample=10_000).fit(small)
    assert a.k_ == b.k_ and a.silhouettes_ == b.silhouettes_
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_cluster_sample_setting():
    assert sg.SegmentSettings().cluster_sample == 100_000
    assert sg.SegmentSettings.from_mapping({"cluster_sample": None}).cluster_sample is None
    with pytest.raises(UsageError, match="segmentation.cluster_sample"):
        sg.SegmentSettings.from_mapping({"cluster_sample": 10})
    with pytest.raises(UsageError, match="fit_sample"):
        RFMClusterer(fit_sample=1).fit(pl.DataFrame({"recency_days": [1.0, 2.0, 3.0, 9.0],
                                                     "frequency": [1, 2, 3, 4],
                                                     "monetary": [1.0, 5.0, 9.0, 20.0]}))
