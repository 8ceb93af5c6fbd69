import numpy as np
import pandas as pd
import pytest

from keywords.extract import ExtractSettings, KeywordExtractor
from keywords.parallel import ParallelSettings, WorkerError, extract_parallel

from .test_extract_reference import MATCHER, random_text


def chunks(seed=3, n_chunks=5, size=40):
    rng = np.random.default_rng(seed)
    out = []
    for c in range(n_chunks):
        out.append(pd.DataFrame({"post_id": [f"c{c}-{i}" for i in range(size)],
                                 "title": [random_text(rng, 5) for _ in range(size)],
                                 "body": [random_text(rng, 40) for _ in range(size)]}))
    return out


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_parallel_equals_one_batch(processes):
    parts = chunks()
    ex = KeywordExtractor(MATCHER, ExtractSettings(top_k=3))
    doc_freq, volume = pd.Series({"일본": 7}), pd.Series({"총선": 4})
    expected = ex.extract(pd.concat(parts, ignore_index=True), doc_freq, 50, volume)
    got = extract_parallel(ex, parts.__getitem__, len(parts), doc_freq, 50, volume,
                           settings=ParallelSettings(processes=processes))
    pd.testing.assert_frame_equal(got, expected)


def _boom(i):
    raise ValueError(f"bad chunk {i}")


def test_worker_errors_reach_the_parent():
    ex = KeywordExtractor(MATCHER)
    with pytest.raises(WorkerError, match="bad chunk"):
        extract_parallel(ex, _boom, 4, pd.Series(dtype=float), 0,
                         settings=ParallelSettings(processes=2))


def test_spawn_start_method_rebuilds_the_matcher_in_each_worker():
    parts = chunks(seed=5, n_chunks=3, size=20)
    ex = KeywordExtractor(MATCHER, ExtractSettings(top_k=2))
    expected = ex.extract(pd.concat(parts, ignore_index=True), pd.Series(dtype=float), 0)
    got = extract_parallel(ex, parts.__getitem__, len(parts), pd.Series(dtype=float), 0,
                           settings=ParallelSettings(processes=2, start_method="spawn"))
    pd.testing.assert_frame_equal(got, expected)
