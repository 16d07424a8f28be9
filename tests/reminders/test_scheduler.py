"""The scheduler is a process of its own: jobs, heartbeat, /healthz, and never in the web process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from casework import scheduler
from casework.core.heartbeat import SchedulerHeartbeat, beat
from casework.core.time import utcnow
from casework.extensions import db
from tests.core.test_cli import run

MONTREAL = ZoneInfo("America/Toronto")


@pytest.mark.no_transaction
def test_the_web_process_never_starts_a_scheduler(database_url):
    """Creating the app, serving requests, even in debug mode, loads no scheduler at all."""
    code = (
        "import sys, threading\n"
        "from casework.app import create_app\n"
        "app = create_app({'DEBUG': True})\n"
        "client = app.test_client()\n"
        "assert client.get('/healthz').status_code == 200\n"
        "import casework.reminders.views, casework.reminders.tasks\n"
        "print('apscheduler' in sys.modules, len(threading.enumerate()))\n"
    )
    env = {**os.environ, "CASEWORK_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "1"]


def test_the_scheduler_runs_every_job_in_montreal_time(app):
    built = scheduler.build_scheduler(app, now=datetime(2026, 6, 15, 9, tzinfo=MONTREAL))
    assert str(built.timezone) == "America/Toronto"
    assert {job.id for job in built.get_jobs()} == {
        "materialise",
        "dispatch",
        "messages",
        "escalate",
        "digest",
        "retention",
        "statistics",
        "dashboards",
        "attachments",
        "attachments_sweep",
        "backup",
        "idempotency",
    }
    assert built.get_job("dispatch").trigger.interval <= timedelta(minutes=1)


@pytest.mark.parametrize(
    ("after", "fires_at_utc"),
    [
        (datetime(2026, 3, 7, 13), datetime(2026, 3, 8, 11)),  # 07:00 EDT, the day DST starts
        (datetime(2026, 10, 31, 12), datetime(2026, 11, 1, 12)),  # 07:00 EST, the day it ends
    ],
)
def test_the_digest_fires_at_seven_local_across_dst(app, after, fires_at_utc):
    digest = scheduler.build_scheduler(app).get_job("digest")
    fire = digest.trigger.get_next_fire_time(None, after.replace(tzinfo=ZoneInfo("UTC")))
    assert fire.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == fires_at_utc
    assert (fire.hour, fire.minute) == (7, 0)


def test_a_job_run_leaves_a_heartbeat_with_counts(app, ctx):
    counts = scheduler.run_job(app, "test_job", lambda: {"delivered": 3})
    assert counts == {"delivered": 3}
    row = db.session.get(SchedulerHeartbeat, "test_job")
    assert (row.outcome, row.counts) == ("ok", {"delivered": 3})
    assert row.finished_at is not None


def test_a_failing_job_is_recorded_and_does_not_stop_the_scheduler(app, ctx):
    def locked():
        raise OperationalError("UPDATE reminders", {}, Exception("database is locked"))

    assert scheduler.run_job(app, "locked_job", locked) is None
    assert db.session.get(SchedulerHeartbeat, "locked_job").outcome == "error"
    assert scheduler.run_job(app, "locked_job", lambda: {}) == {}


def test_healthz_shows_the_age_of_the_heartbeat(client, ctx):
    db.session.query(SchedulerHeartbeat).delete()
    assert client.get("/healthz").json["scheduler"]["status"] == "never_ran"
    beat("dispatch", "ok", now=utcnow() - timedelta(seconds=42))
    db.session.commit()
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["scheduler"]["status"] == "ok"
    assert 40 <= body["scheduler"]["heartbeat_age_seconds"] < 120
    beat("dispatch", "ok", now=utcnow() - timedelta(hours=1))
    db.session.commit()
    assert client.get("/healthz").json["scheduler"]["status"] == "stale"


@pytest.mark.no_transaction
def test_scheduler_command_runs_every_job_once(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    result = run(tmp_path, "scheduler", "--once")
    assert result.returncode == 0, result.stderr
    for job in (*scheduler.JOBS,):
        assert job in result.stdout
    assert "Traceback" not in result.stderr
