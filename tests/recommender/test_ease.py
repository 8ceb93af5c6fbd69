import numpy as np
import pytest

from recommender.base import ModelTooLargeError
from recommender.ease import EASE
from tests.recommender.suite import RecommenderSuite, planted_interactions


class TestEASE(RecommenderSuite):
    def make_model(self):
        return EASE(l2=5.0)


def test_matches_float64_inverse_reference():
    data = planted_interactions()
    model = EASE(l2=5.0).fit(data)
    X = data.matrix.toarray().astype(np.float64)
    P = np.linalg.inv(X.T @ X + 5.0 * np.eye(data.n_items))
    B = np.eye(data.n_items) - P / np.diag(P)
    np.testing.assert_allclose(model.weights_, B, atol=1e-4)
    assert model.weights_.dtype == np.float32


def test_refuses_too_many_items():
    with pytest.raises(ModelTooLargeError, match="exceed the limit"):
        EASE(memory_budget_bytes=10 * 10 * 12).fit(planted_interactions())
