import json
import os

import pandas as pd
import pytest

from dictionaries import KeywordDictionary
from jobs.cli.propose import write_tsv_atomic
from dictionaries.proposals import PROPOSAL_COLUMNS, ProposeSettings, propose_keywords

DICT = KeywordDictionary.from_records([{"keyword": "자민당", "aliases": ["자유민주당"]}, {"keyword": "날씨"}])
SINCE = pd.Timestamp("2026-02-19T00:00Z")


def posts_frame():
    rows = []
    for i in range(30):  # background: a week of ordinary posts
        rows.append((f"b{i}", f"u{i % 5}", "날씨 맑음 자민당 회의", "평범한 하루", f"2026-02-1{2 + i % 6}T10:00Z"))
    for i in range(8):  # recent: a new word, a dictionary word and an alias surge together
        rows.append((f"r{i}", f"u{i}", f"뽀로롱원 원장 구속…자유민주당 논평 {i}", "뽀로롱원을 둘러싼 수사",
                     f"2026-02-19T0{i}:30Z"))
    return pd.DataFrame(rows, columns=["post_id", "author_id", "title", "body", "published_at"])


def test_a_surging_new_word_is_proposed_dictionary_words_and_aliases_are_not():
    out = propose_keywords(posts_frame(), None, DICT, frozenset({"수사"}), SINCE,
                           ProposeSettings(min_posts=5, min_authors=3))
    assert out.columns.tolist() == PROPOSAL_COLUMNS
    row = out.set_index("candidate").loc["뽀로롱원"]
    assert row["post_count"] == 8 and row["distinct_authors"] == 8 and row["surge"] >= 3
    assert "뽀로롱원 원장 구속…자유민주당 논평 0" in row["example_titles"]
    assert pd.Timestamp(row["first_seen"]) == pd.Timestamp("2026-02-19T00:30Z")
    words = set(" ".join(out["candidate"]).split())
    assert not words & {"자민당", "자유민주당", "날씨", "수사", "맑음"}


def test_too_few_authors_or_no_surge_is_not_proposed():
    frame = posts_frame()
    frame.loc[frame.post_id.str.startswith("r"), "author_id"] = "spammer"
    out = propose_keywords(frame, None, DICT, frozenset(), SINCE, ProposeSettings(min_posts=5, min_authors=3))
    assert "뽀로롱원" not in set(out["candidate"])
    steady = propose_keywords(posts_frame(), None, DICT, frozenset(), SINCE,
                              ProposeSettings(min_posts=5, min_authors=3, min_surge=1e6))
    assert steady.empty and steady.columns.tolist() == PROPOSAL_COLUMNS


def test_surging_queries_are_proposed_unless_known():
    queries = pd.DataFrame({"hour": pd.to_datetime(["2026-02-15T10:00Z", "2026-02-19T10:00Z",
                                                    "2026-02-19T11:00Z", "2026-02-19T11:00Z"]),
                            "query": ["다카이치 총리", "다카이치 총리 발언", "다카이치 총리", "자민당 압승"],
                            "count": [3, 400, 500, 900]})
    out = propose_keywords(None, queries, DICT, frozenset(), SINCE, ProposeSettings(min_queries=100))
    got = out.set_index("candidate")
    assert got.loc["다카이치", "query_count"] == 900 and got.loc["다카이치 총리", "surge"] > 3
    assert "자민당" not in got.index and "압승" in got.index


def test_tsv_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "review.tsv"
    path.write_text("old\n", encoding="utf-8")
    frame = pd.DataFrame({"candidate": ["뽀로롱원"], "post_count": [3]})

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_tsv_atomic(frame, path)
    assert path.read_text(encoding="utf-8") == "old\n" and os.listdir(tmp_path) == ["review.tsv"]
    monkeypatch.undo()
    write_tsv_atomic(frame, path)
    assert path.read_text(encoding="utf-8") == "candidate\tpost_count\n뽀로롱원\t3\n"
    assert os.listdir(tmp_path) == ["review.tsv"]


def test_cli_writes_the_review_file(tmp_path):
    from jobs.cli.main import main

    lines = []
    for _, r in posts_frame().iterrows():
        lines.append(json.dumps({"post_id": r.post_id, "channel": "news", "author_id": r.author_id,
                                 "title": r.title, "body": r.body, "published_at": r.published_at},
                                ensure_ascii=False))
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "proposals.tsv"
    code = main(["propose-keywords", "--posts", str(tmp_path / "posts.jsonl"), "--since",
                 "2026-02-19T09:00", "--out", str(out), "--min-authors", "3"])
    assert code == 0
    review = pd.read_csv(out, sep="\t")
    assert review.columns.tolist() == PROPOSAL_COLUMNS
    assert "뽀로롱원" in set(review["candidate"]) and "자민당" not in set(review["candidate"])
    assert main(["propose-keywords", "--out", str(out)]) == 2  # nothing to read


def test_cli_reads_queries_and_bundle_titles_from_the_run_db(tmp_path):
    import sqlalchemy as sa

    from jobs.cli.main import main
    from jobs.store.issue_store import IssueStore, metadata, to_db_time

    url = f"sqlite:///{tmp_path / 'run.sqlite'}"
    store = IssueStore(url)
    hours = [pd.Timestamp("2026-02-1%dT10:00Z" % d) for d in (2, 3, 4)] + \
        [pd.Timestamp("2026-02-19T0%d:00Z" % h) for h in range(1, 7)]
    with store.engine.begin() as conn:
        for i, h in enumerate(hours):
            recent = h.day == 19
            conn.execute(sa.insert(metadata.tables["query_stats"]),
                         [{"hour": to_db_time(h), "query": "뽀로롱원 사건" if recent else "날씨", "count": 300}])
            if recent:
                conn.execute(sa.insert(metadata.tables["bundles"]),
                             [{"hour": to_db_time(h), "channel": "home", "issue_id": "x", "position": 0,
                               "post_id": f"p{i}", "title": f"뽀로롱원 원장 구속 {i}", "author_id": f"a{i}",
                               "url": "", "bundle_score": 1.0}])
    out = tmp_path / "review.tsv"
    assert main(["propose-keywords", "--db", url, "--since", "2026-02-19T00:00Z", "--until",
                 "2026-02-20T00:00Z", "--out", str(out), "--min-authors", "3"]) == 0
    review = pd.read_csv(out, sep="\t").set_index("candidate")
    assert review.loc["뽀로롱원", "post_count"] == 6 and review.loc["뽀로롱원", "query_count"] == 1800
    assert "날씨" not in review.index
