"""Settings: resolved once per process, in one order, into a frozen object passed down.

    >>> s = resolve_settings(flags={"db_url": "sqlite:///x.sqlite"}, environ={"ISSUEWIRE_DETECT__TOP_N": "8"})
    >>> s.db_url, s.detect.top_n
    ('sqlite:///x.sqlite', 8)

Order, first wins: command-line flags > environment ``ISSUEWIRE_<NAME>`` (a stage setting as
``ISSUEWIRE_<STAGE>__<NAME>``, e.g. ``ISSUEWIRE_DETECT__MIN_AUTHORS=5``) > the TOML config file
(top-level keys and ``[extract]``, ``[detect]``, ``[title]``, ``[merge]``, ``[bundle]``, ``[ingest]``, ``[engine]`` tables) >
the defaults below. Unknown keys and values of the wrong type are errors naming their source.
No stage reads the environment; only :func:`resolve_settings` does, from the mapping it is given.
"""
from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clustering.bundle import BundleSettings
from clustering.merge import MergeSettings
from crawler.ingest import IngestSettings
from dictionaries import default_dictionary_path, default_stopwords_path
from dictionaries.authors import default_influential_authors_path
from issues.detect import DetectSettings
from keywords.errors import InputError
from jobs.engine import EngineSettings
from keywords.extract import ExtractSettings
from titling.titles import TitleSettings

ENV_PREFIX = "ISSUEWIRE_"
STAGES = {"extract": ExtractSettings, "detect": DetectSettings, "title": TitleSettings,
          "merge": MergeSettings, "bundle": BundleSettings, "ingest": IngestSettings,
          "engine": EngineSettings}


class SettingsError(InputError, ValueError):
    """A setting is unknown or has a value of the wrong type; the message says where it came from."""


@dataclass(frozen=True)
class Settings:
    """Everything one process needs; stages get their own sub-object."""

    db_url: str = "sqlite:///issuewire.sqlite"
    redis_url: str | None = None
    redis_prefix: str = "issuewire"
    snapshot_ttl_hours: int = 48
    feed_file: str | None = None
    dictionary: str = str(default_dictionary_path())
    stopwords: str = str(default_stopwords_path())
    influential_authors: str = str(default_influential_authors_path())
    title_blocklist: str = str(default_dictionary_path().parent / "title_blocklist.txt")
    evergreen: str = str(default_dictionary_path().parent / "evergreen.txt")
    overrides: str | None = None
    posts_mapping: str | None = None
    crawl_sources: str | None = None
    timezone: str = "Asia/Seoul"
    schedule_minute: int = 5
    max_catchup_hours: int = 48
    idf_window_days: int = 30
    query_store_min_count: int = 2
    # operations (issue #8): see README "Operations"
    lock_ttl_seconds: int = 300           # a holder that stops heart-beating this long loses the lock
    lock_wait_seconds: int = 0            # how long a run waits for a busy lock before exit code 5
    alert_webhook: str | None = None      # Slack-compatible incoming-webhook URL
    alert_timeout_seconds: float = 5.0
    alert_state_file: str | None = None   # where a failure the database could not record waits (default: temp dir)
    json_logs: bool = True                # one JSON line per stage on stderr (CLI)
    report: bool = True                   # operator report HTML beside the feed file
    max_text_chars: int = 1_000_000       # a longer title or body is rejected
    post_time_floor: str = "2000-01-01T00:00:00+00:00"   # older published_at is rejected
    post_future_hours: float = 24.0       # published_at further than this ahead of now is rejected
    retain_stats_days: int = 45           # keyword_stats, channel_activity, query_stats
    retain_issues_days: int = 180         # issues, bundles, feeds
    retain_runs_days: int = 400           # runs, run_attempts
    retain_files_days: int = 14           # feed files, reports, and raw files under raw_dirs
    raw_dirs: tuple[str, ...] = ()        # folders of raw input files that prune may delete from
    recommender: "ScheduledRecommenderSettings" = field(default_factory=lambda: ScheduledRecommenderSettings())
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    detect: DetectSettings = field(default_factory=DetectSettings)
    title: TitleSettings = field(default_factory=TitleSettings)
    merge: MergeSettings = field(default_factory=MergeSettings)
    bundle: BundleSettings = field(default_factory=BundleSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)     # docs/input-validation.md
    engine: EngineSettings = field(default_factory=EngineSettings)     # docs/spark.md


# -- [recommender]: the scheduled recommendation export and daily retrain (issue #15) ----------
@dataclass(frozen=True)
class ScheduledRecommenderSettings:
    """``[recommender]``: what ``issuewire schedule`` runs for the recommender; off (the schedule
    runs the issue feed only, as before) while ``model_dir`` is unset.

    ``interactions`` is a glob of interaction files (the training contract); the daily retrain
    reads them all, each export folds in those changed since the current model was trained.
    ``retrain_at`` is a local ``HH:MM`` (empty: no scheduled retrain); ``export_file`` and
    ``similar_file`` may contain ``{hour}``; ``columns`` maps file columns as
    ``issuewire recommend --columns`` does."""

    model_dir: str | None = None          # the model store (train-recommender's --model-dir); unset: off
    interactions: str | None = None       # glob of interaction files (user_id,item_id,[rating],timestamp)
    items: str | None = None              # item file (item_id,title,[genres]): issue keywords match titles
    feedback: str | None = None           # feedback file (user_id,item_id,feedback,timestamp)
    columns: str | None = None            # column mapping, e.g. user=user,item=movie,rating=rate,timestamp=time
    retrain_at: str | None = "04:30"      # daily retrain, local HH:MM; empty: never
    export_file: str | None = None        # export JSONL, may contain {hour}; unset: Redis only
    similar_file: str | None = None       # similar-items JSONL, may contain {hour}
    rating_threshold: float = 3.0         # ratings >= this are positives; negative: no threshold
    min_count: int = 10                   # min positives per user and per item in training
    top_k: int = 20                       # items per user
    epochs: int = 20                      # max VAE epochs of the retrain (early stopping)
    threads: int = 1                      # torch threads of the retrain (2 are slower on shared cores)
    issue_weight: float | None = None   # the export's issue weight (the scheduled retrain has no validation feed)

    def __post_init__(self) -> None:
        if self.retrain_at:
            hh, _, mm = self.retrain_at.partition(":")
            if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
                raise ValueError(f"retrain_at {self.retrain_at!r} is not a local time HH:MM, e.g. 04:30")

    @property
    def enabled(self) -> bool:
        return bool(self.model_dir)


STAGES["recommender"] = ScheduledRecommenderSettings


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Turn a config or environment value into the field's type."""
    hint = annotation
    args = typing.get_args(hint)
    if args and type(None) in args:
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        hint = next(a for a in args if a is not type(None))
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if hint is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
        if typing.get_origin(hint) is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(i).strip() for i in items if str(i).strip())
    except (TypeError, ValueError):
        raise SettingsError(f"{where}: {value!r} is not a valid {getattr(hint, '__name__', hint)}") from None
    return value


def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _layer(values: dict[str, Any], top: dict, stages: dict[str, dict], where: str) -> None:
    top_types = _field_types(Settings)
    for key, value in values.items():
        if key in STAGES:
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: [{key}] must be a table")
            types = _field_types(STAGES[key])
            for sub, subvalue in value.items():
                if sub not in types:
                    raise SettingsError(f"{where}: unknown setting {key}.{sub}")
                stages[key][sub] = _coerce(subvalue, types[sub], f"{where} {key}.{sub}")
        elif key in top_types:
            top[key] = _coerce(value, top_types[key], f"{where} {key}")
        else:
            raise SettingsError(f"{where}: unknown setting {key!r}")


def load_config_file(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def _environment_values(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        key = name[len(ENV_PREFIX):].lower()
        if "__" in key:
            stage, sub = key.split("__", 1)
            out.setdefault(stage, {})[sub] = value
        else:
            out[key] = value
    return out


def resolve_settings(flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                     config_file: str | Path | None = None) -> Settings:
    """Defaults < config file < environment < flags; flags whose value is None are not given."""
    environ = environ or {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    top: dict[str, Any] = {}
    stages: dict[str, dict] = {name: {} for name in STAGES}
    if config_file:
        _layer(load_config_file(config_file), top, stages, str(config_file))
    _layer(_environment_values(environ), top, stages, "environment")
    _layer({k: v for k, v in (flags or {}).items() if v is not None}, top, stages, "command line")
    built = {}
    for name, values in stages.items():
        try:
            built[name] = STAGES[name](**values)
        except ValueError as exc:       # a stage's own check, e.g. title.context_backend = "mecab"
            raise SettingsError(f"[{name}]: {exc}") from None
    settings = Settings(**top, **built)
    _check_names(settings)
    return settings


def _check_names(settings: Settings) -> None:
    """Settings that name something must name a thing that exists: a post mapping, a time, a time zone."""
    from crawler.mappings import POST_MAPPINGS

    if settings.posts_mapping not in (None, "", "contract", *POST_MAPPINGS):
        raise SettingsError(f"posts_mapping {settings.posts_mapping!r} is unknown; known: "
                            f"{', '.join(sorted({'contract', *POST_MAPPINGS}))}")
    try:
        floor = datetime.fromisoformat(settings.post_time_floor)
    except ValueError:
        floor = None
    if floor is None or floor.tzinfo is None:
        raise SettingsError(f"post_time_floor {settings.post_time_floor!r} is not an ISO 8601 time with an offset, "
                            f"e.g. 2000-01-01T00:00:00+00:00")
    try:
        ZoneInfo(settings.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise SettingsError(f"timezone {settings.timezone!r} is not an IANA time zone such as Asia/Seoul or UTC") \
            from None


def settings_as_dict(settings: Settings) -> dict[str, Any]:
    """Plain dict (for logs and the run record)."""
    return dataclasses.asdict(settings)
