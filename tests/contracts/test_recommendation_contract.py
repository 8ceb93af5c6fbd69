"""A real recommendation export (history and fallback users, an issue-lifted item) validates
line by line against the published ``Recommendation`` JSON Schema, and the export refuses a
record that drifts from the contract."""
from __future__ import annotations

import json

import jsonschema
import numpy as np
import pandas as pd
import pytest

import recommender.shell as jr
from issues.contracts import Recommendation, json_schemas
from recommender.data import DataSettings
from tests.recommender.suite import planted_frame

TINY = dict(vae_epochs=2, vae_hidden=16, vae_latent=4, patience=0, threads=1, progress=False,
            ease_l2_grid=(5.0, 50.0), data=DataSettings(min_user_count=3, min_item_count=3))


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reco")
    df = planted_frame(n_users=120, per_user=10)
    df["timestamp"] = 1_700_000_000 + np.random.default_rng(1).integers(0, 10 * 86400, len(df))
    items = pd.DataFrame({"item_id": sorted(df.item_id.unique())})
    items["title"] = "movie " + items.item_id
    df.to_csv(folder / "inter.csv", index=False)
    items.to_csv(folder / "items.csv", index=False)
    feed = {"hour": "2023-11-24T20:00:00+00:00", "channels": {"home": [
        {"issue_id": "iss-7", "rank": 1, "title": "i7 everywhere", "keyword": "i7", "score": 3.0,
         "post_ids": [], "state": "rising", "onset": "2023-11-24T18:00:00+00:00"}]}}
    (folder / "feed.json").write_text(json.dumps(feed))
    s = jr.RecommenderSettings(model_dir=str(folder / "models"), **TINY)
    jr.train_recommender(s, folder / "inter.csv", folder / "items.csv")
    jr.recommend(s, feed_path=folder / "feed.json", out_path=folder / "export.jsonl", issue_weight=5.0,
                 users=[f"u{u}" for u in range(120)] + ["someone new"])
    return [json.loads(line) for line in (folder / "export.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_line_of_a_real_export_validates_against_the_published_schema(export):
    schema = json_schemas()["recommendation"]
    validator = jsonschema.Draft202012Validator(schema)
    for line in export:
        validator.validate(line)
    # the lines cover every shape the contract describes
    assert {r["basis"] for r in export} == {"history", "fallback"}
    lifted = [i for r in export for i in r["items"] if i["issue"]]
    assert lifted and lifted[0]["issue"]["issue_id"] == "iss-7"
    assert any(i["fallback"] for r in export for i in r["items"])
    assert Recommendation.model_validate(export[0]).version == export[0]["version"]


def test_the_schema_and_the_export_refuse_a_drifted_record(export):
    schema = json_schemas()["recommendation"]
    drifted = {**export[0], "items": [{**export[0]["items"][0], "issue": "iss-7"}]}   # the old contract's shape
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**export[0], "unexpected": 1}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(drifted, schema)
    with pytest.raises(jr.ExportError, match="breaks the Recommendation contract: items.0.issue"):
        jr.check_records([drifted])
