"""RecVAE (Shenbin et al. 2020): Mult-VAE with a composite prior and alternating updates.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": [str(u) for u in range(30) for _ in range(3)],
    ...                    "item_id": [str((u % 2) * 3 + j) for u in range(30) for j in range(3)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> model = RecVAE(hidden_dim=8, latent_dim=2, n_epochs=2, patience=0, progress=False).fit(data)
    >>> ids, scores = model.recommend(["0"], k=3)
    >>> ids.shape, set(ids[0]) & {"0", "1", "2"}
    ((1, 3), set())

Following the paper and its reference code:

* the encoder is five densely connected layers (swish + layer norm), the decoder a single
  linear layer;
* the prior is a mixture of a standard normal, the posterior of the *previous* encoder
  (frozen copy, refreshed after each encoder phase) and a wide normal (log-variance 10),
  weights ``3/20, 3/4, 1/10``;
* the KL weight is ``gamma * |x_u|`` (scaled by each user's number of interactions);
* each epoch alternates ``n_encoder_passes`` passes updating only the encoder (input
  dropout 0.5) with ``n_decoder_passes`` passes updating only the decoder (no dropout).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recommender.neural import NeuralRecommender, dense_batches

__all__ = ["RecVAE", "RecVAEModule"]

MIXTURE_WEIGHTS = (3 / 20, 3 / 4, 1 / 10)


def log_norm_pdf(x, mu, logvar):
    return -0.5 * (logvar + math.log(2 * math.pi) + (x - mu).pow(2) / logvar.exp())


class RecVAEEncoder(nn.Module):
    def __init__(self, n_items: int, hidden_dim: int, latent_dim: int, eps: float = 1e-1):
        super().__init__()
        self.fcs = nn.ModuleList([nn.Linear(n_items, hidden_dim)] +
                                 [nn.Linear(hidden_dim, hidden_dim) for _ in range(4)])
        self.lns = nn.ModuleList([nn.LayerNorm(hidden_dim, eps=eps) for _ in range(5)])
        self.fc_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden_dim, latent_dim)

    def forward(self, x: torch.Tensor, dropout: float):
        x = x / x.pow(2).sum(dim=-1, keepdim=True).sqrt().clamp_min(1e-12)
        x = F.dropout(x, p=dropout, training=self.training)
        hs = []
        for fc, ln in zip(self.fcs, self.lns):
            pre = fc(x if not hs else hs[-1])
            h = ln(F.silu(pre + sum(hs)) if hs else F.silu(pre))
            hs.append(h)
        return self.fc_mu(hs[-1]), self.fc_logvar(hs[-1])


class CompositePrior(nn.Module):
    def __init__(self, encoder: RecVAEEncoder, latent_dim: int):
        super().__init__()
        self.register_buffer("mu", torch.zeros(1, latent_dim))
        self.register_buffer("logvar", torch.zeros(1, latent_dim))
        self.register_buffer("logvar_wide", torch.full((1, latent_dim), 10.0))
        self.encoder_old = copy.deepcopy(encoder)
        self.encoder_old.requires_grad_(False)

    def forward(self, x, z):
        self.encoder_old.eval()
        post_mu, post_logvar = self.encoder_old(x, 0.0)
        parts = [log_norm_pdf(z, self.mu, self.logvar), log_norm_pdf(z, post_mu, post_logvar),
                 log_norm_pdf(z, self.mu, self.logvar_wide)]
        parts = [p + math.log(w) for p, w in zip(parts, MIXTURE_WEIGHTS)]
        return torch.logsumexp(torch.stack(parts, dim=-1), dim=-1)


class RecVAEModule(nn.Module):
    def __init__(self, n_items: int, hidden_dim: int, latent_dim: int):
        super().__init__()
        self.encoder = RecVAEEncoder(n_items, hidden_dim, latent_dim)
        self.prior = CompositePrior(self.encoder, latent_dim)
        self.decoder = nn.Linear(latent_dim, n_items)

    def loss(self, x: torch.Tensor, gamma: float, dropout: float) -> torch.Tensor:
        mu, logvar = self.encoder(x, dropout)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        logits = self.decoder(z)
        mll = (F.log_softmax(logits, dim=-1) * x).sum(dim=-1).mean()
        kl_weight = gamma * x.sum(dim=-1)
        kld = ((log_norm_pdf(z, mu, logvar) - self.prior(x, z)).sum(dim=-1) * kl_weight).mean()
        return -(mll - kld)

    def update_prior(self):
        self.prior.encoder_old.load_state_dict(self.encoder.state_dict())

    def forward(self, x):
        mu, _ = self.encoder(x, 0.0)
        return self.decoder(mu)


class RecVAE(NeuralRecommender):
    """RecVAE; see ``NeuralRecommender`` for the training settings (lr default 5e-4)."""

    name = "recvae"

    def __init__(self, hidden_dim: int = 600, latent_dim: int = 200, gamma: float = 0.005,
                 dropout: float = 0.5, n_encoder_passes: int = 3, n_decoder_passes: int = 1,
                 **training):
        training.setdefault("lr", 5e-4)
        super().__init__(**training)
        self.hidden_dim = hidden_dim
        self.latent_dim = latent_dim
        self.gamma = gamma
        self.dropout = dropout
        self.n_encoder_passes = n_encoder_passes
        self.n_decoder_passes = n_decoder_passes

    def _build(self, n_items: int) -> nn.Module:
        return RecVAEModule(n_items, self.hidden_dim, self.latent_dim)

    def _make_optimizers(self) -> None:
        self.encoder_optimizer_ = torch.optim.Adam(self.module_.encoder.parameters(), lr=self.lr)
        self.decoder_optimizer_ = torch.optim.Adam(self.module_.decoder.parameters(), lr=self.lr)

    def _passes(self, X, rng, optimizer, n_passes: int, dropout: float) -> list[float]:
        losses = []
        for _ in range(n_passes):
            for x in dense_batches(X, self.batch_size, rng):
                loss = self.module_.loss(x, self.gamma, dropout)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return losses

    def _train_epoch(self, X, rng: np.random.Generator) -> float:
        enc = self._passes(X, rng, self.encoder_optimizer_, self.n_encoder_passes, self.dropout)
        self.module_.update_prior()
        dec = self._passes(X, rng, self.decoder_optimizer_, self.n_decoder_passes, 0.0)
        return float(np.mean(enc + dec))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.module_(x)
