"""Near-duplicate groups from the map's signatures: the same groups as from the texts, floods collapse."""
import numpy as np
import pandas as pd
from datasketch import MinHash

from issues.near_duplicates import duplicate_groups
from issues.spam import near_duplicate_groups, shingles
from keywords.matcher import KeywordMatcher
from keywords.signature import minhash_signatures, signature_similarity
from keywords.stream import map_posts, signatures_of


def _posts(seed=7):
    rng = np.random.default_rng(seed)
    syllables = [chr(0xAC00 + int(i)) for i in rng.integers(0, 2000, 400)]

    def words(n):
        return " ".join("".join(rng.choice(syllables, size=int(rng.integers(2, 5)))) for _ in range(n))

    template = words(30)
    flood = [f"특가 {rng.integers(100, 999)}원 {template} 문의 010-{rng.integers(1000, 9999)}" for _ in range(30)]
    other = [words(40) for _ in range(170)]
    texts = flood + other
    return pd.DataFrame({"post_id": [f"p{i:03d}" for i in range(len(texts))], "channel": "community",
                         "author_id": [f"a{i}" for i in range(len(texts))], "title": [t[:20] for t in texts],
                         "body": [t[20:] for t in texts], "url": "", "recommend_count": 0, "editor_score": 0.0,
                         "published_at": pd.Timestamp("2026-05-04T10:00Z")})


def test_signatures_from_the_map_give_the_groups_of_the_texts():
    posts = _posts()
    sig = signatures_of(map_posts(posts, KeywordMatcher({"특가": "특가"})))
    from_texts = near_duplicate_groups(posts, threshold=0.7)
    from_map = near_duplicate_groups(posts.drop(columns="body"), threshold=0.7, signatures=sig)
    pd.testing.assert_series_equal(from_texts, from_map)
    assert set(from_map.index) == {f"p{i:03d}" for i in range(30)}
    assert set(from_map) == {"p000"}


def test_same_groups_as_datasketch_on_clear_cases():
    posts = _posts(11)
    texts = (posts["title"] + " " + posts["body"].str[:300]).tolist()
    ours = duplicate_groups(minhash_signatures(texts), 0.7) >= 0
    theirs = MinHash.bulk([shingles(t, 3, True) for t in texts], num_perm=64, seed=1)
    flood = [i for i in range(len(texts)) if theirs[i].jaccard(theirs[0]) >= 0.7]
    assert np.flatnonzero(ours).tolist() == flood == list(range(30))


def test_estimate_follows_the_jaccard_similarity():
    rng = np.random.default_rng(5)
    base = "".join(chr(0xAC00 + int(i)) for i in rng.integers(0, 3000, 400))
    for cut in (50, 150, 250, 350):
        other = base[:cut] + "".join(chr(0xAC00 + int(i)) for i in rng.integers(0, 3000, 400 - cut))
        a, b = shingles(base, 3, True), shingles(other, 3, True)
        truth = len(a & b) / len(a | b)
        estimate = float(signature_similarity(*minhash_signatures([base, other])))
        assert abs(estimate - truth) < 0.2, (cut, truth, estimate)


def test_empty_texts_are_nobody_s_duplicate():
    sig = minhash_signatures(["", "", "같은 글입니다"] * 2, salt=["a", "b", "c", "d", "e", "f"])
    assert duplicate_groups(sig, 0.7).tolist() == [-1, -1, 2, -1, -1, 2]
