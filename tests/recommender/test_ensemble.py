from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from recommender.baselines import ItemKNN, Popularity
from recommender.ease import EASE
from recommender.ensemble import Ensemble, hard_vote, reciprocal_rank_fusion
from tests.recommender.suite import RecommenderSuite


def members():
    return [EASE(l2=5.0), ItemKNN(n_neighbors=10), Popularity()]


class TestVotingEnsemble(RecommenderSuite):
    def make_model(self):
        return Ensemble(members())

    def test_include_seen_allowed(self, fitted, data):
        ids, _ = fitted.recommend(data.user_ids[:3], k=50, exclude_seen=False)
        assert ids.shape == (3, 20)

    def test_k_clipped_and_tail_is_minus_inf(self, fitted, data):
        ids, scores = fitted.recommend(data.user_ids[:2], k=100)
        assert ids.shape[1] == 20 and np.isfinite(scores[:, 0]).all()
        assert all((s is None) == np.isneginf(v) for r, sr in zip(ids, scores) for s, v in zip(r, sr))


class TestRRFEnsemble(RecommenderSuite):
    def make_model(self):
        return Ensemble(members(), method="rrf")


def slow_vote(lists, per_model_k, max_items):
    out = []
    for u in range(lists[0].shape[0]):
        votes, ranks = defaultdict(int), defaultdict(list)
        for lst in lists:
            for r, item in enumerate(lst[u][:per_model_k]):
                if item >= 0:
                    votes[item] += 1
                    ranks[item].append(r + 1)
        order = sorted(votes, key=lambda i: (-votes[i], np.mean(ranks[i]), i))
        out.append(order[:max_items])
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 12), st.integers(1, 8), st.data())
def test_hard_vote_matches_slow_reference(n_members, n_users, n_items, per_k, data):
    lists = []
    for _ in range(n_members):
        rows = []
        for _ in range(n_users):
            n = data.draw(st.integers(0, min(per_k, n_items)))
            perm = data.draw(st.permutations(range(n_items)))[:n]
            rows.append(list(perm) + [-1] * (per_k - n))
        lists.append(np.array(rows, dtype=np.int64).reshape(n_users, per_k))
    res = hard_vote(lists, n_items, per_model_k=per_k, max_items=5)
    ref = slow_vote(lists, per_k, 5)
    for u in range(n_users):
        got = [i for i in res.item_idx[u] if i >= 0]
        assert got == ref[u]
        assert np.all(np.diff(res.scores[u][: len(got)]) <= 0)


def test_vote_result_names_the_voters():
    a = np.array([[1, 2]]); b = np.array([[2, 3]])
    res = hard_vote([a, b], 5, per_model_k=2, max_items=3, member_names=["ease", "recvae"])
    assert res.item_idx[0].tolist() == [2, 1, 3]
    assert res.voter_names(0, 0) == ["ease", "recvae"] and res.voter_names(0, 2) == ["recvae"]
    assert res.votes[0].tolist() == [2, 1, 1]


def test_rrf_hand_computed():
    a = np.array([[0, 1]]); b = np.array([[1, 2]])
    idx, val = reciprocal_rank_fusion([a, b], 3, k=3, c=1.0)
    assert idx[0].tolist() == [1, 0, 2]
    np.testing.assert_allclose(val[0], [1 / 3 + 1 / 2, 1 / 2, 1 / 3], rtol=1e-6)


def test_rejects_duplicate_member_names(request):
    from tests.recommender.suite import planted_interactions
    with pytest.raises(ValueError, match="unique"):
        Ensemble([EASE(), EASE()]).fit(planted_interactions())
