"""What the PyTorch models share: seeding, threads, batching, early stopping on validation NDCG.

    >>> class MyVAE(NeuralRecommender):                                  # doctest: +SKIP
    ...     def _build(self, n_items): return MyModule(n_items)
    ...     def _train_epoch(self, X, rng): ...  # one epoch, returns the mean loss
    ...     def _logits(self, x): return self.module_(x)

``fit`` seeds ``torch`` and a NumPy ``Generator`` from ``seed``, sets
``torch.set_num_threads(n_threads)`` for the duration of training (restoring it after),
trains up to ``n_epochs`` with a tqdm progress bar, and after each epoch measures
NDCG@``validation_k`` on the validation holdout; it keeps the best epoch's weights and
stops after ``patience`` epochs without improvement. Without an explicit holdout,
``validation_fraction`` of the training users are set aside (80/20 fold-in) - the models
are inductive, so those users still get recommendations from their history.
"""

from __future__ import annotations

import copy

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
                 seed: int = 0, n_threads: int | None = None, progress: bool = True):
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.validation_k = validation_k
        self.seed = seed
        self.n_threads = n_threads
        self.progress = progress

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
            bar = tqdm(range(self.n_epochs), desc=f"train {self.name}", disable=None if self.progress else True)
            for epoch in bar:
                self.module_.train()
                loss = float(self._train_epoch(X, rng))
                score = self._validate(validation) if validation is not None else float("nan")
                self.history_.append({"epoch": epoch, "loss": loss, "val_ndcg": score})
                bar.set_postfix(loss=f"{loss:.3f}", ndcg=f"{score:.4f}")
                if validation is None:
                    continue
                if score > best:
                    best, best_epoch, stale = score, epoch, 0
                    best_state = copy.deepcopy(self.module_.state_dict())
                else:
                    stale += 1
                    if self.patience and stale >= self.patience:
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
