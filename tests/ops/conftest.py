"""Fixtures of the fault tests: small generated inputs, settings, and a real `python -m jobs.cli`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.settings import resolve_settings
from tests.jobs.helpers import write_inputs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ops_inputs(tmp_path_factory):
    """Ten simulated hours from 2026-05-04T00:00+09:00 (the planted event at 08h), two bad rows."""
    return write_inputs(tmp_path_factory.mktemp("ops-inputs"), hours=10)


def make_settings(inputs, db_url, feed_file=None, redis_url=None, prefix=None, **more):
    flags = {"db_url": db_url, "dictionary": inputs["dictionary"], "stopwords": "", "feed_file": feed_file,
             "redis_url": redis_url, "redis_prefix": prefix, **more}
    return resolve_settings(flags, environ={})


def cli_args(inputs, db_url, *extra) -> list[str]:
    return ["--posts", inputs["posts"], "--queries", inputs["queries"], "--dictionary", inputs["dictionary"],
            "--stopwords", "", "--db", db_url, *extra]


def spawn_cli(args: list[str], env_extra: dict | None = None, **kwargs) -> subprocess.Popen:
    """A real ``python -m jobs.cli`` process in the repo, its environment free of ISSUEWIRE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISSUEWIRE_", "IWTEST_"))}
    env.update(env_extra or {})
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", "jobs.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def run_cli(args: list[str], env_extra: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = spawn_cli(args, env_extra)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
