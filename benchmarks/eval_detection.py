"""Detection evaluation: planted bursts (issuewire against three baselines) and real-data top 6.

    python -m benchmarks.eval_detection            # 21 simulated days, 90 issues + both real replays
    python -m benchmarks.eval_detection --quick    # 14 days, 60 issues, 300 bootstrap draws
    python -m benchmarks.eval_detection --no-real  # simulation only (--no-sim: real only)

Simulation (:func:`jobs.demo.simulator.simulate`, titles from ``../shared/data/news_econ_kr_2026feb``): every
detector replays the same hours, then the time-shuffled placebo; the table has precision@6
(home and channels), recall (all planted, and strong = lift >= 3 with >= 10 authors), latency
in hours after onset (0 = caught in the onset hour's own run), placebo false alarms per hour,
flicker, and how many negative controls reached any top 6; [lo, hi] are 95 % bootstrap
intervals. ``issuewire (before #4)`` is the detector with the fixes of issue #4 switched off.

Real data: :class:`benchmarks.evaluation.replay.HourReplayer` over both news sets (mapping ``knews``, shipped
dictionary and settings), printing the home top 6 at the onsets named in the data README
(an onset given only as a day is that day's peak hour of the keyword in titles).
Reads the shared data in place; nothing is copied.
"""
from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from benchmarks.evaluation.reference_detectors import MastodonTrends, PreviousHourPoisson, SigniTrend
from issues.detect import DetectSettings
from benchmarks.evaluation.evaluate import IssuewireDetector, StatsDetector, before_fixes, detection_report, replay_detector
from jobs.demo.simulator import SimSettings, simulate, time_shuffled

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ECON = DATA / "news_econ_kr_2026feb" / "items.jsonl.gz"
GENERAL = DATA / "news_general_kr_2022jul" / "items.jsonl.gz"
# (file, KST day, KST hour or None = the day's peak hour of the keyword, keyword[|another word], what)
ONSETS = [
    (ECON, "2026-02-08", 20, "자민당", "일본 총선 자민당 단독 과반"),
    (ECON, "2026-02-12", None, "카카오", "카카오 / 오찬"),
    (ECON, "2026-02-13", None, "최가온", "최가온 스노보드 첫 금메달"),
    (ECON, "2026-02-13", None, "무디스", "무디스 신용등급"),
    (ECON, "2026-02-16", 20, "김길리", "김길리 쇼트트랙"),
    (ECON, "2026-02-19", 16, "무기징역", "윤석열 내란 1심 무기징역"),
    (ECON, "2026-02-19", 17, "무기징역", "윤석열 내란 1심 무기징역 (2nd hour)"),
    (ECON, "2026-02-20", None, "김용현", "김용현"),
    (GENERAL, "2022-07-24", None, "원숭이두창", "WHO 원숭이두창 비상사태"),
    (GENERAL, "2022-07-29", 10, "내부총질", "권성동·윤 대통령 내부총질 문자"),
    (GENERAL, "2022-07-29", None, "경찰국", "경찰국 신설 반발"),
    (GENERAL, "2022-07-29", 16, "만 5세|취학연령", "만 5세 초등 입학 (first 16:49)"),
    (GENERAL, "2022-07-29", 17, "만 5세|취학연령", "만 5세 초등 입학 (2nd hour)"),
    (GENERAL, "2022-08-01", None, "펠로시", "펠로시 대만 방문"),
]


def read_titles(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["title"] for line in fh]


def _fmt(v, digits=2):
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{digits}f}"


def _ci(r, key, digits=2):
    lo, hi = r.get(key + "_ci", (np.nan, np.nan))
    return f"{_fmt(r.get(key), digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def print_table(rows: list[tuple[str, dict, float]]) -> None:
    head = ("| detector | P@6 home | P@6 channels | recall strong | recall all | latency med [CI] / p90 (h) "
            "| placebo FA/h | flicker | floods | sock-puppets | routine | holiday | wall s |")
    print(head)
    print("|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|")
    for name, r, wall in rows:
        print(f"| {name} | {_ci(r, 'p6_home')} | {_ci(r, 'p6_channels')} | {_ci(r, 'recall_strong')} "
              f"| {_ci(r, 'recall')} | {_ci(r, 'latency_median', 1)} / {_fmt(r['latency_p90'], 1)} "
              f"| {_ci(r, 'placebo_fa')} | {_fmt(r['flicker'])} | {'%d/%d' % r['flood']} "
              f"| {'%d/%d' % r['sockpuppet']} | {'%d/%d' % r['routine']} | {'%d/%d' % r['holiday']} | {wall:.0f} |")


def run_simulation(args) -> None:
    settings = SimSettings(seed=args.seed, days=args.days, n_issues=args.issues)
    t0 = time.perf_counter()
    world = simulate(read_titles(ECON), settings)
    placebo = time_shuffled(world, seed=args.seed)
    truth = world.truth
    print(f"simulated {settings.days} days ({settings.warmup_days} warm-up), {len(world.posts):,} posts, "
          f"{len(world.post_keywords):,} keyword mentions, vocabulary {len(world.vocabulary)}, "
          f"{(truth['kind'] == 'issue').sum()} planted issues, controls: "
          + ", ".join(f"{k} {n}" for k, n in truth.loc[truth['kind'] != 'issue'].groupby('kind').size().items())
          + f" (built in {time.perf_counter() - t0:.1f} s)")
    n_keywords = 31000                     # the shipped dictionary's size, for the 'dictionary' BH family
    detect = DetectSettings()
    makers = [lambda: IssuewireDetector(detect, n_keywords),
              lambda: IssuewireDetector(before_fixes(detect), n_keywords, name="issuewire (before #4)"),
              lambda: StatsDetector(PreviousHourPoisson()),
              lambda: StatsDetector(SigniTrend()),
              lambda: StatsDetector(MastodonTrends())]
    rows, details = [], {}
    for make in makers:
        t0 = time.perf_counter()
        det = make()
        progress = None if args.no_progress else (lambda it, desc: tqdm(it, desc=desc, mininterval=30))
        tops = replay_detector(det, world, progress)
        placebo_tops = replay_detector(make(), placebo, progress)
        wall = time.perf_counter() - t0
        report = detection_report(tops, world, placebo_tops, reps=args.reps, seed=args.seed)
        rows.append((det.name, report, wall))
        details[det.name] = report
    print()
    print_table(rows)
    print()
    mine = details["issuewire"]
    print("issuewire recall by planted lift (rows) and distinct authors (columns):")
    print(mine["recall_by"].to_string(float_format=lambda v: f"{v:.2f}"))
    print("issuewire P@6 by channel: " + ", ".join(f"{c} {_fmt(v)}" for c, v in mine["p6_by_channel"].items()))


def run_real(args) -> None:
    from crawler.ingest import posts_in_hour, read_posts
    from crawler.mappings import post_mapping
    from dictionaries import load_dictionary, load_stopwords
    from dictionaries.authors import load_influential_authors
    from jobs.pipeline.hour import HourTools
    from benchmarks.evaluation.replay import HourReplayer
    from jobs.settings import resolve_settings

    settings = resolve_settings({}, {})
    tools = HourTools.build(load_dictionary(settings.dictionary), load_stopwords(settings.stopwords),
                            load_influential_authors(settings.influential_authors))
    for path in (ECON, GENERAL):
        onsets = [o for o in ONSETS if o[0] == path]
        posts = read_posts([path], post_mapping("knews")).accepted
        kst = posts["published_at"].dt.tz_convert("Asia/Seoul")
        wanted = []
        for _, day, hour, keyword, what in onsets:
            if hour is None:
                on_day = posts.loc[(kst.dt.strftime("%Y-%m-%d") == day)
                                   & posts["title"].str.contains(keyword.split("|")[0], regex=False)]
                hour = int(on_day["published_at"].dt.tz_convert("Asia/Seoul").dt.hour.value_counts().idxmax()) \
                    if len(on_day) else 12
            wanted.append((pd.Timestamp(f"{day}T{hour:02d}:00", tz="Asia/Seoul").tz_convert("UTC"), keyword, what))
        start = posts["published_at"].min().floor("h")
        end = max(w[0] for w in wanted)
        replayer = HourReplayer(tools, settings)
        t0 = time.perf_counter()
        tops = {}
        for hour in tqdm(pd.date_range(start, end, freq="h"), desc=path.parent.name, mininterval=30,
                         disable=args.no_progress):
            result = replayer.run(hour, posts_in_hour(posts, hour))
            if any(hour == w[0] for w in wanted):
                tops[hour] = result.issues.loc[result.issues["channel"] == "home"]
        n_hours = len(replayer.run_hours_)
        print(f"\n{path.parent.name}: {len(posts):,} posts, replayed {n_hours} hours "
              f"in {time.perf_counter() - t0:.0f} s")
        for hour, keyword, what in wanted:
            home = tops[hour]
            words = keyword.split("|")
            hit = [r for r in home.itertuples() if any(w in r.keyword or w in r.title or any(w in f for f in r.facets)
                                                       for w in words)]
            label = hour.tz_convert("Asia/Seoul").strftime("%Y-%m-%d %H h KST")
            print(f"  {label}  {what}  -> {'rank %d' % hit[0].rank if hit else 'not in top 6'}")
            for r in home.itertuples():
                facets = f" (+{', '.join(r.facets)})" if len(r.facets) else ""
                print(f"    {r.rank}. {r.keyword}{facets}  | {r.title}  [{r.state}, authors {r.signals.get('authors')}]")
            if home.empty:
                print("    (empty)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="14 simulated days, 300 bootstrap draws")
    parser.add_argument("--no-sim", action="store_true", help="skip the simulation")
    parser.add_argument("--no-real", action="store_true", help="skip the real-data replays")
    parser.add_argument("--days", type=int, default=None, help="simulated days (default 21, quick 14)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--issues", type=int, default=None, help="planted issues (default 90, quick 60)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    parser.add_argument("--reps", type=int, default=None, help="bootstrap draws (default 1000, quick 300)")
    args = parser.parse_args(argv)
    args.days = args.days or (14 if args.quick else 21)
    args.issues = args.issues or (60 if args.quick else 90)
    args.reps = args.reps or (300 if args.quick else 1000)
    if not args.no_sim:
        run_simulation(args)
    if not args.no_real:
        run_real(args)


if __name__ == "__main__":
    main()
