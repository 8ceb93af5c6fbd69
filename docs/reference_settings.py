"""``docs/configuration.md``: every setting of :class:`jobs.settings.Settings` and its stage tables.

    >>> env_name("detect", "min_authors"), env_name(None, "db_url")
    ('ISSUEWIRE_DETECT__MIN_AUTHORS', 'ISSUEWIRE_DB_URL')
    >>> field_sources(_Example)["x"]
    ('int', 'across, in pixels')

For each setting: TOML key, type (the annotation as written), default, environment variable and
what it is. The description is the field's trailing comment in the source (read with
:mod:`tokenize`), else the class docstring's ````name````: entry, else :data:`DESCRIPTIONS`. The
example configuration is resolved through :func:`jobs.settings.resolve_settings` on every run,
so it cannot name a setting that does not exist.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import re
import tempfile
import tokenize
from pathlib import Path

from reference_markdown import GENERATED, cell, rest_to_markdown, toml_value


@dataclasses.dataclass
class _Example:
    """An example for the doctest above; ``y``: down, in pixels."""

    x: int = 0          # across, in pixels
    y: int = 0


# Descriptions for settings whose source has no trailing comment yet. A trailing comment on the
# field wins; a name here that is no longer a setting fails the check (so this list cannot rot).
DESCRIPTIONS = {
    "db_url": "SQLAlchemy URL of the run database (SQLite file or `postgresql://`, driven by psycopg 3)",
    "redis_url": "Redis for the issue feed; unset: the feed goes to the file only",
    "redis_prefix": "prefix of every Redis key",
    "snapshot_ttl_hours": "a replaced Redis snapshot expires after this long (the current one never does)",
    "feed_file": "JSON feed path; `{hour}` becomes YYYYMMDDTHH of the hour in local time",
    "dictionary": "keyword dictionary TSV (see dictionaries/README.md)",
    "stopwords": "stopword list, one word per line",
    "influential_authors": "TSV of influential authors (a capped detection signal and a bundle weight)",
    "title_blocklist": "rules for titles an editor would never sign (see dictionaries/README.md)",
    "evergreen": "keywords that are never issues by a burst, one per line",
    "overrides": "the operators' override file (TOML); see contracts.md",
    "posts_mapping": "field mapping of the post files, e.g. `knews` (crawler/mappings.py)",
    "crawl_sources": "sources file: crawl first, then read the hour's crawled partition",
    "timezone": "local time zone: hours given without an offset, feed file names, every time shown to a user "
                "(with its offset); UTC where a system needs it: feed versions, crawl partitions, "
                "query-count URLs' `{hour}`",
    "schedule_minute": "the scheduler fires at HH:<this minute>",
    "max_catchup_hours": "`schedule` catches up at most this many missed hours; older gaps are left to `backfill`",
    "idf_window_days": "IDF counts the stored hours of this many days plus the hour itself",
    "query_store_min_count": "query rows with fewer searches are not kept in `query_stats`",
    "alert_timeout_seconds": "timeout of the alert webhook POST",
    "extract.top_k": "keywords kept per post",
    "extract.title_weight": "term frequency counts a title hit as this many body hits",
    "extract.position_decay": "position weight = 1 - this x the relative position of the first body hit (0 in the title)",
    "extract.popularity_weight": "search-popularity factor: 1 + this x ln(1 + query volume)",
    "extract.max_body_chars": "body characters kept per post after normalising",
    "detect.top_n": "issues per channel",
    "detect.seed_pool": "seeds kept per channel (by score) before merging; `top_n` of them are published",
    "detect.min_authors": "distinct authors (after near-duplicate collapse), the primary signal",
    "detect.max_top_author_share": "one author's flood is never an issue: the top author's share of posts stays below this",
    "detect.min_author_entropy": "normalised entropy of the authors' posts a new issue needs at least",
    "detect.min_lift": "authors / expected authors a new issue needs at least",
    "detect.min_surprise": "-log10 tail probability of the authors a new issue needs at least",
    "detect.fdr": "Benjamini-Hochberg level over the keywords active this hour",
    "detect.fdr_family": "`active`: BH counts the keywords used this hour (not the whole dictionary)",
    "detect.dispersion": "negative-binomial dispersion (inf = Poisson)",
    "detect.stay_surprise": "hysteresis: surprise that keeps an issue of the previous hour",
    "detect.stay_lift": "hysteresis: lift that keeps an issue of the previous hour",
    "detect.title_weight": "fused score: authors' surprise x (1 + this x title share)",
    "detect.posts_weight": "fused score: weight of the posts' surprise",
    "detect.query_weight": "fused score: weight of the queries' surprise",
    "detect.influential_weight": "fused score: weight of influential authors",
    "detect.influential_cap": "fused score: cap of the influential-authors term",
    "detect.spread_weight": "fused score: weight of the channel spread",
    "detect.spread_cap": "fused score: channels counted at most",
    "detect.seasonal_days": "baseline: same hour of the day over this many days",
    "detect.level_hours": "baseline: mean over the last this many run hours",
    "detect.seasonal_weight": "baseline: weight of the same-hour-of-day window",
    "detect.prior_authors_per_hour": "cold-start prior of distinct authors an hour (scaled by the dictionary type's use)",
    "detect.prior_strength_hours": "weight of the prior, in hours of history",
    "detect.continue_hours": "an issue keeps its id across gaps this long",
    "detect.warmup_hours": "issue hours are clipped in the baseline only after this many hours of history",
    "detect.half_life_hours": "ranking score halves every this many hours since onset",
    "detect.weekly_weeks": "baseline: same hour of the week over this many weeks",
    "detect.weekly_weight": "baseline: weight of the same-hour-of-week window",
    "detect.duplicate_threshold": "MinHash Jaccard above which posts are near-duplicates, counted once",
    "detect.mask_digits": "near-duplicate shingles ignore digits (templates whose numbers vary count once)",
    "detect.cycle_floor": "the expectation is at least what the keyword reached at this hour on most recent days",
    "detect.cycle_min_hours": "run hours the same-hour-of-day window needs before the cycle floor applies",
    "detect.cycle_similar": "a masked hour is not clipped when the keyword reached this share of its value at that hour on two earlier days",
    "title.min_count": "searches a query needs to be a title candidate",
    "title.min_surge": "surge against the stored counts of the last 24 hours a query needs",
    "title.surge_exponent": "score = ln(1 + count) x surge^this x lift^lift_exponent",
    "title.lift_exponent": "weight of the context-word lift",
    "title.max_title_chars": "longest title; context words are dropped from the end to fit",
    "merge.contain_overlap": "nested keywords merge when their posts overlap by this share of the smaller set",
    "merge.contain_jaccard": "... and by at least this Jaccard index",
    "merge.event_overlap": "keywords sharing this share of posts are one event",
    "merge.min_shared_posts": "an event merge (`event_overlap`) also needs this many shared posts",
    "merge.cover_share": "the representative is chosen among members covering this share of the best coverage",
    "bundle.max_posts": "posts per issue",
    "bundle.max_per_author": "posts per author in one bundle",
    "crawl.data_dir": "where `raw/` and `processed/` live; relative to the sources file",
    "crawl.workers": "fetching threads",
    "crawl.per_host_concurrency": "requests in flight to one host at most",
    "crawl.per_host_delay": "seconds between request starts to one host",
    "crawl.connect_timeout": "seconds to connect",
    "crawl.read_timeout": "seconds between bytes",
    "crawl.max_bytes": "per response, after gzip decoding",
    "crawl.retries": "attempts after the first, on 5xx / 429 / connection errors",
    "crawl.backoff_base": "first retry delay in seconds; exponential with jitter (tenacity)",
    "crawl.backoff_max": "longest retry delay in seconds",
    "crawl.hold_back_max_seconds": "longest hold-back of a failing URL",
    "crawl.user_agent": "User-Agent of every request, naming the service",
    "crawl.respect_robots": "obey robots.txt",
    "source.name": "unique name; raw files and Parquet partitions are filed under it",
    "source.kind": "`json_feed`, `rss`, `query_counts` or `drop_folder`",
    "source.url": "HTTP(S) URL of a `json_feed`, `rss` or `query_counts` source (may hold `{hour}`, UTC)",
    "source.path": "folder of a `drop_folder` (or a `query_counts` file drop); relative to the sources file",
    "source.mapping": "a name in crawler/mappings.py: how the records map to the contracts",
    "source.page_param": "json_feed: name of the page query parameter",
    "source.since_param": "json_feed: name of the since query parameter",
    "source.max_pages": "json_feed: pages read per pass at most",
}

EXAMPLE_CONFIG = '''\
db_url = "postgresql://postgres@127.0.0.1:5432/issuewire"
redis_url = "redis://127.0.0.1:6379/0"
feed_file = "/srv/feeds/feed-{hour}.json"
timezone = "Asia/Seoul"
schedule_minute = 5          # the scheduler fires at HH:05
max_catchup_hours = 48
lock_ttl_seconds = 300
alert_webhook = "https://hooks.slack.com/services/T000/B000/XXXX"
retain_stats_days = 45
raw_dirs = ["/srv/drop/posts"]
title_blocklist = "dictionaries/title_blocklist.txt"   # default: the shipped file
evergreen = "dictionaries/evergreen.txt"
idf_window_days = 30
[detect]
top_n = 6                    # issues per channel
min_authors = 3              # distinct authors, the primary signal
max_top_author_share = 0.5   # one author's flood is never an issue
min_lift = 2.0
min_surprise = 3.0           # -log10 Poisson tail
seasonal_days = 7
level_hours = 24
continue_hours = 3           # an issue keeps its id across gaps this long
fdr = 0.01                   # Benjamini-Hochberg level over the keywords active this hour
two_hour = true              # also test this + the previous hour (Simes-combined with the hour)
cycle_noise_sd = 1.0         # the cycle floor enters this many Poisson SDs below its value
dispersion = 20.0            # negative-binomial dispersion (inf = Poisson)
half_life_hours = 6.0        # ranking decay since onset
weekly_weeks = 4
[extract]
top_k = 10
title_weight = 3.0
[title]
min_count = 5
min_surge = 1.5
max_title_chars = 30
lift_exponent = 0.5          # weight of the context-word lift
order_share = 0.6            # below this share of searches in one word order, the posts' order wins
context_backend = "kiwi"     # nouns of the posts' titles for query-less titles: kiwi, okt, regex; "none" = facets only
[merge]
contain_overlap = 0.3
contain_jaccard = 0.02
event_overlap = 0.6
[bundle]
max_posts = 10
max_per_author = 2
near_duplicate = 0.6         # MinHash Jaccard above which two posts are one in a bundle
'''


def env_name(table: str | None, name: str) -> str:
    return "ISSUEWIRE_" + (f"{table}__{name}" if table else name).upper()


def _class_node(cls) -> tuple[ast.ClassDef, str]:
    path = inspect.getsourcefile(cls)
    source = Path(path).read_text(encoding="utf-8")
    line = inspect.getsourcelines(cls)[1]
    nodes = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == cls.__name__]
    node = min(nodes, key=lambda n: abs(n.lineno - line) if not n.decorator_list else
               min(abs(n.lineno - line), abs(n.decorator_list[0].lineno - line)))
    return node, source


def _trailing_comments(source: str) -> dict[int, str]:
    """line number -> the comment ending a line that holds code."""
    comments, code_lines = {}, set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            if tok.start[0] in code_lines:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    return comments


def field_sources(cls) -> dict[str, tuple[str, str]]:
    """field name -> (annotation as written, description from its trailing comment or the class docstring)."""
    node, source = _class_node(cls)
    comments = _trailing_comments(source)
    doc = " ".join((ast.get_docstring(node) or "").split())
    from_doc = dict(re.findall(r"``(\w+)``:\s*(.+?)(?=;\s*``\w+``:|$)", doc))
    out = {}
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            comment = next((comments[n] for n in range(stmt.end_lineno, stmt.lineno - 1, -1) if n in comments), "")
            if comment.startswith(("type:", "noqa")):
                comment = ""
            out[name] = (ast.get_source_segment(source, stmt.annotation), comment or from_doc.get(name, ""))
    return out


def default_of(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def settings_rows(cls, table: str | None, environment: bool = True, skip: tuple[str, ...] = (),
                  dotted: bool = True) -> list[str]:
    sources = field_sources(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = default_of(f)
        if dataclasses.is_dataclass(default) or f.name in skip:
            continue
        key = f"{table}.{f.name}" if table else f.name
        annotation, description = sources.get(f.name, ("", ""))
        description = description or DESCRIPTIONS.get(key, "")
        shown = "(required)" if default is dataclasses.MISSING else toml_value(default)
        env = f"`{env_name(table, f.name)}`" if environment else ""
        rows.append(f"| `{key if dotted else f.name}` | `{cell(annotation)}` | `{cell(shown)}` | {env} | {cell(rest_to_markdown(description))} |")
    return rows


def stage_tables(settings_cls) -> dict[str, type]:
    """table name -> settings dataclass of every stage sub-object of :class:`Settings`."""
    return {f.name: type(default_of(f)) for f in dataclasses.fields(settings_cls)
            if dataclasses.is_dataclass(default_of(f))}


def _section_classes() -> dict[str, type]:
    """Other commands' settings tables of the same config file (``jobs.settings.SECTIONS``) if any."""
    sections = getattr(importlib.import_module("jobs.settings"), "SECTIONS", {}) or {}
    out = {}
    for table, target in sections.items():
        if isinstance(target, str):
            module, _, name = target.rpartition(".")
            target = getattr(importlib.import_module(module), name)
        out[table] = target
    return out


def check_example_config() -> None:
    """The example configuration must resolve (an unknown key or a bad value fails the generator)."""
    from jobs.settings import resolve_settings

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "issuewire.toml"
        path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
        resolve_settings({}, {}, path)


HEADER = ["| TOML key | type | default | environment | what |", "| --- | --- | --- | --- | --- |"]


def _crawler_section(resolved_like_run: bool) -> list[str]:
    """``[crawl]`` and ``[[source]]``: in the sources file, and (once ``jobs.settings.SECTIONS`` names
    it) also resolved from the environment and the config file like the run's settings."""
    from crawler.settings import CrawlSettings, SourceSettings

    how = ("`[crawl]` resolves like the run's settings (flags > environment > config file > defaults)"
           if resolved_like_run else
           "`issuewire crawl` (and `run --sources`) read `[crawl]` from the sources file, with `--data-dir`, "
           "`--workers` and `--user-agent` winning over it; there is no environment variable for these")
    return (["", "## The crawler's sources file", "", f"{how}. See [crawling.md](crawling.md).", "",
             "### `[crawl]`", ""] + HEADER +
            settings_rows(CrawlSettings, "crawl", environment=resolved_like_run, skip=("sources",)) +
            ["", "### `[[source]]` (one table per source)", ""] + HEADER +
            settings_rows(SourceSettings, "source", environment=False, dotted=False))


def render_configuration() -> str:
    from jobs.settings import Settings

    check_example_config()
    header = HEADER
    out = [GENERATED, "", "# Configuration", "",
           "Every command resolves its settings once per process, in one function "
           "(`jobs.cli.options.settings_from_args`), in this order (first wins): `run`, `backfill`, `schedule`, "
           "`status`, `prune`, `rejects` and `console` all of them; `crawl` its `--sources` (`crawl_sources`) "
           "and database (`db_url` when set, else a file in its data dir); `propose-keywords` the dictionary, "
           "stopwords, posts mapping and time zone.", "",
           "1. command-line flags (see [cli.md](cli.md); a flag whose default is *setting `name`*),",
           "2. the environment: `ISSUEWIRE_<NAME>` for a top-level setting, `ISSUEWIRE_<STAGE>__<NAME>` for a "
           "stage's (e.g. `ISSUEWIRE_DETECT__MIN_AUTHORS=5`),",
           "3. the TOML config file given by `--config` or `ISSUEWIRE_CONFIG`: top-level keys and one table "
           "per stage,",
           "4. the defaults below.", "",
           "Unknown keys and values of the wrong type are errors naming their source (exit code 2). In the "
           "environment a boolean is `1/true/yes/on` or `0/false/no/off`, a list is comma-separated, and "
           "`none` or an empty value unsets an optional setting. No stage reads the environment: "
           "`jobs.settings.resolve_settings` resolves everything into one frozen `Settings` object that is "
           "passed down. A path default shown relative (`dictionaries/...`) is the file shipped in the "
           "installed package.", "",
           "## Example", "", "```toml", EXAMPLE_CONFIG.rstrip(), "```", "",
           "## Top-level settings", ""] + header + settings_rows(Settings, None)
    for table, cls in stage_tables(Settings).items():
        doc = (inspect.getdoc(cls) or "").split("\n\n")[0]
        out += ["", f"## `[{table}]`", ""]
        if doc and not doc.startswith(cls.__name__ + "("):
            out += [cell(rest_to_markdown(doc)), ""]
        out += header + settings_rows(cls, table)
    sections = _section_classes()
    out += _crawler_section(resolved_like_run="crawl" in sections)
    for table, cls in sections.items():
        if table != "crawl":
            out += ["", f"## `[{table}]`", ""] + header + settings_rows(cls, table)
    return "\n".join(out).rstrip() + "\n"


def unknown_descriptions() -> list[str]:
    """Keys of :data:`DESCRIPTIONS` that name no setting any more."""
    from jobs.settings import Settings

    from crawler.settings import CrawlSettings, SourceSettings

    tables = {**stage_tables(Settings), **_section_classes(), "crawl": CrawlSettings, "source": SourceSettings}
    known = {f.name for f in dataclasses.fields(Settings)}
    known |= {f"{t}.{f.name}" for t, cls in tables.items() for f in dataclasses.fields(cls)}
    return sorted(set(DESCRIPTIONS) - known)
