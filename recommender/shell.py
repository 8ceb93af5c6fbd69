"""The recommender's I/O shell: files, the model store, the export file and Redis.

    >>> s = RecommenderSettings(model_dir="var/reco")
    >>> outcome = train_recommender(s, "interactions.csv", items_path="items.csv")   # doctest: +SKIP
    >>> report = recommend(s, feed_path="var/feed/20260213T20.json",                  # doctest: +SKIP
    ...                    out_path="var/reco/export.jsonl", redis_client=redis.Redis())

Model store (``model_dir``): ``<model_dir>/<version>/model.pt`` (the fitted ensemble,
``torch.save``) and ``meta.json`` (settings, validation metrics, data fingerprint, whether
it was promoted); ``<model_dir>/CURRENT`` names the serving version and is replaced
atomically. A trained candidate is promoted only when its validation NDCG@20 is not worse
than the current model's on the *same* time-based validation window.

Export file (JSON Lines, UTF-8, written to a temporary file in the same folder, fsynced,
then ``os.replace``d - readers see the old or the new file, never half of one)::

    {"user_id": 42, "version": "20260213T20-20260213T0300", "model_version": "20260213T0300",
     "feed_hour": "2026-02-13T20:00:00+09:00",
     "items": [{"item_id": 50, "rank": 1, "score": 1.05, "voted_by": ["ease", "recvae"],
                "fused_fill": false, "issue": {"issue_id": "a", "boost": 0.5, "keyword": "..."}}]}

Redis (prefix configurable, e.g. the feed prefix ``issuewire``):
``<prefix>:reco:<version>:user:<user_id>`` -> that user's JSON record (string);
``<prefix>:reco:<version>:meta`` -> JSON summary; ``<prefix>:reco:current`` -> version,
switched in one MULTI/EXEC after every user key is written; a message on
``<prefix>:reco:notify``. New keys carry ``fresh_ttl`` (a safety net against orphans of a
dead run); after the switch the previous version's keys get ``old_ttl`` so they expire.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from issues.atomic_file import atomic_write
from keywords.errors import OutputError
from recommender.base import RecommenderError
from recommender.data import DataSettings, Interactions, data_fingerprint
from recommender.ease import EASE
from recommender.ensemble import Ensemble
from recommender.issue_features import (choose_issue_weight, issues_from_feed, item_boosts,
                                        item_issue_features)
from recommender.mult_vae import MultVAE
from recommender.recvae import RecVAE
from recommender.serving import ensemble_candidates, explain_lists, holdout_metrics_by_id
from recommender.splits import time_split

__all__ = ["RecommenderSettings", "ModelStore", "ExportError", "train_recommender", "recommend",
           "load_interactions", "load_items", "write_jsonl_atomic", "RedisRecoExporter"]


class ExportError(OutputError, RecommenderError):
    """The export (file or Redis) failed; the previous export stays in place."""


@dataclass(frozen=True)
class RecommenderSettings:
    model_dir: str = "var/recommender"
    data: DataSettings = field(default_factory=DataSettings)
    validation_days: float = 7.0
    ease_l2: float = 200.0
    vae_epochs: int = 100
    vae_hidden: int = 600
    vae_latent: int = 200
    patience: int = 10
    seed: int = 0
    threads: int | None = None
    refit_full: bool = True
    top_k: int = 20
    n_candidates: int = 40
    issue_half_life_hours: float = 24.0
    progress: bool = True


def build_ensemble(s: RecommenderSettings) -> Ensemble:
    common = dict(n_epochs=s.vae_epochs, hidden_dim=s.vae_hidden, latent_dim=s.vae_latent,
                  patience=s.patience, seed=s.seed, n_threads=s.threads, progress=s.progress)
    return Ensemble([EASE(l2=s.ease_l2), RecVAE(**{**common, "n_epochs": max(1, s.vae_epochs // 2)}),
                     MultVAE(**common)])


# -- reading ----------------------------------------------------------------------------------
def _read_table(path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def load_interactions(path) -> pd.DataFrame:
    df = _read_table(path)
    missing = {"user_id", "item_id", "timestamp"} - set(df.columns)
    if missing:
        raise RecommenderError(f"{path}: missing column(s) {sorted(missing)}")
    return df


def load_items(path) -> pd.DataFrame | None:
    if path is None:
        return None
    df = _read_table(path)
    if not {"item_id", "title"} <= set(df.columns):
        raise RecommenderError(f"{path}: item file needs item_id and title columns")
    return df


def load_feed(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


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
def train_recommender(s: RecommenderSettings, interactions_path, items_path=None,
                      validation_feed_path=None, now: datetime | None = None) -> dict:
    """Fit a candidate, validate it against the current model, save it, promote if not worse."""
    now = now or datetime.now(timezone.utc)
    data = Interactions.from_frame(load_interactions(interactions_path), load_items(items_path), s.data)
    if data.n_users == 0:
        raise RecommenderError("no interactions left after thresholding and filtering")
    cut = float(data.times.data.max()) - s.validation_days * 86400.0
    train, holdout = time_split(data, cut)
    if holdout.n_users == 0 or train.matrix.nnz == 0:
        raise RecommenderError(f"the last {s.validation_days} day(s) leave no validation users; "
                               "change validation_days")
    candidate = build_ensemble(s).fit(train)
    metrics = holdout_metrics_by_id(candidate, holdout.fold_in, holdout.target, data.item_ids, s.top_k)
    store = ModelStore(s.model_dir)
    current = store.load_current()
    current_metrics = None
    if current is not None:
        current_metrics = holdout_metrics_by_id(current["ensemble"], holdout.fold_in, holdout.target,
                                                data.item_ids, s.top_k)
    key = f"ndcg@{s.top_k}"
    promote = current_metrics is None or metrics[key] >= current_metrics[key]
    issue = {"weight": 0.0, "note": "no validation feed given: issue boost off"}
    if validation_feed_path is not None and data.items is None:
        issue["note"] = "no item file: issue keywords cannot be matched, boost off"
    if validation_feed_path is not None and data.items is not None:
        feed = load_feed(validation_feed_path)
        boost, _ = item_boosts(item_issue_features(data.items, issues_from_feed(feed), feed.get("hour")),
                               data.item_ids, s.issue_half_life_hours)
        cands = ensemble_candidates(candidate, holdout.fold_in, s.n_candidates)
        issue = choose_issue_weight(cands.item_idx, holdout.target, boost, k=s.top_k)
        issue["note"] = "lift is nil: boost off" if issue["lift"] <= 0 else "weight chosen on validation"
    final = build_ensemble(s).fit(data) if (promote and s.refit_full) else candidate
    version = now.strftime("%Y%m%dT%H%M%S")
    bundle = {"format": 1, "version": version, "created_at": now.isoformat(), "ensemble": final,
              "fingerprint": data_fingerprint(data), "n_users": data.n_users, "n_items": data.n_items,
              "validation": {"cut": cut, "n_users": holdout.n_users, "candidate": metrics,
                             "current": current_metrics, "current_version": store.current_version()},
              "issue_weight": float(issue["weight"]), "issue_selection": issue,
              "settings": asdict(s), "refit_full": bool(promote and s.refit_full)}
    store.save(bundle, promote)
    return {"version": version, "promoted": promote, "metrics": metrics, "current_metrics": current_metrics,
            "issue": issue, "fingerprint": bundle["fingerprint"]}


# -- serving ----------------------------------------------------------------------------------
class RedisRecoExporter:
    """Writes one version of the recommendations and switches ``<prefix>:reco:current`` to it."""

    def __init__(self, client, prefix: str, fresh_ttl: int = 2 * 86400, old_ttl: int = 3600):
        self.client = client
        self.prefix = prefix
        self.fresh_ttl = fresh_ttl
        self.old_ttl = old_ttl

    def key(self, *parts) -> str:
        return ":".join([self.prefix, "reco", *map(str, parts)])

    def publish(self, version: str, records: list[dict], meta: dict) -> None:
        import redis
        try:
            pipe = self.client.pipeline(transaction=False)
            for i, r in enumerate(records):
                pipe.set(self.key(version, "user", r["user_id"]), json.dumps(r, ensure_ascii=False),
                         ex=self.fresh_ttl)
                if i % 1000 == 999:
                    pipe.execute()
            pipe.set(self.key(version, "meta"), json.dumps(meta, ensure_ascii=False, default=str),
                     ex=self.fresh_ttl)
            pipe.execute()
            previous = self.client.get(self.key("current"))
            previous = previous.decode() if isinstance(previous, bytes) else previous
            tx = self.client.pipeline(transaction=True)
            tx.set(self.key("current"), version)
            tx.publish(self.key("notify"), json.dumps({"version": version, "n_users": len(records)}))
            tx.execute()
            if previous and previous != version:
                for k in self.client.scan_iter(match=self.key(previous, "*"), count=1000):
                    self.client.expire(k, self.old_ttl)
        except redis.RedisError as e:
            raise ExportError(f"Redis export failed: {e}") from None


def recommend(s: RecommenderSettings, feed_path=None, out_path=None, redis_client=None,
              redis_prefix: str = "issuewire", users=None, issue_weight: float | None = None) -> dict:
    """Hourly: current model + current issues -> re-ranked, explained lists -> file and Redis."""
    store = ModelStore(s.model_dir)
    bundle = store.load_current()
    if bundle is None:
        raise RecommenderError(f"no current model in {s.model_dir}: run train-recommender first")
    ens: Ensemble = bundle["ensemble"]
    data = ens.train_
    if users is not None:
        users = np.asarray(users)
        if data.user_ids.dtype.kind in "iuf" and users.dtype.kind in "US":
            users = users.astype(data.user_ids.dtype)
    rows = np.arange(data.n_users) if users is None else data.user_index(users)
    rows = rows[rows >= 0]
    weight = bundle.get("issue_weight", 0.0) if issue_weight is None else float(issue_weight)
    boost = np.zeros(data.n_items, np.float32)
    source = np.full(data.n_items, "", dtype=object)
    feed_hour, keywords = None, {}
    note = "no feed file: issue boost off" if feed_path is None else f"issue weight {weight}"
    if feed_path is not None and data.items is None:
        note = "model trained without an item file: issue keywords cannot be matched, boost off"
    elif feed_path is not None:
        feed = load_feed(feed_path)
        feed_hour = feed.get("hour")
        issues = issues_from_feed(feed)
        keywords = {i.issue_id: i.keyword for i in issues}
        feats = item_issue_features(data.items, issues, feed_hour)
        boost, source = item_boosts(feats, data.item_ids, s.issue_half_life_hours)
    cands = ensemble_candidates(ens, data.matrix[rows], s.n_candidates)
    records = explain_lists(cands, data.user_ids[rows], data.item_ids, boost, source, weight, s.top_k,
                            keywords)
    hour_tag = pd.Timestamp(feed_hour).strftime("%Y%m%dT%H") if feed_hour else "nofeed"
    version = f"{hour_tag}-{bundle['version']}"
    for r in records:
        r.update(version=version, model_version=bundle["version"], feed_hour=feed_hour)
    meta = {"version": version, "model_version": bundle["version"], "feed_hour": feed_hour,
            "issue_weight": weight, "n_users": len(records),
            "n_boosted_items": int((boost > 0).sum()), "fingerprint": bundle["fingerprint"],
            "issue_note": note}
    if out_path is not None:
        write_jsonl_atomic(records, out_path)
    if redis_client is not None:
        RedisRecoExporter(redis_client, redis_prefix).publish(version, records, meta)
    return meta
