"""The contracts are the truth: a real run's feed validates against the published JSON Schema."""
from __future__ import annotations

import json

import jsonschema
import pytest

from issues.contracts import SCHEMAS, FeedDocument, NoSignals, Signals, json_schemas
from jobs.cli.main import main
from tests.jobs.helpers import START, write_inputs


@pytest.fixture(scope="module")
def real_feed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract-run")
    inputs = write_inputs(folder, hours=10)
    feed = folder / "feed-{hour}.json"
    for h in range(10):
        hour = (START + __import__("pandas").Timedelta(hours=h)).isoformat()
        assert main(["run", "--hour", hour, "--posts", inputs["posts"], "--queries", inputs["queries"],
                     "--dictionary", inputs["dictionary"], "--stopwords", "", "--db",
                     f"sqlite:///{folder / 'iw.sqlite'}", "--feed-file", str(feed), "--quiet"]) == 0
    return json.loads((folder / "feed-20260504T08.json").read_text(encoding="utf-8"))


def test_a_real_feed_validates_against_the_published_schema(real_feed):
    assert real_feed["channels"]["home"], "the planted event's hour has issues"
    jsonschema.validate(real_feed, json_schemas()["feed_document"])


def test_the_schema_rejects_what_the_contract_forbids(real_feed):
    schema = json_schemas()["feed_document"]
    broken = json.loads(json.dumps(real_feed))
    broken["channels"]["home"][0]["rank"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    broken = json.loads(json.dumps(real_feed))
    del broken["channels"]["home"][0]["issue_id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_a_reader_gets_typed_records_back(real_feed):
    doc = FeedDocument.model_validate(real_feed)
    issue = doc.channels["home"][0]
    assert isinstance(issue.signals, Signals) and issue.signals.authors >= 3
    assert doc.model_dump(mode="json") == real_feed          # nothing lost or added on the way through


def test_a_pinned_issue_has_no_signals():
    doc = FeedDocument.model_validate({"hour": "2026-05-04T08:00:00+09:00", "channels": {"home": [
        {"issue_id": "x", "rank": 1, "title": "길고양이", "keyword": "길고양이", "score": 1.0, "pinned": True,
         "state": "pinned", "signals": {}}]}})
    assert isinstance(doc.channels["home"][0].signals, NoSignals)
    assert doc.model_dump(mode="json")["channels"]["home"][0]["signals"] == {}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_contract_has_a_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(json_schemas()[name])
