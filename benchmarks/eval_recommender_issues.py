"""Does the issue re-ranking help? A time-based check on KMRD-small.

    python benchmarks/eval_recommender.py --dataset kmrd --seeds 5   # runs this after the table

No issue feed exists for the movie-rating data, so the feed is *simulated from the data
itself, using only interactions before the feed time*: items whose positives in the last
``window_days`` surge against their rate in the ``baseline_days`` before become "issues"
(keyword = the movie title, score = the surge z-score, state rising, onset = first
positive in the window). This stands in for "the portal's issue detector is talking about
this movie"; it is a proxy, and the lift measured here is the lift of that proxy.

Protocol: validation cut ``t_val`` and test cut ``t_test`` (quantiles of time). The
ensemble trained before ``t_val`` re-ranks its candidates with the feed at ``t_val``;
the weight with the best validation NDCG@20 (0 included) is then applied, unchanged, to
the ensemble trained before ``t_test`` with the feed at ``t_test``, and NDCG@20 /
Recall@20 on the test window are reported with and without the boost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.data import Interactions
from recommender.ensemble import Ensemble
from recommender.issue_features import (choose_issue_weight, issues_from_feed, item_boosts,
                                        item_issue_features, rerank)
from recommender.metrics import ndcg_at_k, recall_at_k
from recommender.serving import ensemble_candidates
from recommender.splits import time_split


def simulated_feed(data: Interactions, at: float, window_days: float = 30.0, baseline_days: float = 365.0,
                   top_n: int = 20, min_recent: int = 3) -> dict:
    t = data.times.tocoo()
    day = 86400.0
    recent = (t.data >= at - window_days * day) & (t.data < at)
    base = (t.data >= at - (window_days + baseline_days) * day) & (t.data < at - window_days * day)
    n = data.n_items
    rc = np.bincount(t.col[recent], minlength=n).astype(float)
    expected = np.bincount(t.col[base], minlength=n) * (window_days / baseline_days)
    surge = (rc - expected) / np.sqrt(expected + 1.0)
    order = [i for i in np.argsort(-surge) if rc[i] >= min_recent and surge[i] > 0][:top_n]
    titles = data.items.set_index("item_id")["title"] if data.items is not None else pd.Series(dtype=str)
    iso = lambda s: pd.Timestamp(s, unit="s", tz="UTC").isoformat()
    entries = []
    for rank, i in enumerate(order, 1):
        item_id = data.item_ids[i]
        onset = t.data[recent & (t.col == i)].min()
        title = str(titles.get(item_id, item_id))
        entries.append({"issue_id": f"sim-{item_id}", "rank": rank, "title": title, "keyword": title,
                        "score": float(surge[i]), "post_ids": [], "state": "rising", "onset": iso(onset)})
    return {"hour": iso(at), "channels": {"home": entries}}


def _boost(data: Interactions, at: float, half_life_hours: float, **feed_kw):
    feed = simulated_feed(data, at, **feed_kw)
    feats = item_issue_features(data.items, issues_from_feed(feed), feed["hour"])
    boost, _ = item_boosts(feats, data.item_ids, half_life_hours)
    return boost, len(feed["channels"]["home"])


def evaluate_issue_rerank(data: Interactions, make_members, t_val: float, t_test: float,
                          half_life_hours: float = 24.0 * 30, n_candidates: int = 40, **feed_kw) -> dict:
    """Weight chosen on [t_val, t_test), applied on [t_test, end). Returns the numbers to report."""
    before_test, test = time_split(data, t_test)
    train_v, val = time_split(before_test, t_val)
    ens_v = Ensemble(make_members()).fit(train_v)
    cands_v = ensemble_candidates(ens_v, val.fold_in, n_candidates)
    boost_v, n_issues_v = _boost(train_v, t_val, half_life_hours, **feed_kw)
    choice = choose_issue_weight(cands_v.item_idx, val.target, boost_v, k=20)

    ens_t = Ensemble(make_members()).fit(before_test)
    cands_t = ensemble_candidates(ens_t, test.fold_in, n_candidates)
    boost_t, n_issues_t = _boost(before_test, t_test, half_life_hours, **feed_kw)
    out = {"weight": choice["weight"], "val_ndcg@20_without": choice["ndcg_without"],
           "val_ndcg@20_with": choice["ndcg"], "val_lift": choice["lift"],
           "val_users": val.n_users, "test_users": test.n_users,
           "issues_val": n_issues_v, "issues_test": n_issues_t,
           "boosted_items_test": int((boost_t > 0).sum())}
    for label, w in (("without", 0.0), ("with", choice["weight"])):
        ranked, _ = rerank(cands_t.item_idx, boost_t, w, 20)
        out[f"test_ndcg@20_{label}"] = ndcg_at_k(ranked, test.target, 20)
        out[f"test_recall@20_{label}"] = recall_at_k(ranked, test.target, 20)
    out["test_lift_ndcg@20"] = out["test_ndcg@20_with"] - out["test_ndcg@20_without"]
    return out


def format_issue_report(r: dict) -> str:
    lines = ["issue re-ranking (simulated feed from the data's own surges; weight chosen on validation):"]
    lines.append(f"  validation: {r['val_users']} users, {r['issues_val']} issues; NDCG@20 "
                 f"{r['val_ndcg@20_without']:.4f} -> {r['val_ndcg@20_with']:.4f} at weight {r['weight']}")
    lines.append(f"  test: {r['test_users']} users, {r['issues_test']} issues, {r['boosted_items_test']} boosted "
                 f"items; NDCG@20 {r['test_ndcg@20_without']:.4f} -> {r['test_ndcg@20_with']:.4f} "
                 f"(lift {r['test_lift_ndcg@20']:+.4f}); Recall@20 {r['test_recall@20_without']:.4f} -> "
                 f"{r['test_recall@20_with']:.4f}")
    if r["weight"] == 0:
        lines.append("  => the lift is nil: validation chose weight 0, the boost is off")
    return "\n".join(lines)
