"""The scheduler: due hours, and a real APScheduler firing that catches up missed hours in order."""
import time

import pandas as pd
from apscheduler.triggers.interval import IntervalTrigger

from jobs.runner.hour import RunContext
from jobs.runner.scheduler import build_scheduler, due_hours
from jobs.settings import resolve_settings
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import write_inputs

NOW = pd.Timestamp("2026-05-04T10:20Z")


def test_due_hours_catch_up_in_order_and_bounded():
    done = pd.DatetimeIndex(["2026-05-04T05:00Z", "2026-05-04T06:00Z"])
    assert list(due_hours(done, NOW, 48).hour) == [7, 8, 9]
    assert list(due_hours(pd.DatetimeIndex([], tz="UTC"), NOW, 3).hour) == [7, 8, 9]
    assert len(due_hours(pd.DatetimeIndex(["2026-05-04T09:00Z"]), NOW, 48)) == 0


def test_real_scheduler_catches_up_missed_hours(tmp_path):
    inputs = write_inputs(tmp_path, hours=2)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = resolve_settings({"db_url": db, "dictionary": inputs["dictionary"], "stopwords": "",
                                 "max_catchup_hours": 3}, {})
    scheduler = build_scheduler(RunContext(settings), [inputs["posts"]], [inputs["queries"]],
                                trigger=IntervalTrigger(seconds=0.3), blocking=False)
    scheduler.start()
    try:
        deadline = time.time() + 30
        while time.time() < deadline and len(IssueStore(db).completed_hours()) < 3:
            time.sleep(0.2)
        time.sleep(1.0)                       # more firings: nothing new is due, nothing is re-run
    finally:
        scheduler.shutdown(wait=True)
    hours = IssueStore(db).completed_hours()
    now = pd.Timestamp.now(tz="UTC").floor("h")
    # the three hours before now, oldest first (a fourth if the clock crossed an hour meanwhile)
    assert hours[-1] == now - pd.Timedelta(hours=1) and len(hours) in (3, 4)
    assert (pd.Series(hours).diff().dropna() == pd.Timedelta(hours=1)).all()


def test_first_opens_of_an_empty_database_at_once_make_one_schema(tmp_path):
    """The scheduler's first firing and a reader open an empty SQLite database together (the race
    behind "table feeds already exists"): the schema is made once, under the database's write lock."""
    import threading

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    barrier, upgrades, errors = threading.Barrier(4), [], []

    def open_store():
        barrier.wait()
        try:
            upgrades.append(IssueStore(db).upgrade)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(u.changed for u in upgrades) == [False, False, False, True]
