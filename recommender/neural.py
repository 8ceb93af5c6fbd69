"""What the PyTorch models share: seeding, threads, batching, early stopping on validation NDCG.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> from recommender.mult_vae import MultVAE
    >>> df = pd.DataFrame({"user_id": [u for u in range(60) for _ in range(4)],
    ...                    "item_id": [(u % 3) * 5 + j for u in range(60) for j in range(4)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> model = MultVAE(hidden_dim=8, latent_dim=2, n_epochs=30, patience=2, progress=False).fit(data)
    >>> len(model.history_) < 30, model.best_epoch_ == len(model.history_) - 1 - 2, model.stopped_
    (True, True, 'patience')

``fit`` seeds ``torch`` and a NumPy ``Generator`` from ``seed``, sets
``torch.set_num_threads(n_threads)`` for the duration of training (restoring it after),
trains up to ``n_epochs``, and after each epoch measures NDCG@``validation_k`` on the
validation holdout; it keeps the best epoch's weights and stops after ``patience`` epochs
without improvement (``best_epoch_``: the epoch kept, so a refit on all data can run
``best_epoch_ + 1`` epochs without a holdout). ``max_seconds`` (wall clock, optional) also
stops training after the epoch that reaches it - a bound on a loaded machine, not a tuning
knob: at the defaults it is far above the time the epochs take. ``stopped_`` says why training
ended: ``"patience"``, ``"time budget"`` or ``"epochs"`` (the cap). Without an explicit holdout,
``validation_fraction`` of the training users are set aside (80/20 fold-in) - the models
are inductive, so those users still get recommendations from their history.

Progress (``progress=True``): a tqdm bar on a terminal; elsewhere (a log file, the
scheduler) one line on stderr every ``progress_every`` epochs and when training stops.
"""

from __future__ import annotations

import copy
import sys
import time

import numpy as np
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

from recommender.base import Recommender
from recommender.metrics import ndcg_at_k
from recommender.splits import Holdout, fold_in_split

__all__ = ["NeuralRecommender", "dense_batches"]


def dense_batches(X: sp.csr_matrix, batch_size: int, rng: np.random.Generator | None):
    """Yield dense float32 tensors of rows of X, shuffled when ``rng`` is given."""
    order = rng.permutation(X.shape[0]) if rng is not None else np.arange(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield torch.from_numpy(X[rows].toarray().astype(np.float32, copy=False))


class NeuralRecommender(Recommender):
    """Base for Mult-VAE and RecVAE; subclasses add their own hyper-parameters."""

    def __init__(self, n_epochs: int = 100, batch_size: int = 256, lr: float = 1e-3,
                 patience: int = 10, validation_fraction: float = 0.1, validation_k: int = 100,
                 seed: int = 0, n_threads: int | None = None, progress: bool = True,
                 progress_every: int = 5, max_seconds: float | None = None):
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.validation_k = validation_k
        self.seed = seed
        self.n_threads = n_threads
        self.progress = progress
        self.progress_every = progress_every
        self.max_seconds = max_seconds

    # -- hooks -------------------------------------------------------------------------
    def _build(self, n_items: int) -> torch.nn.Module:
        raise NotImplementedError

    def _train_epoch(self, X: sp.csr_matrix, rng: np.random.Generator) -> float:
        raise NotImplementedError

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _make_optimizers(self) -> None:
        """Create optimisers after ``module_`` exists (default: one Adam)."""
        self.optimizer_ = torch.optim.Adam(self.module_.parameters(), lr=self.lr)

    # -- training loop -----------------------------------------------------------------
    def _carve_validation(self, X: sp.csr_matrix, rng) -> tuple[sp.csr_matrix, Holdout | None]:
        n_val = int(round(self.validation_fraction * X.shape[0]))
        if n_val < 5 or X.shape[0] - n_val < 5:
            return X, None
        perm = rng.permutation(X.shape[0])
        val_rows, train_rows = perm[:n_val], np.sort(perm[n_val:])
        holdout = fold_in_split(X[val_rows], np.asarray(val_rows), 0.2, rng)
        return X[train_rows], (holdout if holdout.n_users else None)

    def _validate(self, holdout: Holdout) -> float:
        k = min(self.validation_k, self.train_.n_items)
        idx, _ = self.recommend_history(holdout.fold_in, k=k)
        return ndcg_at_k(idx, holdout.target, k)

    def _fit(self, interactions, validation) -> None:
        previous_threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        try:
            torch.manual_seed(self.seed)
            rng = np.random.default_rng(self.seed)
            X = sp.csr_matrix(interactions.matrix, dtype=np.float32)
            if validation is None and self.patience:
                X, validation = self._carve_validation(X, rng)
            self.module_ = self._build(interactions.n_items)
            self._make_optimizers()
            self.history_ = []
            best, best_state, best_epoch, stale = -np.inf, None, -1, 0
            on_tty = bool(self.progress) and sys.stderr.isatty()
            lines = bool(self.progress) and not on_tty
            bar = tqdm(range(self.n_epochs), desc=f"train {self.name}", disable=not on_tty)
            started = time.perf_counter()
            self.stopped_ = "epochs"
            for epoch in bar:
                self.module_.train()
                loss = float(self._train_epoch(X, rng))
                score = self._validate(validation) if validation is not None else float("nan")
                self.history_.append({"epoch": epoch, "loss": loss, "val_ndcg": score})
                bar.set_postfix(loss=f"{loss:.3f}", ndcg=f"{score:.4f}")
                stop = False
                if validation is not None:
                    if score > best:
                        best, best_epoch, stale = score, epoch, 0
                        best_state = copy.deepcopy(self.module_.state_dict())
                    else:
                        stale += 1
                        stop = bool(self.patience) and stale >= self.patience
                        self.stopped_ = "patience" if stop else self.stopped_
                over = self.max_seconds is not None and time.perf_counter() - started >= self.max_seconds
                if over and not stop and epoch + 1 < self.n_epochs:
                    stop, self.stopped_ = True, "time budget"
                if lines and (stop or (epoch + 1) % max(1, self.progress_every) == 0 or epoch + 1 == self.n_epochs):
                    best_txt = f"; best {best:.4f} at epoch {best_epoch + 1}" if best_state is not None else ""
                    stop_txt = f"; stopping ({self.stopped_})" if stop else ""
                    print(f"train {self.name}: epoch {epoch + 1}/{self.n_epochs} loss {loss:.3f} "
                          f"validation ndcg {score:.4f}{best_txt}{stop_txt}",
                          file=sys.stderr, flush=True)
                if stop:
                    break
            if best_state is not None:
                self.module_.load_state_dict(best_state)
            self.best_epoch_ = best_epoch if best_state is not None else len(self.history_) - 1
            self.validation_ndcg_ = best if best_state is not None else None
            self.module_.eval()
        finally:
            torch.set_num_threads(previous_threads)

    def _score(self, history: sp.csr_matrix) -> np.ndarray:
        self.module_.eval()
        with torch.no_grad():
            x = torch.from_numpy(history.toarray().astype(np.float32, copy=False))
            return self._logits(x).numpy()
