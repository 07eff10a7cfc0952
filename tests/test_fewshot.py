"""Prototype few-shot classification, episodes with confidence intervals, embedding projections."""
import numpy as np
import pytest

from clskit.views.displays import EmbeddingDisplay
from clskit.lessons.fewshot import evaluate_episodes, prototype_classify, prototypes, sample_episode
from clskit.views.displays import project_2d


def blobs(n_classes=6, n=20, d=16, spread=1.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (n_classes, d))
    x = np.concatenate([c + spread * rng.normal(size=(n, d)) for c in centres])
    return x, np.repeat(np.arange(n_classes), n)


def test_euclidean_prototypes_match_nearest_centroid():
    from sklearn.neighbors import NearestCentroid

    x, y = blobs(spread=3.0)
    s, q = np.arange(0, len(y), 2), np.arange(1, len(y), 2)
    ours = prototype_classify(x[s], y[s], x[q], metric="euclidean")
    np.testing.assert_array_equal(ours, NearestCentroid().fit(x[s], y[s]).predict(x[q]))


def test_cosine_prototypes_ignore_scale():
    x, y = blobs()
    scaled = x * np.random.default_rng(1).uniform(0.1, 10, (len(x), 1))
    np.testing.assert_array_equal(prototype_classify(x, y, x), prototype_classify(scaled, y, scaled))
    classes, protos = prototypes(x, y)
    assert classes.tolist() == list(range(6)) and protos.shape == (6, 16)


def test_episode_sampling_is_disjoint_and_balanced():
    _, y = blobs()
    s, q = sample_episode(y, 4, 3, 5, np.random.default_rng(0))
    assert len(s) == 12 and len(q) == 20 and not set(s) & set(q)
    assert len(set(y[s])) == 4 and set(y[s]) == set(y[q])
    assert np.bincount(y[q])[np.unique(y[q])].tolist() == [5] * 4
    with pytest.raises(ValueError, match="Lower n_way"):
        sample_episode(y, 10, 1, 5, np.random.default_rng(0))


def test_episode_accuracy_and_confidence_interval():
    x, y = blobs(spread=4.0)
    one = evaluate_episodes(x, y, n_way=5, k_shot=1, n_query=5, episodes=100, seed=0)
    five = evaluate_episodes(x, y, n_way=5, k_shot=5, n_query=5, episodes=100, seed=0)
    assert 0.2 < one.mean < five.mean <= 1.0          # more shots, better prototypes
    acc = one.accuracies
    assert one.ci95 == pytest.approx(1.96 * acc.std(ddof=1) / np.sqrt(len(acc)))
    assert evaluate_episodes(x, y, n_way=5, k_shot=1, n_query=5, episodes=100, seed=0).mean == one.mean
    assert "5-way 1-shot" in repr(one)


def test_projection_and_display():
    from sklearn.decomposition import PCA

    x, y = blobs(n_classes=3, n=10)
    np.testing.assert_allclose(np.abs(project_2d(x)), np.abs(PCA(2).fit_transform(x)), atol=1e-3)
    assert project_2d(x, "tsne").shape == (30, 2)
    with pytest.raises(ValueError, match="pca"):
        project_2d(x, "umap")
    import matplotlib
    matplotlib.use("Agg")
    disp = EmbeddingDisplay.from_embeddings(x, y, ["a", "b", "c"]).plot()
    assert len(disp.ax_.collections) == 3
