"""Validation of one record: a raw post or query-count dict -> the contract's types, or the reason why not.

    >>> post = validate_post({"post_id": "p1", "channel": "news", "author_id": "a1", "title": "임재범\u202e 컴백",
    ...                       "body": "", "published_at": "2026-02-19T16:10:00+09:00", "recommend_count": "7",
    ...                       "url": "javascript:alert(1)"})
    >>> post["title"], post["published_at"].isoformat(), post["recommend_count"], post["url"], post["_dropped"]
    ('임재범 컴백', '2026-02-19T07:10:00+00:00', 7, '', "url dropped: scheme 'javascript' is not http(s)")
    >>> validate_post({"post_id": "p2", "channel": "news", "author_id": "a1", "title": "t", "body": "",
    ...                "published_at": "2026-02-19T16:10:00", "recommend_count": 10 ** 30})
    Traceback (most recent call last):
    issues.field_rules.RowError: published_at has no UTC offset (add one such as +09:00): '2026-02-19T16:10:00'
    >>> validate_query_count({"hour": "2026-05-05T18:20+09:00", "query": " 어린이날  선물", "count": "7"})["query"]
    '어린이날 선물'

Every value the rules of :mod:`issues.field_rules` allow can be stored by every backend; every
other value is a :class:`RowError` whose message is the reject reason (docs/input-validation.md
lists them). Counts are whole, non-negative and at most 2^63-1; scores finite and non-negative.
"""
from __future__ import annotations

import functools
import math
import re
from datetime import datetime
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from issues import field_rules
from issues.field_rules import (FieldLimits, RowError, channel_name, http_url, identifier, show, storable_limits,
                                 storable_problem, strip_invisible)

MAX_COUNT = 2 ** 63 - 1                 # int64: what pandas and the BIGINT columns hold


@functools.lru_cache(maxsize=1 << 16)
def _parse_text(text: str, name: str, floor: bool) -> tuple[pd.Timestamp | None, str | None]:
    """A string's parse, cached: an hour's rows repeat a few thousand distinct times (a query file
    one hour string for every row), so each is parsed once. Returns (timestamp, None) or (None, reason)."""
    try:
        ts = _parse(text, name)
    except RowError as exc:
        return None, str(exc)
    return (ts.floor("h") if floor else ts), None


def parse_timestamp(value: Any, name: str = "time", floor: bool = False) -> pd.Timestamp:
    """ISO 8601 with an offset -> UTC Timestamp (``floor``: floored to the hour); anything else is a RowError."""
    if isinstance(value, str):
        ts, reason = _parse_text(value, name, floor)
        if reason is not None:
            raise RowError(reason)
        return ts
    ts = _parse(value, name)
    return ts.floor("h") if floor else ts


def _parse(value: Any, name: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp):
        ts = value
    elif isinstance(value, datetime):
        ts = pd.Timestamp(value)
    elif isinstance(value, str) and value.strip():
        try:
            ts = pd.Timestamp(datetime.fromisoformat(value.strip()))
        except (ValueError, OverflowError):
            raise RowError(f"unparseable time {show(value)}") from None
    else:
        raise RowError(f"unparseable time {show(value)}")
    if ts is pd.NaT or pd.isna(ts):
        raise RowError(f"unparseable time {show(value)}")
    if ts.tzinfo is None:
        raise RowError(f"{name} has no UTC offset (add one such as +09:00): {show(value)}")
    return ts.tz_convert("UTC")


def _text(rec: dict, name: str, *, required: bool) -> str | None:
    value = rec.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise RowError(f"missing field {name!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RowError(f"field {name!r} must be a string, got {type(value).__name__}")
    try:
        text = value if isinstance(value, str) else str(value)
    except ValueError:                                  # an int of thousands of digits
        raise RowError(f"field {name!r} must be a string, got a huge int") from None
    problem = storable_problem(name, text)
    if problem:
        raise RowError(problem)
    return text


def _number(rec: dict, name: str, cast: Callable[[Any], Any]) -> Any:
    """A count (``cast=int``: whole, at most 2^63-1) or a score (``float``: finite), never negative."""
    value = rec.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise RowError(f"field {name!r} must be a number, got bool")
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text) if re.fullmatch(r"[+-]?\d{1,30}", text) else float(text)
        except ValueError:
            raise RowError(f"field {name!r} must be a number, got {show(value)}") from None
    elif isinstance(value, (int, float, np.integer, np.floating)):
        number = value
    else:
        raise RowError(f"field {name!r} must be a number, got {type(value).__name__}")
    try:
        if isinstance(number, (float, np.floating)) and not math.isfinite(number):
            raise RowError(f"field {name!r} must be finite")
        if cast is int:
            if isinstance(number, (float, np.floating)) and not float(number).is_integer():
                raise RowError(f"field {name!r} must be a whole number, got {show(value)}")
            number = int(number)
        else:
            number = float(number)
    except OverflowError:
        raise RowError(f"field {name!r} is too large") from None
    if number < 0:
        raise RowError(f"field {name!r} must not be negative")
    if number > MAX_COUNT:
        raise RowError(f"field {name!r} is too large (more than {MAX_COUNT})")
    return number


def validate_post(rec: dict, max_text_chars: int = 1_000_000, earliest: pd.Timestamp | None = None,
                  latest: pd.Timestamp | None = None, limits: FieldLimits | None = None) -> dict:
    """One raw record -> a Post dict in the contract's types, or RowError with the reason.

    ``earliest`` / ``latest`` (UTC) bound ``published_at``: a post from the far past or the future
    is a clock or parsing error upstream, not news. A URL that is not http(s) is dropped: the post
    gets ``url = ""`` and the reason under ``"_dropped"``.
    """
    limits = limits or storable_limits()
    post = {name: _text(rec, name, required=True) for name in ("post_id", "channel", "author_id", "title", "body")}
    for name in ("post_id", "channel", "author_id"):
        post[name] = post[name].strip()
        if not post[name]:
            raise RowError(f"empty field {name!r}")
    post["post_id"] = identifier("post_id", post["post_id"], limits.post_id)
    post["author_id"] = identifier("author_id", post["author_id"], limits.author_id)
    post["channel"] = channel_name(post["channel"], limits.channel)
    for name in ("title", "body"):
        if len(post[name]) > max_text_chars:
            raise RowError(f"field {name!r} longer than {max_text_chars} characters")
        post[name] = strip_invisible(post[name], keep_breaks=name == "body")
    if not post["title"].strip() and not post["body"].strip():
        raise RowError("empty title and body")
    if "published_at" not in rec or rec["published_at"] is None:
        raise RowError("missing field 'published_at'")
    post["published_at"] = parse_timestamp(rec["published_at"], "published_at")
    if earliest is not None and post["published_at"] < earliest:
        raise RowError(f"published_at is before {earliest.isoformat()}: {post['published_at'].isoformat()}")
    if latest is not None and post["published_at"] > latest:
        raise RowError(f"published_at is in the future (after {latest.isoformat()}): "
                       f"{post['published_at'].isoformat()}")
    post["source"] = strip_invisible(_text(rec, "source", required=False) or "")
    if len(post["source"]) > limits.source:
        raise RowError(f"field 'source' longer than {limits.source} characters")
    post["recommend_count"] = _number(rec, "recommend_count", int) or 0
    post["editor_score"] = float(_number(rec, "editor_score", float) or 0.0)
    url = _text(rec, "url", required=False) or ""
    try:
        post["url"] = http_url(url)
    except RowError as exc:
        post["url"], post["_dropped"] = "", str(exc)
    return post


def validate_query_count(rec: dict, limits: FieldLimits | None = None) -> dict:
    """One raw record -> ``{hour, query, count}`` (hour floored to the hour, UTC) or RowError."""
    limits = limits or storable_limits()
    query = " ".join(strip_invisible(_text(rec, "query", required=True)).split())
    if not query:
        raise RowError("empty field 'query'")
    if len(query) > limits.query:
        raise RowError(f"field 'query' longer than {limits.query} characters")
    if "hour" not in rec or rec["hour"] is None:
        raise RowError("missing field 'hour'")
    hour = parse_timestamp(rec["hour"], "hour", floor=True)
    count = _number(rec, "count", int)
    if count is None:
        raise RowError("missing field 'count'")
    return {"hour": hour, "query": query, "count": count}


# ---------------------------------------------------------------- whole chunks at once
# The rows these accept are exactly those validate_post / validate_query_count would return unchanged
# (the masks are conservative); every other row goes through them, so every reason stays theirs.
_ISO_RE2 = (r"^(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]"
            r"(?::[0-5][0-9](?:\.[0-9]{1,6})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$")
_WHOLE_RE2, _DECIMAL_RE2 = r"^[0-9]{1,18}$", r"^[0-9]{1,15}(?:\.[0-9]{1,15})?$"


def _column(recs: list, name: str) -> list:
    return [r.get(name) if type(r) is dict else None for r in recs]


def _strings(values: list) -> tuple[np.ndarray, pa.Array]:
    """(which values are ``str``, an Arrow string array of them, null elsewhere or where not UTF-8)."""
    is_str = np.fromiter((type(v) is str for v in values), bool, len(values))
    kept = values if is_str.all() else [v if s else None for v, s in zip(values, is_str)]
    try:
        return is_str, pa.array(kept, type=pa.string())
    except (UnicodeEncodeError, pa.ArrowException):      # a lone surrogate somewhere: those rows go per row
        fine = [v is not None and not _SURROGATE_RE.search(v) for v in kept]
        return is_str & np.array(fine, bool), pa.array([v if f else None for v, f in zip(kept, fine)], pa.string())


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _timestamps(values: pa.Array, floor: bool = False) -> tuple[np.ndarray, pd.Series]:
    """(which values are ISO 8601 times with an offset that parse, their UTC times in microseconds)."""
    good = pc.fill_null(pc.match_substring_regex(values, _ISO_RE2), False)
    text = pc.if_else(good, values, pa.scalar(None, pa.string())).to_pandas(types_mapper=None)
    times = pd.to_datetime(text.astype(object), format="ISO8601", utc=True, errors="coerce").dt.as_unit("us")
    if floor:
        times = times.dt.floor("h")
    return times.notna().to_numpy(), times


_KINDS = {type(None): 0, int: 1, float: 2, str: 3}


def _numbers(values: list, whole: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(which values certainly pass ``_number`` unchanged, which are missing, the numbers with 0 where
    missing), decided per Python type over arrays: ints, floats and numeric texts."""
    n = len(values)
    kinds = np.fromiter((_KINDS.get(type(v), 4) for v in values), np.int8, n)
    missing = kinds == 0
    ok = missing.copy()
    number = np.zeros(n, np.int64 if whole else np.float64)
    for kind in (1, 2, 3):
        at = np.flatnonzero(kinds == kind)
        if not len(at):
            continue
        some = values if len(at) == n else [values[i] for i in at.tolist()]
        if kind == 1:
            try:
                arr = np.array(some, dtype=np.int64)
                fine = arr >= 0
            except OverflowError:                   # an int beyond 64 bits: those go per row
                fine = np.array([0 <= v <= MAX_COUNT for v in some], bool)
                arr = np.array([v if f else 0 for v, f in zip(some, fine)], dtype=np.int64)
            ok[at], number[at] = fine, arr if whole else arr.astype(np.float64)
        elif kind == 2 and not whole:
            arr = np.array(some, dtype=np.float64)
            with np.errstate(invalid="ignore"):
                ok[at] = np.isfinite(arr) & (arr >= 0) & (arr < 1e18)
            number[at] = np.where(arr == 0, 0.0, arr)                 # -0.0 or 0.0 is 0.0
        elif kind == 3:
            arr = pa.array(some, type=pa.string())
            empty = pc.equal(arr, "").to_numpy(zero_copy_only=False)
            good = pc.match_substring_regex(arr, _WHOLE_RE2 if whole else _DECIMAL_RE2)
            parsed = pc.cast(pc.if_else(good, arr, pa.scalar("0")), pa.int64() if whole else pa.float64())
            missing[at] = empty
            ok[at] = good.to_numpy(zero_copy_only=False) | empty
            number[at] = np.where(empty, 0, parsed.to_numpy(zero_copy_only=False))
    return ok, missing, number


def accept_posts(recs: list, max_text_chars: int = 1_000_000, earliest: pd.Timestamp | None = None,
                 latest: pd.Timestamp | None = None, limits: FieldLimits | None = None) -> tuple[np.ndarray, dict]:
    """Which raw records :func:`validate_post` certainly accepts as they are, decided over columns
    (Arrow compute, ``pandas.to_datetime``), and their validated columns (for those rows only).

    >>> ok, columns = accept_posts([
    ...     {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "임재범 컴백", "body": "",
    ...      "published_at": "2026-02-19T16:10:00+09:00", "recommend_count": 7},
    ...     {"post_id": "p2", "channel": "news", "author_id": "a1", "title": "t", "body": "",
    ...      "published_at": "2026-02-19T16:10:00"}])
    >>> ok.tolist(), columns["published_at"].astype(str).tolist(), columns["recommend_count"].tolist()
    ([True, False], ['2026-02-19 07:10:00+00:00'], [7])
    """
    limits = limits or storable_limits()
    ok = np.fromiter((type(r) is dict for r in recs), bool, len(recs))
    texts = {}
    for name in ("post_id", "channel", "author_id", "title", "body", "published_at", "source", "url"):
        values = _column(recs, name)
        is_str, texts[name] = _strings(values)
        if name in ("source", "url"):
            absent = np.fromiter((v is None for v in values), bool, len(values))
            ok &= is_str | absent
        else:
            ok &= is_str
    ok &= field_rules.identifiers_ok(texts["post_id"], limits.post_id)
    ok &= field_rules.identifiers_ok(texts["author_id"], limits.author_id)
    ok &= field_rules.channel_names_ok(texts["channel"], limits.channel)
    ok &= field_rules.plain_texts_ok(texts["title"], max_text_chars)
    ok &= field_rules.body_texts_ok(texts["body"], max_text_chars)
    ok &= field_rules.visible_texts(texts["title"]) | field_rules.visible_texts(texts["body"])
    source = pc.fill_null(texts["source"], "")
    ok &= field_rules.plain_texts_ok(source, limits.source)
    url = pc.fill_null(texts["url"], "")
    ok &= field_rules.http_urls_ok(url) | pc.equal(url, "").to_numpy(zero_copy_only=False)
    timed, times = _timestamps(texts["published_at"])
    ok &= timed
    if earliest is not None:
        ok &= (times >= earliest).to_numpy()
    if latest is not None:
        ok &= (times <= latest).to_numpy()
    count_ok, _, counts = _numbers(_column(recs, "recommend_count"), whole=True)
    score_ok, _, scores = _numbers(_column(recs, "editor_score"), whole=False)
    ok &= count_ok & score_ok
    pick = np.flatnonzero(ok)
    columns = {name: texts[name].take(pick).to_pylist() for name in ("post_id", "channel", "author_id", "title", "body")}
    columns["published_at"] = times.iloc[pick].reset_index(drop=True)
    columns["url"] = url.take(pick).to_pylist()
    columns["recommend_count"], columns["editor_score"] = counts[pick], scores[pick]
    columns["source"] = source.take(pick).to_pylist()
    return ok, columns


def accept_query_texts(hour: pa.Array, query: pa.Array, count: pa.Array,
                       limits: FieldLimits | None = None) -> tuple[np.ndarray, dict]:
    """:func:`accept_query_counts` of records whose three fields are texts (a CSV's), given as Arrow
    string arrays: no record dicts made.

    >>> ok, columns = accept_query_texts(pa.array(["2026-05-05T18:20+09:00"] * 3), pa.array(["선물", " 선물", "꽃"]),
    ...                                  pa.array(["7", "7", ""]))
    >>> ok.tolist(), columns["hour"].astype(str).tolist(), columns["count"].tolist()
    ([True, False, False], ['2026-05-05 09:00:00+00:00'], [7])
    """
    limits = limits or storable_limits()
    ok = field_rules.queries_ok(query, limits.query) & pc.is_valid(hour).to_numpy(zero_copy_only=False)
    timed, hours = _timestamps(hour, floor=True)
    good = pc.fill_null(pc.match_substring_regex(count, _WHOLE_RE2), False)
    counts = pc.cast(pc.if_else(good, count, pa.scalar("0")), pa.int64()).to_numpy(zero_copy_only=False)
    ok &= timed & good.to_numpy(zero_copy_only=False)
    pick = np.flatnonzero(ok)
    return ok, {"hour": hours.iloc[pick].reset_index(drop=True), "query": query.take(pick).to_pylist(),
                "count": counts[pick]}


def accept_query_counts(recs: list, limits: FieldLimits | None = None) -> tuple[np.ndarray, dict]:
    """Which raw records :func:`validate_query_count` certainly accepts as they are, and their columns.

    >>> ok, columns = accept_query_counts([{"hour": "2026-05-05T18:20+09:00", "query": "어린이날 선물", "count": "7"},
    ...                                    {"hour": "2026-05-05T18:20+09:00", "query": " 어린이날", "count": 7}])
    >>> ok.tolist(), columns["hour"].astype(str).tolist(), columns["count"].tolist()
    ([True, False], ['2026-05-05 09:00:00+00:00'], [7])
    """
    limits = limits or storable_limits()
    ok = np.fromiter((type(r) is dict for r in recs), bool, len(recs))
    texts = {}
    for name in ("query", "hour"):
        is_str, texts[name] = _strings(_column(recs, name))
        ok &= is_str
    ok &= field_rules.queries_ok(texts["query"], limits.query)
    timed, hours = _timestamps(texts["hour"], floor=True)
    count_ok, missing, counts = _numbers(_column(recs, "count"), whole=True)
    ok &= timed & count_ok & ~missing
    pick = np.flatnonzero(ok)
    return ok, {"hour": hours.iloc[pick].reset_index(drop=True), "query": texts["query"].take(pick).to_pylist(),
                "count": counts[pick]}
