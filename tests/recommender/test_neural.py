import numpy as np
import torch

from recommender.mult_vae import MultVAE
from recommender.recvae import RecVAE
from tests.recommender.suite import RecommenderSuite, planted_interactions

SMALL = dict(hidden_dim=32, latent_dim=8, n_epochs=30, batch_size=32, lr=1e-2, patience=10,
             seed=7, n_threads=1, progress=False)


class TestMultVAE(RecommenderSuite):
    def make_model(self):
        return MultVAE(total_anneal_steps=50, **SMALL)


class TestRecVAE(RecommenderSuite):
    def make_model(self):
        return RecVAE(n_encoder_passes=2, **SMALL)


def test_early_stopping_keeps_best_epoch_and_restores_threads():
    before = torch.get_num_threads()
    model = MultVAE(**{**SMALL, "n_epochs": 40, "patience": 2, "lr": 5e-2}).fit(planted_interactions())
    assert torch.get_num_threads() == before
    scores = [h["val_ndcg"] for h in model.history_]
    assert model.validation_ndcg_ == max(scores)
    assert scores[model.best_epoch_] == max(scores)
    assert len(scores) <= 40


def test_recvae_prior_tracks_encoder_after_epoch():
    model = RecVAE(**{**SMALL, "n_epochs": 1, "patience": 0}).fit(planted_interactions())
    enc = model.module_.encoder.state_dict()
    old = model.module_.prior.encoder_old.state_dict()
    # the prior copy was refreshed after the encoder phase; only the decoder moved since
    for k in enc:
        np.testing.assert_array_equal(enc[k].numpy(), old[k].numpy())
    assert not any(p.requires_grad for p in model.module_.prior.parameters())


def test_early_stopping_stops_on_the_validation_metric():
    model = MultVAE(**{**SMALL, "n_epochs": 200, "patience": 2, "lr": 5e-2}).fit(planted_interactions())
    scores = [h["val_ndcg"] for h in model.history_]
    assert model.stopped_ == "patience" and len(scores) < 200
    assert len(scores) == model.best_epoch_ + 1 + 2            # exactly `patience` epochs past the best
    assert all(s <= scores[model.best_epoch_] for s in scores[model.best_epoch_ + 1:])


def test_time_budget_stops_after_the_epoch_that_reaches_it():
    model = RecVAE(**{**SMALL, "n_epochs": 5, "max_seconds": 0.0}).fit(planted_interactions())
    assert (len(model.history_), model.stopped_) == (1, "time budget")
    assert model.best_epoch_ == 0 and model.validation_ndcg_ == model.history_[0]["val_ndcg"]
    full = RecVAE(**{**SMALL, "n_epochs": 2, "patience": 0}).fit(planted_interactions())
    assert (len(full.history_), full.stopped_) == (2, "epochs")
