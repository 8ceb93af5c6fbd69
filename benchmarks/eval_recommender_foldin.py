"""The fold-in protocol: serve users as the portal would, after a time cut (issue 15).

    python benchmarks/eval_recommender.py --protocol foldin --dataset kmrd
    python benchmarks/eval_recommender.py --protocol foldin --dataset ml100k

* Train ``issuewire train-recommender``'s own pipeline (``recommender.shell.train_recommender``,
  default settings) on every interaction before the cut (the ``--cut-quantile`` of interaction
  times, 0.9 by default).
* Every user with a liked item after the cut is a test user. Their later interactions, in time
  order, are split in two: the first half (``floor(n / 2)``, liked or not) is folded in, as
  ``recommend --interactions`` would; the liked items of the second half are the target.
* Users are **known** (in the trained model), **light** (in the training file, too few likes
  for the model) or **new** (not in the training file).
* Lists (top 20, never an item the user touched): ``served`` (what ``recommend`` exports, before
  issue re-ranking: fold-in for users with a usable history, the popular-and-trending fallback
  for the others), ``ease_foldin`` (the served model's EASE on the same history; a user with no
  usable history gets nothing), ``pop`` (all-time popularity before the cut), ``pop_recent``
  (the last 30 days before the cut).
* Recall@20 (denominator ``min(20, |target|)``, the target counted over all items, also those the
  model does not know) and NDCG@20 over **all** test users: an unserved user scores 0;
  ``coverage`` is the share of test users with a non-empty list.
"""
from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.base import top_k
from recommender.data import DataSettings, events
from recommender.shell import ModelStore, RecommenderSettings, serve_lists, train_recommender

K = 20


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def split_later(liked_later: pd.DataFrame, touched_later: pd.DataFrame):
    """Per later user: (fold-in touched rows, fold-in liked rows, target item set)."""
    touched_later = touched_later.sort_values(["user_id", "timestamp"], kind="stable")
    touched_later = touched_later.assign(pos=touched_later.groupby("user_id").cumcount(),
                                         n=touched_later.groupby("user_id")["item_id"].transform("size"))
    first = touched_later[touched_later["pos"] < touched_later["n"] // 2]
    second = touched_later[touched_later["pos"] >= touched_later["n"] // 2]
    liked_key = set(zip(liked_later["user_id"], liked_later["item_id"]))
    is_liked = lambda d: np.array([k in liked_key for k in zip(d["user_id"], d["item_id"])], dtype=bool)
    fold_liked = first[is_liked(first)] if len(first) else first
    targets = second[is_liked(second)] if len(second) else second
    target_sets = targets.groupby("user_id")["item_id"].agg(set)
    cols = ["user_id", "item_id", "timestamp"]
    return first[cols], fold_liked[cols], target_sets


def metrics(lists: dict, targets: pd.Series) -> dict:
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    rec, ndcg, served = [], [], 0
    for user, target in targets.items():
        items = lists.get(user, [])[:K]
        served += bool(len(items))
        hits = np.array([i in target for i in items], dtype=float)
        n_ideal = min(K, len(target))
        rec.append(hits.sum() / n_ideal)
        ndcg.append((hits * disc[:len(hits)]).sum() / disc[:n_ideal].sum())
    n = max(len(targets), 1)
    return {"recall@20": float(np.sum(rec) / n), "ndcg@20": float(np.sum(ndcg) / n), "coverage": served / n,
            "users": len(targets)}


def evaluate_foldin(df: pd.DataFrame, items: pd.DataFrame | None, threshold: float, cut_quantile: float = 0.9,
                    threads: int = 1, seed: int = 0) -> dict:
    df = df.assign(user_id=df["user_id"].astype(str), item_id=df["item_id"].astype(str))
    cut = float(np.quantile(df["timestamp"].to_numpy(float), cut_quantile))
    before, after = df[df["timestamp"] < cut], df[df["timestamp"] >= cut]
    s = RecommenderSettings(data=DataSettings(rating_threshold=threshold), threads=threads, seed=seed,
                            progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "before.csv"
        before.to_csv(path, index=False)
        s = RecommenderSettings(**{**s.__dict__, "model_dir": str(Path(tmp) / "models")})
        cpu0, wall0 = _cpu(), time.perf_counter()
        out = train_recommender(s, path)
        train = {"wall_s": time.perf_counter() - wall0, "cpu_s": _cpu() - cpu0, "served": out["served"],
                 "margin": out["margin"], "runner_up": out["runner_up"], "ease_l2": out["ease_l2"],
                 "validation_users": out["validation_users"]}
        bundle = ModelStore(s.model_dir).load_current()
        train["validation_ndcg"] = out["metrics"]["ndcg@20"]
        train["vaes"] = bundle.get("training", {})
        train["load"] = os.getloadavg()[0]
    liked_l, touched_l = events(after, s.data)
    fold_touched, fold_liked, targets = split_later(liked_l, touched_l)
    store = bundle["history"]
    model_users = set(bundle["ensemble"].train_.user_ids.astype(str))
    file_users = set(before["user_id"])
    kind = pd.Series({u: "known" if u in model_users else "light" if u in file_users else "new"
                      for u in targets.index})
    users = targets.index.to_numpy(object)
    merged = store.merged(fold_liked, fold_touched)
    item_ids = store.item_ids
    n_items = len(item_ids)
    # fallback and popularity from what was known at the cut (the fold-in halves lie after it)
    from recommender.foldin import popular_and_trending
    fb = popular_and_trending(store, cut, None, s.fallback)
    records, counts = serve_lists(bundle, merged, users, s, np.zeros(n_items, np.float32),
                                  np.full(n_items, "", dtype=object), 0.0, {}, now=cut, fallback_scores=fb)
    lists = {"served": {r["user_id"]: [i["item_id"] for i in r["items"]] for r in records}}
    liked, touched, _ = merged.rows(users)
    ens = bundle["ensemble"]
    ease = ens.members[ens.member_names.index("ease")]
    has = np.diff(liked.indptr) > 0
    idx, val = ease.recommend_history(liked, K, exclude=touched)
    lists["ease_foldin"] = {u: [item_ids[i] for i, v in zip(idx[r], val[r]) if np.isfinite(v)]
                            for r, u in enumerate(users) if has[r]}
    lt = store.liked_times.tocoo()
    for name, mask in (("pop", np.ones(lt.nnz, bool)), ("pop_recent", lt.data >= cut - 30 * 86400.0)):
        counts_i = np.bincount(lt.col[mask], minlength=n_items).astype(np.float32)
        scores = np.tile(counts_i, (len(users), 1))
        r_, c_ = touched.nonzero()
        scores[r_, c_] = -np.inf
        pidx, pval = top_k(scores, K)
        lists[name] = {u: [item_ids[i] for i, v in zip(pidx[r], pval[r]) if np.isfinite(v)]
                       for r, u in enumerate(users)}
    table = {}
    for group in ("all", "known", "light", "new"):
        sel = targets if group == "all" else targets[kind[targets.index] == group]
        table[group] = {name: metrics(l, sel) for name, l in lists.items()}
    return {"cut": pd.Timestamp(cut, unit="s").isoformat(), "train": train, "table": table, "counts": counts}


def format_foldin(name: str, result: dict) -> str:
    t = result["train"]
    lines = [f"**{name}, fold-in protocol** (cut {result['cut']}; train-recommender {t['wall_s']:.1f} s wall, "
             f"{t['cpu_s']:.1f} s CPU; served list `{t['served']}` chosen on {t['validation_users']} validation "
             f"users (its NDCG@20 {t['validation_ndcg']:.4f}), {t['margin']:+.4f} over `{t['runner_up']}`; "
             f"EASE ridge {t['ease_l2']:g}; "
             + "; ".join(f"{n} {v['epochs']} epochs ({v['stopped']})" for n, v in t.get("vaes", {}).items())
             + f"; load average {t['load']:.1f})", "",
             "| users | n | list | recall@20 | ndcg@20 | coverage |", "|---|---|---|---|---|---|"]
    for group, rows in result["table"].items():
        for list_name, m in rows.items():
            lines.append(f"| {group} | {m['users']} | {list_name} | {m['recall@20']:.4f} | {m['ndcg@20']:.4f} | "
                         f"{m['coverage']:.1%} |")
    return "\n".join(lines)
