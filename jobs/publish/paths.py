"""The ``{hour}`` rule: one function names an hour's files, one pattern finds them again.

    >>> hour = pd.Timestamp("2026-05-04T17:00Z")                  # 02:00 the next day in Seoul
    >>> hour_label(hour, "Asia/Seoul"), hour_label(hour, "UTC")
    ('20260505T02', '20260504T17')
    >>> hour_file("/srv/feeds/feed-{hour}.json", hour, "Asia/Seoul")
    PosixPath('/srv/feeds/feed-20260505T02.json')
    >>> report_file("/srv/feeds/feed-{hour}.json", hour, "Asia/Seoul")
    PosixPath('/srv/feeds/report-20260505T02.html')
    >>> [is_hour_output("/srv/feeds/feed-{hour}.json", n) for n in
    ...  ("feed-20260505T02.json", "report-20260505T02.html", "feed-latest.json")]
    [True, True, False]

``{hour}`` in ``feed_file`` becomes ``YYYYMMDDTHH`` of the hour's start in **local time** (the
``timezone`` setting, ``Asia/Seoul`` by default): what an editor reads on the portal's clock.
The offset is not in the name; the file's ``hour`` field carries it
(``2026-05-05T02:00:00+09:00``), and Redis versions and crawl partitions, which systems read,
are UTC. Asia/Seoul has no daylight saving time; in a zone that has it, the hour repeated when
the clocks go back would get the name of the hour before it (and replace its file).

The operator report of an hour is ``report-<label>.html`` in the folder of that hour's feed
file. Retention (:mod:`jobs.runner.retention`) and the clean-up of a killed write's temporary
files find both with :func:`hour_output_pattern`.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

PLACEHOLDER = "{hour}"
HOUR_FORMAT = "%Y%m%dT%H"
LABEL_PATTERN = r"\d{8}T\d{2}"
REPORT_NAME = re.compile(rf"^report-(?P<label>{LABEL_PATTERN})\.html$")

__all__ = ["PLACEHOLDER", "hour_label", "hour_file", "report_file", "hour_output_pattern", "is_hour_output"]


def hour_label(hour: pd.Timestamp, timezone: str | None = None) -> str:
    """``YYYYMMDDTHH`` of ``hour`` in ``timezone`` (without one: in the hour's own zone).

    >>> hour_label(pd.Timestamp("2026-05-05T02:00+09:00"))
    '20260505T02'
    """
    hour = pd.Timestamp(hour)
    if hour.tzinfo is None:
        raise ValueError(f"hour {hour} has no time zone: give an aware time")
    if timezone is not None:
        hour = hour.tz_convert(timezone)
    return hour.strftime(HOUR_FORMAT)


def hour_file(template: str, hour: pd.Timestamp, timezone: str) -> Path:
    """The file ``template`` names for ``hour`` (``{hour}`` filled in; a template without it is one file)."""
    return Path(template.replace(PLACEHOLDER, hour_label(hour, timezone)))


def report_file(feed_template: str, hour: pd.Timestamp, timezone: str) -> Path:
    """``report-<label>.html`` in the folder of the hour's feed file."""
    label = hour_label(hour, timezone)
    return Path(feed_template.replace(PLACEHOLDER, label)).parent / f"report-{label}.html"


def hour_output_pattern(feed_template: str) -> re.Pattern:
    """The file names (in the feed file's folder) of the template's per-hour feed files.

    >>> hour_output_pattern("feeds/feed-{hour}.json").match("feed-20260505T02.json")["label"]
    '20260505T02'
    """
    name = Path(feed_template).name
    if PLACEHOLDER not in name:
        return re.compile(f"^{re.escape(name)}$")
    head, tail = name.split(PLACEHOLDER, 1)
    return re.compile(f"^{re.escape(head)}(?P<label>{LABEL_PATTERN})"
                      + re.escape(tail).replace(re.escape(PLACEHOLDER), "(?P=label)") + "$")


def is_hour_output(feed_template: str, name: str) -> bool:
    """Whether ``name`` is a feed file of ``feed_template`` or an hour's report."""
    return bool(hour_output_pattern(feed_template).match(name) or REPORT_NAME.match(name))
