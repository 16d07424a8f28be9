"""Backup and restore (issue 14, point 5), run as an operator would: the real command, a real
process, while agents write journal notes through the web application."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from casework.extensions import db
from casework.ops.backup import listed, to_keep
from tests.core.test_cli import head_revision, run
from tests.helpers import note_path, signed_in, write_notes

pytestmark = pytest.mark.no_transaction
log = logging.getLogger(__name__)
BEFORE = 50


def on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def notes_of(url: str, case_id: int) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = set(
            connection.scalars(
                text("SELECT summary FROM interactions WHERE case_id = :case"), {"case": case_id}
            )
        )
    engine.dispose()
    return found


def backup_file(folder: Path) -> Path:
    (path,) = [p for p in folder.iterdir() if not p.name.startswith(".")]
    return path


def test_a_backup_taken_while_agents_write_restores_every_acknowledged_note(
    app, committed, tmp_path
):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    path = note_path(app, committed.case.id)
    client = signed_in(app, committed.agent)
    acknowledged: list = []
    write_notes(client, path, BEFORE, acknowledged, label="Avant")
    before = {summary for _at, status, summary in acknowledged if status == 302 and summary}
    assert len(before) == BEFORE
    during: list = []
    stop = threading.Event()
    writer = threading.Thread(
        target=write_notes,
        args=(signed_in(app, committed.agent), path, 10_000, during),
        kwargs={"label": "Pendant", "until": stop},
    )
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    writer.start()
    try:
        time.sleep(0.3)  # notes are being written when the backup starts
        started = time.monotonic()
        result = run(tmp_path, "backup", "--output", str(folder), database_url=url)
        took = time.monotonic() - started
    finally:
        stop.set()
        writer.join(60)
    assert result.returncode == 0, result.stderr
    written_during = sum(1 for _at, status, summary in during if status == 302 and summary)
    assert written_during > 0
    backup = backup_file(folder)
    assert re.fullmatch(
        rf"casework-{head_revision()}-\d{{8}}T\d{{6}}Z\.(sqlite3|pgdump)", backup.name
    ), backup.name
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    stamp = datetime.strptime(backup.name.split("-")[2].split(".")[0], "%Y%m%dT%H%M%SZ")
    assert abs(stamp - datetime.utcnow()) < timedelta(minutes=5)

    if on_postgres(app):
        target = url  # the only database this suite may use: replaced, then checked
        with app.app_context():
            db.engine.dispose()
        restore_args = ("restore", str(backup), "--force")
    else:
        target = f"sqlite:///{tmp_path / 'restauree.sqlite3'}"
        restore_args = ("restore", str(backup))
    started = time.monotonic()
    restored = run(tmp_path, *restore_args, database_url=target)
    restore_took = time.monotonic() - started
    if on_postgres(app):
        with app.app_context():
            db.engine.dispose()
    assert restored.returncode == 0, restored.stderr
    assert "intégrité vérifiée" in restored.stdout
    found = notes_of(target, committed.case.id)
    assert before <= found  # every note acknowledged before the backup started
    log.warning(
        "backup: %d notes before, %d written during, %d of them in the copy; "
        "backup %.1f s (%d bytes), restore %.1f s",
        len(before),
        written_during,
        len(found) - len(before),
        took,
        backup.stat().st_size,
        restore_took,
    )
    if not on_postgres(app):
        with sqlite3.connect(target.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        assert revision == (head_revision(),)


# --- Bad input: one clear line, nothing changed ----------------------------------------------


def one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Erreur")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def test_a_backup_to_a_missing_or_unwritable_folder_is_one_clear_error(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    missing = run(tmp_path, "backup", "--output", str(tmp_path / "absent"), database_url=url)
    one_line_error(missing, "introuvable", "absent")
    locked = tmp_path / "verrouille"
    locked.mkdir(mode=0o500)
    # root may write anywhere: a folder of /proc cannot take a file, even for root.
    unwritable = "/proc" if os.geteuid() == 0 else str(locked)
    refused = run(tmp_path, "backup", "--output", unwritable, database_url=url)
    one_line_error(refused)
    assert list(locked.iterdir()) == []


@pytest.fixture
def good_backup(app, tmp_path) -> Path:
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    result = run(
        tmp_path,
        "backup",
        "--output",
        str(folder),
        database_url=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    assert result.returncode == 0, result.stderr
    return backup_file(folder)


@pytest.fixture
def target(app, tmp_path):
    """Where a refused restore would have gone, and a fingerprint to show it did not change."""
    if on_postgres(app):
        url = app.config["SQLALCHEMY_DATABASE_URI"]
    else:
        url = f"sqlite:///{tmp_path / 'cible.sqlite3'}"
        assert run(tmp_path, "init", database_url=url).returncode == 0

    def fingerprint():
        engine = create_engine(url)
        with engine.connect() as connection:
            counts = tuple(
                connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("regions", "users", "cases", "interactions", "alembic_version")
            )
        engine.dispose()
        return counts

    return url, fingerprint


def damaged(backup: Path, tmp_path: Path, how: str) -> Path:
    data = backup.read_bytes()
    if how == "truncated":
        data = data[: len(data) * 2 // 3]
    elif how == "corrupt":
        middle = len(data) // 2
        data = data[:middle] + bytes(4096) + b"\xff" * 4096 + data[middle + 8192 :]
    else:
        data = b"ceci n'est pas une sauvegarde" * 100
    path = tmp_path / f"{how}-{backup.name}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["truncated", "corrupt", "not_a_backup"])
def test_restoring_a_damaged_file_is_one_clear_error_and_changes_nothing(
    app, tmp_path, good_backup, target, how
):
    url, fingerprint = target
    before = fingerprint()
    result = run(
        tmp_path, "restore", str(damaged(good_backup, tmp_path, how)), "--force", database_url=url
    )
    one_line_error(result)
    assert fingerprint() == before


def test_restoring_a_newer_schema_is_refused(app, tmp_path, target):
    url, fingerprint = target
    source_url = app.config["SQLALCHEMY_DATABASE_URI"]
    folder = tmp_path / "futur"
    folder.mkdir()
    engine = create_engine(source_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        result = run(tmp_path, "backup", "--output", str(folder), database_url=source_url)
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
        engine.dispose()
    assert result.returncode == 0, result.stderr
    future = backup_file(folder)
    assert future.name.startswith("casework-9999-")
    before = fingerprint()
    refused = run(tmp_path, "restore", str(future), "--force", database_url=url)
    one_line_error(refused, "plus récent", "9999")
    assert fingerprint() == before


def test_restoring_into_a_database_that_is_not_empty_needs_force(
    app, tmp_path, good_backup, target
):
    url, fingerprint = target
    before = fingerprint()
    refused = run(tmp_path, "restore", str(good_backup), database_url=url)
    one_line_error(refused, "--force")
    assert fingerprint() == before


def test_the_nightly_job_keeps_n_daily_and_m_weekly_backups(tmp_path):
    start = datetime(2026, 12, 31, 1, 45)
    for day in range(60):
        taken = start - timedelta(days=day)
        (tmp_path / f"casework-0014-{taken:%Y%m%dT%H%M%SZ}.sqlite3").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("pas une sauvegarde")
    kept = to_keep(listed(tmp_path), daily=7, weekly=4)
    days = sorted(datetime.strptime(p.name[14:30], "%Y%m%dT%H%M%SZ").date() for p in kept)
    # The last 7 days, and the newest of each of the last 4 ISO weeks (some are among them).
    assert days[-7:] == [(start - timedelta(days=d)).date() for d in range(6, -1, -1)]
    assert len({d.isocalendar()[:2] for d in days}) == 4
    assert len(kept) == 7 + 2  # two earlier weeks, the newest day of each


def test_the_nightly_backup_job_writes_prunes_and_beats(app, tmp_path, monkeypatch):
    from casework import scheduler
    from casework.core.heartbeat import SchedulerHeartbeat

    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "BACKUP_KEEP_DAILY", 1)
    monkeypatch.setitem(app.config, "BACKUP_KEEP_WEEKLY", 0)
    old = tmp_path / "casework-0013-20200101T014500Z.sqlite3"
    old.write_bytes(b"")
    counts = scheduler.run_job(app, "backup", scheduler.JOBS["backup"][0])
    assert counts is not None and counts["removed"] == 1 and counts["bytes"] > 0
    assert not old.exists() and len(listed(tmp_path)) == 1
    with app.app_context():
        beat = db.session.get(SchedulerHeartbeat, "backup")
        assert beat.outcome == "ok"
        health = app.test_client().get("/healthz").json
        db.session.remove()
    assert health["backup"]["status"] == "ok"
    assert health["backup"]["age_seconds"] < 120
