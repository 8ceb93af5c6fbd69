"""The recommender's file shell: interaction files, the model store and the export files.

    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> rows = [(f"u{u}", f"i{(u % 3) * 5 + j}", 5, 1_700_000_000 + u * 3600 + j) for u in range(60) for j in range(5)]
    >>> pd.DataFrame(rows, columns=["user", "movie", "rate", "time"]).to_csv(f"{folder}/r.csv", index=False)
    >>> s = RecommenderSettings(model_dir=f"{folder}/models", vae_epochs=2, vae_hidden=8, vae_latent=2,
    ...                         progress=False, data=DataSettings(min_user_count=3, min_item_count=3))
    >>> columns = {"user": "user_id", "movie": "item_id", "rate": "rating", "time": "timestamp"}
    >>> trained = train_recommender(s, f"{folder}/r.csv", columns=columns)
    >>> trained["promoted"], trained["served"] in ("vote", "rrf", "ease")
    (True, True)
    >>> out = recommend(s, users=["u0", "someone new"], out_path=f"{folder}/export.jsonl")
    >>> [r["basis"] for r in out["records"]], out["meta"]["fallback"]
    (['history', 'fallback'], 1)

Model store (``model_dir``): ``<model_dir>/<version>/model.pt`` (the fitted ensemble,
``torch.save``) and ``meta.json`` (settings, validation metrics, data fingerprint, whether
it was promoted); ``<model_dir>/CURRENT`` names the serving version and is replaced
atomically. A trained candidate is promoted only when its validation NDCG@20 is not worse
than the current model's on the *same* time-based validation window, the current model's
recipe refitted on its own data before that window (neither has seen the window's targets).

Export file (JSON Lines, UTF-8, written to a temporary file in the same folder, fsynced,
then ``os.replace``d - readers see the old or the new file, never half of one)::

    {"user_id": 42, "version": "20260213T20-20260213T0300", "model_version": "20260213T0300",
     "feed_hour": "2026-02-13T20:00:00+09:00",
     "items": [{"item_id": 50, "rank": 1, "score": 1.05, "voted_by": ["ease", "recvae"],
                "fused_fill": false, "issue": {"issue_id": "a", "boost": 0.5, "keyword": "..."}}]}

``recommend`` returns the records, the similar-items lists and a summary; ``jobs`` publishes
them to Redis (:func:`jobs.publish.redis_snapshot.publish_recommendations`, the feed's fenced
snapshot switch): this package reads and writes files only.
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pydantic import ValidationError

from issues.atomic_file import atomic_write
from issues.contracts import FeedDocument, Recommendation
from keywords.errors import OutputError
from recommender.base import InputFileError, RecommenderError
from recommender.data import (DataSettings, Interactions, apply_feedback, data_fingerprint, events,
                              map_columns, read_feedback_frame)
from recommender.baselines import ItemKNN
from recommender.foldin import FallbackSettings, HistoryStore, popular_and_trending
from recommender.selection import (champion_reference, choose_served, choose_similar, tune_ease,
                                   validation_cut)
from recommender.similar import similar_matrix, similar_records
from recommender.ease import EASE
from recommender.ensemble import Ensemble
from recommender.issue_features import (choose_issue_weight, issues_from_feed, item_boosts,
                                        item_issue_features)
from recommender.mult_vae import MultVAE
from recommender.neural import NeuralRecommender
from recommender.recvae import RecVAE
from recommender.serving import (Candidates, ensemble_candidates, explain_lists, fallback_candidates,
                                 fill_with_fallback, holdout_metrics_by_id)
from recommender.splits import time_split

__all__ = ["RecommenderSettings", "ModelStore", "ExportError", "train_recommender", "recommend", "check_records",
           "serve_lists", "load_interactions", "load_events", "load_items", "load_feed", "write_jsonl_atomic"]


BUNDLE_FORMAT = 2


class ExportError(OutputError, RecommenderError):
    """The export (file or Redis) failed; the previous export stays in place."""


@dataclass(frozen=True)
class RecommenderSettings:
    model_dir: str = "var/recommender"
    data: DataSettings = field(default_factory=DataSettings)
    validation_users: float = 0.1          # share of trained users in the validation window
    min_validation_users: int = 50         # ... and at least this many (all but 5 if fewer exist)
    ease_l2: float = 200.0                 # used when the grid is empty
    ease_l2_grid: tuple = (50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)
    vae_epochs: int = 20                   # Mult-VAE's cap; RecVAE's is half (each epoch is 4 passes)
    vae_hidden: int = 128
    vae_latent: int = 32
    patience: int = 3
    seed: int = 0
    threads: int | None = 1                # torch threads per VAE (2 were 6-20x slower on shared cores)
    vae_seconds: float | None = 15.0       # wall-clock bound per VAE (stops after the epoch reaching it)
    refit_full: bool = True
    top_k: int = 20
    n_candidates: int = 40
    similar_k: int = 20
    issue_half_life_hours: float = 24.0
    fallback: FallbackSettings = field(default_factory=FallbackSettings)
    progress: bool = True


def build_ensemble(s: RecommenderSettings, ease_l2: float | None = None, epochs: dict | None = None,
                   patience: int | None = None) -> Ensemble:
    """EASE, RecVAE and Mult-VAE; ``epochs`` fixes each VAE's epochs (a refit with what
    validation chose, no early stopping)."""
    epochs = epochs or {}
    common = dict(hidden_dim=s.vae_hidden, latent_dim=s.vae_latent, seed=s.seed, n_threads=s.threads,
                  progress=s.progress, patience=s.patience if patience is None else patience,
                  max_seconds=s.vae_seconds)
    return Ensemble([EASE(l2=s.ease_l2 if ease_l2 is None else ease_l2),
                     RecVAE(**common, n_epochs=epochs.get("recvae", max(1, s.vae_epochs // 2))),
                     MultVAE(**common, n_epochs=epochs.get("mult_vae", s.vae_epochs))])


# -- reading ----------------------------------------------------------------------------------
def _read_table(path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"no such file: {path}")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={"user_id": str, "item_id": str})
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise InputFileError(f"{path}: unreadable ({str(e).splitlines()[0]})") from None


def load_interactions(path, columns: dict | None = None) -> pd.DataFrame:
    """The interaction file with the contract's column names (``columns``: file -> contract)."""
    return map_columns(_read_table(path), columns, path, required=("user_id", "item_id", "timestamp"))


def load_events(paths, s: RecommenderSettings, columns: dict | None = None, feedback_path=None
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(liked, touched, feedback) of interaction files and an optional feedback file."""
    liked, touched = [], []
    for path in ([paths] if isinstance(paths, (str, os.PathLike)) else list(paths)):
        l, t = events(load_interactions(path, columns), s.data, source=path)
        liked.append(l)
        touched.append(t)
    empty = pd.DataFrame({"user_id": pd.Series(dtype=str), "item_id": pd.Series(dtype=str),
                          "timestamp": pd.Series(dtype=float)})
    liked = pd.concat(liked, ignore_index=True) if liked else empty
    touched = pd.concat(touched, ignore_index=True) if touched else empty
    feedback = read_feedback_frame(_read_table(feedback_path), feedback_path) if feedback_path else None
    liked, touched = apply_feedback(liked, touched, feedback)
    return liked, touched, feedback


def load_items(path) -> pd.DataFrame | None:
    if path is None:
        return None
    df = _read_table(path)
    if not {"item_id", "title"} <= set(df.columns):
        raise InputFileError(f"{path}: item file needs item_id and title columns")
    return df.assign(item_id=df["item_id"].astype(str))


def load_feed(path) -> dict:
    """The issue feed as :class:`issues.contracts.FeedDocument` JSON (validated)."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = f.read()
    except OSError as e:
        raise InputFileError(f"issue feed {path}: {e.strerror or e}") from None
    try:
        return FeedDocument.model_validate_json(raw).model_dump(mode="json")
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise InputFileError(f"issue feed {path}: {where}: {first['msg']}") from None


# -- model store ------------------------------------------------------------------------------
class ModelStore:
    """Versioned model folders plus an atomically replaced ``CURRENT`` pointer."""

    def __init__(self, root):
        self.root = Path(root)

    def current_version(self) -> str | None:
        p = self.root / "CURRENT"
        return p.read_text().strip() or None if p.exists() else None

    def load(self, version: str) -> dict:
        # full unpickling: model.pt files are written by train-recommender into a folder the
        # service owns; never point --model-dir at files from elsewhere
        path = self.root / version / "model.pt"
        if not path.exists():
            raise RecommenderError(f"{self.root}/CURRENT names {version!r} but {path} is missing")
        return torch.load(path, weights_only=False)

    def load_current(self) -> dict | None:
        v = self.current_version()
        return self.load(v) if v else None

    def save(self, bundle: dict, promote: bool) -> str:
        version = bundle["version"]
        folder = self.root / version
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / "model.pt", lambda f: torch.save(bundle, f), binary=True)
        meta = {k: v for k, v in bundle.items() if k != "ensemble"}
        meta["promoted"] = promote
        _atomic_write(folder / "meta.json", lambda f: json.dump(meta, f, indent=2, default=str))
        if promote:
            _atomic_write(self.root / "CURRENT", lambda f: f.write(version + "\n"))
        return version


def _atomic_write(path: Path, writer, binary: bool = False) -> None:
    atomic_write(path, writer, binary=binary)       # temp file, fsync, rename; mode from the umask


def check_records(records: list[dict]) -> None:
    """Hold the export to its contract (:class:`issues.contracts.Recommendation`), cheaply: the
    first record of each shape (basis, and whether an issue lifted an item) is validated; all
    records are built by the same code, so one of each shape catches a drifted field.

    >>> check_records([{"user_id": "u1", "items": [], "basis": "fallback", "version": "v",
    ...                 "model_version": "m", "feed_hour": None, "extra": 1}])
    Traceback (most recent call last):
    ...
    recommender.shell.ExportError: export record of user 'u1' breaks the Recommendation contract: extra: Extra inputs are not permitted
    """
    seen: set = set()
    for r in records:
        shape = (r.get("basis"), any(i.get("issue") for i in r.get("items", ())))
        if shape in seen:
            continue
        seen.add(shape)
        try:
            Recommendation.model_validate(r)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise ExportError(f"export record of user {r.get('user_id')!r} breaks the Recommendation contract: "
                              f"{where}: {err['msg']}") from None
        if len(seen) == 4:
            break


def write_jsonl_atomic(records, path) -> int:
    """Write one JSON object per line via temp file + ``os.replace``; returns the count."""
    n = 0

    def writer(f):
        nonlocal n
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
            n += 1
    try:
        _atomic_write(Path(path), writer)
    except OSError as e:
        raise ExportError(f"cannot write export file {path}: {e}") from None
    return n


# -- training ---------------------------------------------------------------------------------
def _say(log, message: str) -> None:
    if log is not None:
        log(message)


def train_recommender(s: RecommenderSettings, interactions_path, items_path=None,
                      validation_feed_path=None, now: datetime | None = None, columns: dict | None = None,
                      feedback_path=None, log=None) -> dict:
    """Fit a candidate, validate it against the current model, save it, promote if not worse.

    The validation window holds the last ``validation_users`` share of users (``validation_cut``);
    on it EASE's ridge is tuned, the served list chosen, the similar-items model chosen, the issue
    weight chosen (with ``validation_feed_path``) and the current model compared (champion gate:
    promoted only when its served list's NDCG@k is not worse than the current model's recipe
    refitted on the current model's data before the window: ``selection.champion_reference``).
    The promoted model's EASE is refitted on all data; the VAEs keep their best epoch."""
    now = now or datetime.now(timezone.utc)
    clock = time.perf_counter()
    liked_all, touched_all, _ = load_events(interactions_path, s, columns, feedback_path)
    data = Interactions.from_frame(liked_all, load_items(items_path), s.data)
    if data.n_users == 0:
        raise InputFileError(f"{interactions_path}: no interactions left after the rating threshold and "
                             f"the minimum of {s.data.min_user_count} positives per user and item")
    n_val = max(s.min_validation_users, int(round(s.validation_users * data.n_users)))
    n_val = min(n_val, max(1, data.n_users - 5))
    cut = validation_cut(data, n_val)
    train, holdout = time_split(data, cut)
    if holdout.n_users == 0 or train.matrix.nnz == 0:
        raise InputFileError(f"{interactions_path}: no user has liked items both before and after any time: "
                             "nothing to validate on")
    grid = tuple(s.ease_l2_grid) or (s.ease_l2,)
    tuned: dict = {}
    l2, l2_scores = tune_ease(train, holdout, grid, s.top_k, fitted=tuned)
    _say(log, f"validation window: {holdout.n_users} users from {pd.Timestamp(cut, unit='s')}; EASE ridge "
              f"{l2:g} (NDCG@{s.top_k} " + ", ".join(f"{k:g}: {v:.4f}" for k, v in l2_scores.items()) + ")")
    candidate = build_ensemble(s, ease_l2=l2)
    candidate.members = [tuned["ease"] if m.name == "ease" and m.l2 == l2 else m for m in candidate.members]
    candidate.fit(train)                               # EASE is the tuned fit; the VAEs train here
    training = {m.name: {"epochs": len(m.history_), "best_epoch": m.best_epoch_ + 1, "stopped": m.stopped_,
                         "validation_ndcg": m.validation_ndcg_}
                for m in candidate.members if isinstance(m, NeuralRecommender)}
    _say(log, "VAEs: " + "; ".join(f"{n} {t['epochs']} epochs ({t['stopped']}), best epoch {t['best_epoch']}"
                                  for n, t in training.items()))
    served, by_method = choose_served(candidate, holdout, data.item_ids, s.top_k)
    key = f"ndcg@{s.top_k}"
    metrics = dict(by_method[served])
    runner_up = max((m for m in by_method if m != served), key=lambda m: by_method[m][key])
    margin = metrics[key] - by_method[runner_up][key]
    _say(log, f"served list: {served} (NDCG@{s.top_k} {metrics[key]:.4f}, {margin:+.4f} over {runner_up}; "
              + ", ".join(f"{m} {v[key]:.4f}" for m, v in by_method.items()) + ")")
    similar_candidates = {"item_knn": ItemKNN(n_neighbors=100).fit(train).similarity_}
    if "ease" in candidate.member_names:
        similar_candidates["ease"] = candidate.members[candidate.member_names.index("ease")].weights_
    similar_model, similar_metrics = choose_similar(similar_candidates, holdout, s.top_k, s.similar_k)
    store = ModelStore(s.model_dir)
    current = store.load_current()
    current_metrics, gate = None, None
    if current is not None:
        # the gate compares on targets neither model has seen: the current model's recipe (its
        # ridge, its VAEs) refitted on its own data before this window, not the served model
        # whose EASE was refitted on everything, this window's targets included
        reference = champion_reference(current["ensemble"], cut)
        current_metrics = holdout_metrics_by_id(reference, holdout.fold_in, holdout.target,
                                                data.item_ids, s.top_k, method=current.get("served", "vote"))
        current_cut = current.get("validation", {}).get("cut")
        gate = {"current": "its recipe refitted on its data before the window",
                "current_validation_cut": current_cut,
                "vaes_saw_window": current_cut is not None and current_cut > cut}
    promote = current_metrics is None or metrics[key] >= current_metrics[key]
    issue = {"weight": 0.0, "note": "no validation feed given: issue boost off"}
    if validation_feed_path is not None and data.items is None:
        issue["note"] = "no item file: issue keywords cannot be matched, boost off"
    if validation_feed_path is not None and data.items is not None:
        feed = load_feed(validation_feed_path)
        boost, _ = item_boosts(item_issue_features(data.items, issues_from_feed(feed), feed.get("hour")),
                               data.item_ids, s.issue_half_life_hours)
        cands = ensemble_candidates(candidate, holdout.fold_in, s.n_candidates, method=served)
        issue = choose_issue_weight(cands.item_idx, holdout.target, boost, k=s.top_k)
        issue["note"] = "lift is nil: boost off" if issue["lift"] <= 0 else "weight chosen on validation"
    final = candidate
    if promote and s.refit_full:
        # EASE (closed form, a fraction of a second) is refitted on all data; the VAEs are inductive
        # (they encode any history at serving time) and keep their validated weights: refitting
        # them would double the training time for the newest few days of likes
        _say(log, f"refit EASE on all data (ridge {l2:g}); the VAEs keep their best epochs")
        members = [m if isinstance(m, NeuralRecommender) else copy.deepcopy(m).fit(data) for m in candidate.members]
        final = Ensemble(members, per_model_k=candidate.per_model_k, max_items=candidate.max_items)
        final.fit_from_members(data)
    if similar_model == "ease":
        similar_weights = final.members[final.member_names.index("ease")].weights_
    else:
        similar_weights = ItemKNN(n_neighbors=100).fit(final.train_).similarity_
    history = HistoryStore.from_events(liked_all, touched_all, final.train_.item_ids)
    version = now.strftime("%Y%m%dT%H%M%S")
    seconds = time.perf_counter() - clock
    bundle = {"format": BUNDLE_FORMAT, "version": version, "created_at": now.isoformat(), "ensemble": final,
              "served": served, "history": history, "similar": similar_matrix(similar_weights, s.similar_k),
              "similar_model": similar_model,
              "fingerprint": data_fingerprint(data), "n_users": data.n_users, "n_items": data.n_items,
              "n_history_users": history.n_users,
              "validation": {"cut": cut, "n_users": holdout.n_users, "candidate": metrics,
                             "by_method": by_method, "served": served, "margin": margin, "runner_up": runner_up,
                             "ease_l2": l2, "ease_l2_ndcg": l2_scores, "similar": similar_metrics,
                             "current": current_metrics, "current_version": store.current_version(),
                             "gate": gate},
              "issue_weight": float(issue["weight"]), "issue_selection": issue,
              "training": training, "settings": asdict(s), "refit_full": bool(promote and s.refit_full),
              "train_seconds": round(seconds, 2)}
    store.save(bundle, promote)
    return {"version": version, "promoted": promote, "metrics": metrics, "current_metrics": current_metrics,
            "issue": issue, "fingerprint": bundle["fingerprint"], "served": served, "by_method": by_method,
            "margin": margin, "runner_up": runner_up, "ease_l2": l2, "similar_model": similar_model,
            "validation_users": holdout.n_users, "seconds": round(seconds, 2)}


# -- serving ----------------------------------------------------------------------------------
def _as_users(users) -> np.ndarray | None:
    if users is None:
        return None
    out = [str(u).strip() for u in users]
    return np.asarray(list(dict.fromkeys(u for u in out if u)), dtype=object)


def serve_lists(bundle: dict, store: HistoryStore, users, s: RecommenderSettings, boost: np.ndarray,
                source: np.ndarray, weight: float, keywords: dict, now: float | None = None,
                fallback_scores: np.ndarray | None = None) -> tuple[list[dict], dict]:
    """The functional core of ``recommend``: one explained list per user, and the counts.

    A user with liked items the model knows is folded in (the served list computed from that
    history); anyone else gets the fallback list; short lists are topped up from the fallback;
    nothing the user touched comes back."""
    ens: Ensemble = bundle["ensemble"]
    users = np.asarray(users, dtype=object)
    liked, touched, known = store.rows(users)
    has = np.diff(liked.indptr) > 0
    n, width = len(users), s.n_candidates
    if fallback_scores is None:
        fallback_scores = popular_and_trending(store, now, boost, s.fallback)
    idx = np.full((n, width), -1, dtype=np.int64)
    voters = np.zeros((n, width), dtype=np.int64)
    from_fallback = np.zeros((n, width), dtype=bool)
    rows_h, rows_f = np.flatnonzero(has), np.flatnonzero(~has)
    if len(rows_h):
        c = ensemble_candidates(ens, liked[rows_h], width, exclude=touched[rows_h], method=bundle["served"])
        c = fill_with_fallback(c, fallback_scores, touched[rows_h], width)
        idx[rows_h], voters[rows_h], from_fallback[rows_h] = c.item_idx, c.voters, c.fallback
    if len(rows_f):
        c = fallback_candidates(len(rows_f), fallback_scores, touched[rows_f], width, ens.member_names)
        idx[rows_f], voters[rows_f], from_fallback[rows_f] = c.item_idx, c.voters, c.fallback
    cands = Candidates(idx, voters, ens.member_names, from_fallback)
    records = explain_lists(cands, users, store.item_ids, boost, source, weight, s.top_k, keywords)
    model_users = pd.Index(ens.train_.user_ids.astype(str))
    in_model = model_users.get_indexer(users.astype(str)) >= 0
    for r, h in zip(records, has):
        r["basis"] = "history" if h else "fallback"
    counts = {"n_users": n, "served": int(sum(1 for r in records if r["items"])),
              "folded_in": int(has.sum()), "folded_in_new": int((has & ~in_model).sum()),
              "fallback": int((~has).sum()), "unknown_users": int((~known).sum())}
    return records, counts


def recommend(s: RecommenderSettings, feed_path=None, out_path=None, users=None,
              issue_weight: float | None = None, interactions_paths=(), columns: dict | None = None,
              feedback_path=None, similar_out_path=None, now: float | None = None) -> dict:
    """Hourly: the current model, every user's history as of now, the current issues -> re-ranked,
    explained lists and the similar-items lists, written to files; returns ``{"meta", "records",
    "similar"}`` (``jobs`` publishes them to Redis).

    ``interactions_paths``: interactions since the model was trained (same contract as training),
    folded into each user's history; ``feedback_path``: good/bad feedback; ``users``: whom to
    serve (default: every user with any history). ``now`` (unix seconds) is the fallback's "now";
    by default the newest interaction known."""
    store = ModelStore(s.model_dir)
    bundle = store.load_current()
    if bundle is None:
        raise RecommenderError(f"no current model in {s.model_dir}: run train-recommender first")
    ens: Ensemble = bundle["ensemble"]
    item_ids = np.asarray(ens.train_.item_ids).astype(str)
    history: HistoryStore = bundle["history"]
    liked, touched, feedback = load_events(interactions_paths, s, columns, feedback_path)
    if len(liked) or len(touched):
        bad = None if feedback is None else feedback[feedback["feedback"] == "bad"]
        history = history.merged(liked, touched, bad)
    requested = _as_users(users)
    if requested is None:
        requested = history.user_ids
    weight = bundle.get("issue_weight", 0.0) if issue_weight is None else float(issue_weight)
    boost = np.zeros(len(item_ids), np.float32)
    source = np.full(len(item_ids), "", dtype=object)
    feed_hour, keywords = None, {}
    note = "no feed file: issue boost off" if feed_path is None else f"issue weight {weight}"
    feed = load_feed(feed_path) if feed_path is not None else None
    feed_hour = feed.get("hour") if feed is not None else None      # the version names the hour either way
    if feed is not None and ens.train_.items is None:
        note = "model trained without an item file: issue keywords cannot be matched, boost off"
    elif feed is not None:
        issues = issues_from_feed(feed)
        keywords = {i.issue_id: i.keyword for i in issues}
        feats = item_issue_features(ens.train_.items, issues, feed_hour)
        boost, source = item_boosts(feats, ens.train_.item_ids, s.issue_half_life_hours)
    records, counts = serve_lists(bundle, history, requested, s, boost, source, weight, keywords, now)
    hour_tag = pd.Timestamp(feed_hour).strftime("%Y%m%dT%H") if feed_hour else "nofeed"
    version = f"{hour_tag}-{bundle['version']}"
    for r in records:
        r.update(version=version, model_version=bundle["version"], feed_hour=feed_hour)
    check_records(records)
    similar = similar_records(bundle["similar"], item_ids, bundle["similar_model"])
    meta = {"version": version, "model_version": bundle["version"], "feed_hour": feed_hour,
            "issue_weight": weight, **counts, "served_list": bundle["served"],
            "similar_model": bundle["similar_model"], "n_items": len(similar),
            "n_boosted_items": int((boost > 0).sum()), "fingerprint": bundle["fingerprint"],
            "issue_note": note}
    if out_path is not None:
        write_jsonl_atomic(records, out_path)
    if similar_out_path is not None:
        write_jsonl_atomic(similar, similar_out_path)
    return {"meta": meta, "records": records, "similar": similar}
