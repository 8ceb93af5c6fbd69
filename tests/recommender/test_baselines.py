import numpy as np

from recommender.baselines import ItemKNN, Popularity
from tests.recommender.suite import RecommenderSuite, planted_interactions


class TestPopularity(RecommenderSuite):
    learns_clusters = False

    def make_model(self):
        return Popularity()


class TestRecentPopularity(RecommenderSuite):
    learns_clusters = False

    def make_model(self):
        return Popularity(recent_days=1.0)


class TestItemKNN(RecommenderSuite):
    def make_model(self):
        return ItemKNN(n_neighbors=10)


def test_popularity_ranks_by_count():
    data = planted_interactions()
    model = Popularity().fit(data)
    counts = np.asarray(data.matrix.sum(axis=0)).ravel()
    assert model.scores_.argmax() == counts.argmax()


def test_knn_similarity_is_cosine_reference():
    data = planted_interactions()
    model = ItemKNN(n_neighbors=data.n_items).fit(data)
    X = data.matrix.toarray()
    n = np.linalg.norm(X, axis=0)
    ref = (X.T @ X) / np.outer(n, n)
    np.fill_diagonal(ref, 0)
    np.testing.assert_allclose(model.similarity_.toarray(), ref, atol=1e-5)
