"""Offline evaluation of every recommender model, the baselines and the ensemble.

    python benchmarks/eval_recommender.py --dataset ml100k --seeds 5
    python benchmarks/eval_recommender.py --dataset kmrd --seeds 5 --threads 1

* ``ml100k``: strong generalization - per seed, 10% of users for validation and 10% for
  test are held out of training; each held-out user's items are split 80/20 into fold-in
  and target, and all items are ranked (seen items excluded).
* ``kmrd``: KMRD-small (10-point ratings, positives >= 6) with one global time split - the
  last ``--test-share`` of interactions (by time) are the test targets of users who also have
  earlier interactions; seeds change only the models' initialisation. Early stopping uses
  the models' own random user holdout inside the training period.

Positives: ratings >= 3 of 5 (>= 6 of 10); users and items with >= 10 positives (iterative).
Metrics: Recall@20, NDCG@20, Hit@10, coverage@20 on each list; NDCG@100 on each model's
top-100 and, for the ensemble, on the reciprocal-rank-fused list. ``ensemble`` is hard
voting of EASE, RecVAE and Mult-VAE top-10s into up to 20 items (shorter when the members
agree), ``ensemble_rrf`` the fused list, ``ensemble_vote+fill`` the vote followed by the fused
list (what ``issuewire recommend`` serves before issue re-ranking). On ``kmrd`` the issue
re-ranking check of ``eval_recommender_issues.py`` follows the table.
Table: mean +- standard deviation over seeds; ``fit_s`` is training wall time.
EASE's ridge was chosen on validation data: 200 on ml100k (validation users of seed 0),
2000 on kmrd (a time window before the test cut). RecVAE runs at most 30 epochs (each is 3
encoder passes + 1 decoder pass; patience 5) and Mult-VAE 200 (patience 20) to keep the
command within minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval_recommender_datasets import load_kmrd, load_ml100k  # noqa: E402
from eval_recommender_issues import evaluate_issue_rerank, format_issue_report  # noqa: E402

from recommender.baselines import ItemKNN, Popularity  # noqa: E402
from recommender.data import DataSettings, Interactions, data_fingerprint  # noqa: E402
from recommender.ease import EASE  # noqa: E402
from recommender.ensemble import hard_vote, reciprocal_rank_fusion  # noqa: E402
from recommender.metrics import evaluate_ranking, ndcg_at_k  # noqa: E402
from recommender.mult_vae import MultVAE  # noqa: E402
from recommender.recvae import RecVAE  # noqa: E402
from recommender.serving import _first_unique  # noqa: E402
from recommender.splits import strong_generalization_split, time_split  # noqa: E402

ENSEMBLE_MEMBERS = ("ease", "recvae", "mult_vae")


def make_models(seed: int, threads: int, fast: bool, ease_l2: float) -> list:
    epochs = 20 if fast else 200
    common = dict(seed=seed, n_threads=threads, progress=False, batch_size=128)
    return [
        Popularity(),
        Popularity(recent_days=30),
        ItemKNN(n_neighbors=100),
        EASE(l2=ease_l2),
        RecVAE(n_epochs=30 if not fast else 5, patience=5, **common),
        MultVAE(n_epochs=epochs, patience=20, total_anneal_steps=2000, **common),
    ]


def run_split(train: Interactions, val, test, seed: int, args) -> list[dict]:
    rows, lists = [], {}
    for model in make_models(seed, args.threads, args.fast, args.ease_l2):
        t0 = time.perf_counter()
        model.fit(train, validation=val)
        fit_s = time.perf_counter() - t0
        idx, val_scores = model.recommend_history(test.fold_in, k=100)
        idx = np.where(np.isfinite(val_scores), idx, -1)
        lists[model.name] = idx
        rows.append({"model": model.name, "fit_s": fit_s, **evaluate_ranking(idx, test.target, train.n_items)})
    members = [lists[n] for n in ENSEMBLE_MEMBERS]
    t0 = time.perf_counter()
    vote = hard_vote(members, train.n_items, per_model_k=10, max_items=20, member_names=list(ENSEMBLE_MEMBERS))
    fused, _ = reciprocal_rank_fusion(members, train.n_items, k=100)
    comb_s = time.perf_counter() - t0
    fit_total = sum(r["fit_s"] for r in rows if r["model"] in ENSEMBLE_MEMBERS)
    ens = evaluate_ranking(vote.item_idx, test.target, train.n_items)
    ens["ndcg@100"] = ndcg_at_k(fused, test.target, 100)
    rows.append({"model": "ensemble", "fit_s": fit_total + comb_s, **ens})
    rows.append({"model": "ensemble_rrf", "fit_s": fit_total + comb_s,
                 **evaluate_ranking(fused, test.target, train.n_items)})
    filled = _first_unique(np.concatenate([vote.item_idx, fused], axis=1), 100)
    rows.append({"model": "ensemble_vote+fill", "fit_s": fit_total + comb_s,
                 **evaluate_ranking(filled, test.target, train.n_items)})
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=["ml100k", "kmrd"], required=True)
    p.add_argument("--protocol", choices=["split", "foldin"], default="split",
                   help="split: the models on held-out users/time (below); foldin: serve after a time cut "
                        "(eval_recommender_foldin.py)")
    p.add_argument("--cut-quantile", type=float, default=0.9, help="foldin: share of interactions before the cut")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--min-count", type=int, default=10)
    p.add_argument("--test-share", type=float, default=0.1, help="kmrd: share of interactions after the cut")
    p.add_argument("--ease-l2", type=float, default=None)
    p.add_argument("--fast", action="store_true", help="few epochs: a smoke run, not a result")
    p.add_argument("--csv", help="also write the per-seed rows here")
    p.add_argument("--no-issues", action="store_true", help="kmrd: skip the issue re-ranking check")
    args = p.parse_args(argv)
    if args.protocol == "foldin":
        from eval_recommender_foldin import evaluate_foldin, format_foldin
        df, items = load_ml100k() if args.dataset == "ml100k" else load_kmrd()
        result = evaluate_foldin(df, items, 3.0 if args.dataset == "ml100k" else 6.0, args.cut_quantile,
                                 args.threads)
        print(format_foldin("ML-100k" if args.dataset == "ml100k" else "KMRD-small", result))
        print(f"served: {result['counts']}")
        return 0

    if args.dataset == "ml100k":
        df, items = load_ml100k()
        settings = DataSettings(rating_threshold=3, min_user_count=args.min_count, min_item_count=args.min_count)
        args.ease_l2 = args.ease_l2 or 200.0
    else:
        df, items = load_kmrd()
        settings = DataSettings(rating_threshold=6, min_user_count=args.min_count, min_item_count=args.min_count)
        args.ease_l2 = args.ease_l2 or 2000.0
    data = Interactions.from_frame(df, items=items, settings=settings)
    print(f"{args.dataset}: {data.n_users} users, {data.n_items} items, {data.matrix.nnz} positives, "
          f"fingerprint {data_fingerprint(data)}", flush=True)

    all_rows = []
    for seed in range(args.seeds):
        if args.dataset == "ml100k":
            n_hold = max(1, data.n_users // 10)
            train, val, test = strong_generalization_split(data, n_hold, np.random.default_rng(seed))
        else:
            cutoff = float(np.quantile(data.times.data, 1 - args.test_share))
            train, test = time_split(data, cutoff)
            val = None
        rows = run_split(train, val, test, seed, args)
        for r in rows:
            r["seed"] = seed
        all_rows += rows
        if args.csv:
            pd.DataFrame(all_rows).to_csv(args.csv, index=False)
        print(f"seed {seed}: {test.n_users} test users; " +
              ", ".join(f"{r['model']} ndcg@20={r['ndcg@20']:.4f}" for r in rows), flush=True)

    res = pd.DataFrame(all_rows)
    if args.csv:
        res.to_csv(args.csv, index=False)
    metrics = ["recall@20", "ndcg@20", "ndcg@100", "hit@10", "coverage@20", "fit_s"]
    order = list(dict.fromkeys(res.model))
    mean = res.groupby("model")[metrics].mean().loc[order]
    std = res.groupby("model")[metrics].std(ddof=0).loc[order]
    table = mean.copy().astype(object)
    for m in metrics:
        fmt = "{:.2f}" if m == "fit_s" else "{:.4f}"
        table[m] = [f"{fmt.format(a)} ± {fmt.format(b)}" for a, b in zip(mean[m], std[m])]
    print(f"\n{args.dataset}, {args.seeds} seed(s){' (FAST smoke run)' if args.fast else ''}:")
    print(markdown_table(table))
    best_member = mean.loc[list(ENSEMBLE_MEMBERS) + ["pop", "pop_recent", "item_knn"], "ndcg@20"].idxmax()
    by = res.set_index(["seed", "model"])
    for ens in ("ensemble", "ensemble_rrf", "ensemble_vote+fill"):
        for m in ("recall@20", "ndcg@20"):
            d = by.xs(ens, level="model")[m] - by.xs(best_member, level="model")[m]
            print(f"{ens} - {best_member} (best single) on {m}, paired over seeds: "
                  f"{d.mean():+.4f} ± {d.std(ddof=0):.4f} (ahead in {int((d > 0).sum())}/{len(d)} seeds)")
    if args.dataset == "kmrd" and not args.no_issues:
        t_test = float(np.quantile(data.times.data, 1 - args.test_share))
        t_val = float(np.quantile(data.times.data, 1 - 2 * args.test_share))
        members = lambda: [m for m in make_models(0, args.threads, args.fast, args.ease_l2)
                           if m.name in ENSEMBLE_MEMBERS]
        print(format_issue_report(evaluate_issue_rerank(data, members, t_val, t_test)))
    return 0


def markdown_table(df: pd.DataFrame) -> str:
    head = ["model", *df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([str(i), *map(str, row)]) + " |" for i, row in zip(df.index, df.values)]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
