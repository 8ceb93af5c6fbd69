"""Mult-VAE (Liang et al. 2018): a variational autoencoder with a multinomial likelihood.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": [str(u) for u in range(30) for _ in range(3)],
    ...                    "item_id": [str((u % 2) * 3 + j) for u in range(30) for j in range(3)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> model = MultVAE(hidden_dim=8, latent_dim=2, n_epochs=3, patience=0, progress=False).fit(data)
    >>> ids, scores = model.recommend(["0"], k=3)
    >>> ids.shape, sorted(ids[0]) != ["0", "1", "2"]        # never what user 0 already liked
    ((1, 3), True)

The encoder L2-normalises the input row, applies dropout and one tanh layer to produce
the mean and log-variance of z; the decoder mirrors it. The KL weight beta is annealed
linearly from 0 to ``anneal_cap`` over ``total_anneal_steps`` updates, as in the paper.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recommender.neural import NeuralRecommender, dense_batches

__all__ = ["MultVAE", "MultVAEModule"]


class MultVAEModule(nn.Module):
    def __init__(self, n_items: int, hidden_dim: int, latent_dim: int, dropout: float):
        super().__init__()
        self.dropout = dropout
        self.encoder = nn.Linear(n_items, hidden_dim)
        self.encoder_out = nn.Linear(hidden_dim, 2 * latent_dim)
        self.decoder = nn.Linear(latent_dim, hidden_dim)
        self.decoder_out = nn.Linear(hidden_dim, n_items)
        for layer in (self.encoder, self.encoder_out, self.decoder, self.decoder_out):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=0.001)

    def forward(self, x: torch.Tensor):
        h = F.normalize(x, dim=-1)
        h = F.dropout(h, self.dropout, training=self.training)
        mu, logvar = self.encoder_out(torch.tanh(self.encoder(h))).chunk(2, dim=-1)
        if self.training:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        else:
            z = mu
        return self.decoder_out(torch.tanh(self.decoder(z))), mu, logvar


class MultVAE(NeuralRecommender):
    """Mult-VAE^PR with KL annealing; see ``NeuralRecommender`` for the training settings."""

    name = "mult_vae"

    def __init__(self, hidden_dim: int = 600, latent_dim: int = 200, dropout: float = 0.5,
                 anneal_cap: float = 0.2, total_anneal_steps: int = 20000, **training):
        super().__init__(**training)
        self.hidden_dim = hidden_dim
        self.latent_dim = latent_dim
        self.dropout = dropout
        self.anneal_cap = anneal_cap
        self.total_anneal_steps = total_anneal_steps

    def _build(self, n_items: int) -> nn.Module:
        self.update_count_ = 0
        return MultVAEModule(n_items, self.hidden_dim, self.latent_dim, self.dropout)

    def _train_epoch(self, X, rng: np.random.Generator) -> float:
        losses = []
        for x in dense_batches(X, self.batch_size, rng):
            beta = min(self.anneal_cap, self.update_count_ / max(self.total_anneal_steps, 1))
            logits, mu, logvar = self.module_(x)
            nll = -(F.log_softmax(logits, dim=-1) * x).sum(dim=-1).mean()
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1).mean()
            loss = nll + beta * kl
            self.optimizer_.zero_grad()
            loss.backward()
            self.optimizer_.step()
            self.update_count_ += 1
            losses.append(loss.item())
        return float(np.mean(losses))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.module_(x)[0]
