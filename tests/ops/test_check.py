"""``casework check`` (issue 14, point 6): one line per check, non-zero on any failure."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.core.test_cli import run
from tests.mailsink import SmtpSink, free_port
from tests.smsgateway import FakeGateway

pytestmark = pytest.mark.no_transaction
CHECKS = 11  # database, schema, integrity, scheduler, secret key, cookies, scanning, disk ×3, SMS


@pytest.fixture(scope="module", autouse=True)
def _scanner(clamd_daemon):
    """The installation's clamd: the test one (tests/clamav.py), for every command run here."""
    if clamd_daemon.process is None:
        clamd_daemon.start()
    previous = os.environ.get("CASEWORK_CLAMD_SOCKET")
    os.environ["CASEWORK_CLAMD_SOCKET"] = clamd_daemon.socket
    yield
    if previous is None:
        os.environ.pop("CASEWORK_CLAMD_SOCKET")
    else:
        os.environ["CASEWORK_CLAMD_SOCKET"] = previous


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A SQLite installation as an operator has it: initialised, its scheduler run once."""
    folder = tmp_path_factory.mktemp("instance")
    assert run(folder, "init").returncode == 0
    assert run(folder, "scheduler", "--once", "--only", "dispatch").returncode == 0
    return folder


def lines(result) -> dict[str, str]:
    found = {}
    for line in result.stdout.splitlines():
        state, _, rest = line.partition("  ")
        found[rest.split(" : ")[0].strip()] = state.strip()
    return found


def test_a_healthy_installation_passes_every_check_one_line_each(instance):
    result = run(instance, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) == CHECKS
    assert set(lines(result).values()) == {"OK"}


@pytest.mark.parametrize(
    ("environment", "failing"),
    [
        ({"CASEWORK_BASE_URL": "https://casework.exemple.ca"}, {"cookies"}),
        (
            {"CASEWORK_MIN_FREE_DISK_MB": str(10**9)},
            {"disque de la base", "sauvegardes", "documents"},
        ),
        # Scanning off is the demo's setting: anywhere else the check fails.
        ({"CASEWORK_SCANNING": "off"}, {"analyse antivirus"}),
        ({"CASEWORK_CLAMD_SOCKET": "/nonexistent/clamd.ctl"}, {"analyse antivirus"}),
    ],
)
def test_a_setting_that_does_not_hold_fails_its_check(instance, environment, failing):
    result = run(instance, "check", **environment)
    assert result.returncode == 1
    assert {name for name, state in lines(result).items() if state == "ÉCHEC"} == failing
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"Erreur : {len(failing)} vérification(s) en échec."


def test_secure_cookies_behind_https_pass(instance):
    result = run(
        instance,
        "check",
        CASEWORK_BASE_URL="https://casework.exemple.ca",
        CASEWORK_SECURE_COOKIES="true",
    )
    assert lines(result)["cookies"] == "OK"


def test_a_secret_key_others_can_read_fails(instance):
    key = instance / "secret_key"
    os.chmod(key, 0o644)
    try:
        result = run(instance, "check")
    finally:
        os.chmod(key, 0o600)
    assert result.returncode == 1 and lines(result)["clé secrète"] == "ÉCHEC"
    assert "chmod 600" in result.stdout


def test_a_scheduler_that_never_ran_fails(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    result = run(tmp_path, "check")
    assert result.returncode == 1 and lines(result)["planificateur"] == "ÉCHEC"


def test_a_scheduler_that_stopped_fails(instance):
    """It ran, then stopped: a heartbeat older than five minutes is not a running scheduler."""
    database = instance / "casework.sqlite3"
    with sqlite3.connect(database) as connection:
        kept = connection.execute("SELECT job, finished_at FROM scheduler_heartbeats").fetchall()
        stopped_at = (datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=6)).isoformat(" ")
        connection.execute("UPDATE scheduler_heartbeats SET finished_at = ?", (stopped_at,))
    try:
        result = run(instance, "check")
    finally:
        with sqlite3.connect(database) as connection:
            connection.executemany(
                "UPDATE scheduler_heartbeats SET finished_at = ? WHERE job = ?",
                [(finished_at, job) for job, finished_at in kept],
            )
    assert kept and result.returncode == 1
    assert lines(result)["planificateur"] == "ÉCHEC"
    age = re.search(r"planificateur : dernier passage il y a (\d+) s", result.stdout)
    assert age and 360 <= int(age.group(1)) < 600, result.stdout


def test_a_schema_behind_and_broken_integrity_fail(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    with sqlite3.connect(tmp_path / "casework.sqlite3") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0013'")
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute(
            "INSERT INTO notifications (key, user_id, kind, created_at) "
            "VALUES ('orpheline', 999, 'reminder', '2026-01-01 00:00:00')"
        )
    result = run(tmp_path, "check")
    assert result.returncode == 1
    states = lines(result)
    assert (states["schéma"], states["intégrité"]) == ("ÉCHEC", "ÉCHEC")
    assert "clé étrangère rompue : notifications" in result.stdout


def test_an_unreachable_database_is_one_failing_line(tmp_path):
    result = run(tmp_path, "check", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert lines(result)["base de données"] == "ÉCHEC"
    assert "Traceback" not in result.stderr


def test_smtp_is_checked_on_request(instance):
    sink = SmtpSink().start()
    try:
        answering = run(
            instance,
            "check",
            "--smtp",
            CASEWORK_SMTP_HOST="127.0.0.1",
            CASEWORK_SMTP_PORT=str(sink.port),
        )
    finally:
        sink.stop()
    assert answering.returncode == 0 and lines(answering)["SMTP"] == "OK"
    silent = run(
        instance,
        "check",
        "--smtp",
        CASEWORK_SMTP_HOST="127.0.0.1",
        CASEWORK_SMTP_PORT=str(free_port()),
    )
    assert silent.returncode == 1 and lines(silent)["SMTP"] == "ÉCHEC"


def test_the_sms_gateway_is_checked(instance, tmp_path):
    """The HTTP driver's gateway answers (the fake one of the tests: nothing is sent to it), or
    the check fails; the file driver's folder is writable, or the check fails."""
    gateway = FakeGateway().start()
    http = {
        "CASEWORK_SMS_DRIVER": "http",
        "CASEWORK_SMS_TOKEN": "token-for-tests",
        "CASEWORK_SMS_WEBHOOK_SECRET": "webhook-secret-for-tests",
        "CASEWORK_SMS_TIMEOUT_SECONDS": "2",
    }
    try:
        answering = run(instance, "check", CASEWORK_SMS_URL=gateway.url, **http)
        gateway.mode = "error"  # a POST would be answered 503: the check posts nothing
        still = run(instance, "check", CASEWORK_SMS_URL=gateway.url, **http)
    finally:
        gateway.stop()
    assert answering.returncode == 0, answering.stdout + answering.stderr
    assert lines(answering)["passerelle SMS"] == "OK" and gateway.requests == []
    assert "répond (HTTP 501)" in answering.stdout
    assert lines(still)["passerelle SMS"] == "OK"
    silent = run(instance, "check", CASEWORK_SMS_URL=f"http://127.0.0.1:{free_port()}/sms", **http)
    assert silent.returncode == 1 and lines(silent)["passerelle SMS"] == "ÉCHEC"
    assert "injoignable" in silent.stdout and "Traceback" not in silent.stderr

    writable = run(
        instance, "check", CASEWORK_SMS_DRIVER="file", CASEWORK_SMS_DIR=str(tmp_path / "sms")
    )
    assert writable.returncode == 0 and lines(writable)["passerelle SMS"] == "OK"
    assert list((tmp_path / "sms").iterdir()) == []  # the probe leaves nothing behind
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    refused = run(
        instance, "check", CASEWORK_SMS_DRIVER="file", CASEWORK_SMS_DIR=str(blocked / "sms")
    )
    assert refused.returncode == 1 and lines(refused)["passerelle SMS"] == "ÉCHEC"
    assert "non accessible en écriture" in refused.stdout
