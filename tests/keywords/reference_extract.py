"""Slow pure-Python reference of KeywordExtractor.extract: naive_find + dicts + math.log."""
from math import log

from keywords.normalize import normalize_text

from .naive import naive_find


def reference_extract(posts, surfaces, stopwords, weights, settings, doc_freq, n_docs,
                      query_volume=None, keep_all=False):
    """List of (post_id, keyword, title_hits, body_hits, first_pos, tf, idf,
    position_weight, popularity, score) in the extractor's order."""
    s = settings
    per_post = []
    for _, row in posts.iterrows():
        title = normalize_text(row["title"]) if isinstance(row["title"], str) else ""
        body = normalize_text(row["body"]) if isinstance(row["body"], str) else ""
        body = body[:s.max_body_chars]
        counts = {}
        for kw, _, _ in naive_find(surfaces, title, stopwords):
            counts.setdefault(kw, [0, 0, None])[0] += 1
        for kw, start, _ in naive_find(surfaces, body, stopwords):
            entry = counts.setdefault(kw, [0, 0, None])
            entry[1] += 1
            if entry[2] is None:
                entry[2] = start / len(body)
        per_post.append((str(row["post_id"]), counts))
    df_now = {}
    for _, counts in per_post:
        for kw in counts:
            df_now[kw] = df_now.get(kw, 0) + 1
    out = []
    for post_id, counts in per_post:
        rows = []
        for kw, (th, bh, first) in counts.items():
            first_pos = 0.0 if th else first
            tf_raw = s.title_weight * th + bh
            tf = 1.0 + log(tf_raw) if tf_raw > 0 else 0.0
            idf = log((1.0 + n_docs + len(posts)) / (1.0 + float(doc_freq.get(kw, 0)) + df_now[kw])) + 1.0
            pw = 1.0 - s.position_decay * first_pos
            volume = max(float((query_volume if query_volume is not None else {}).get(kw, 0)), 0.0)
            pop = 1.0 + s.popularity_weight * log(1.0 + volume)
            score = tf * idf * pw * pop * weights.get(kw, 1.0)
            rows.append((post_id, kw, th, bh, first_pos, tf, idf, pw, pop, score))
        rows.sort(key=lambda r: (-r[-1], r[1]))
        out.extend(rows if keep_all else rows[:s.top_k])
    return out
