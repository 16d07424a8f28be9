"""The ``casework`` command, run as a person would: a real process, real output."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_transaction
CASEWORK = str(Path(sys.executable).with_name("casework"))


@pytest.fixture
def instance(tmp_path):
    return tmp_path


def run(
    instance: Path, *args: str, database_url: str | None = None, timeout: int = 120, **extra_env
):
    env = {**os.environ, "CASEWORK_INSTANCE_PATH": str(instance), **extra_env}
    env.pop("CASEWORK_TEST_DATABASE_URL", None)
    env.pop("CASEWORK_DATABASE_URL", None)
    if database_url:
        env["CASEWORK_DATABASE_URL"] = database_url
    return subprocess.run(
        [CASEWORK, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option(
        "script_location", str(Path(__file__).resolve().parents[2] / "migrations")
    )
    return ScriptDirectory.from_config(config).get_current_head()


def query(instance: Path, sql: str):
    with sqlite3.connect(instance / "casework.sqlite3") as connection:
        return connection.execute(sql).fetchall()


def test_init_reaches_head_and_a_second_run_changes_nothing(instance):
    first = run(instance, "init")
    assert first.returncode == 0, first.stderr
    assert f"Schéma à jour (révision {head_revision()})" in first.stdout
    assert query(instance, "SELECT count(*) FROM regions") == [(17,)]
    second = run(instance, "init")
    assert second.returncode == 0, second.stderr
    changes = [line for line in second.stdout.splitlines() if "éléments" in line]
    # One line per seed file (the appointment types and the follow-up rules are seed files too).
    assert len(changes) == 10
    assert all(line.rstrip().endswith("0 ajoutés ou modifiés") for line in changes), changes
    assert query(instance, "SELECT count(*) FROM regions") == [(17,)]


def test_demo_creates_the_documented_accounts(instance):
    result = run(
        instance, "demo", "--no-serve", "--cases", "30", "--password", "Demo-mot-de-passe-2026"
    )
    assert result.returncode == 0, result.stderr
    assert "Dossiers de démonstration créés : 30" in result.stdout
    # Plus the files the airport counter opened today by booking first appointments.
    airport = query(instance, "SELECT count(*) FROM airport_bookings")[0][0]
    assert airport > 0
    assert query(instance, "SELECT count(*) FROM cases") == [(30 + airport,)]
    for username in (
        "admin",
        "agente",
        "agent2",
        "conseiller",
        "accueil",
        "partenaire",
        "superviseur",
    ):
        assert f"  {username} " in result.stdout
    assert "Demo-mot-de-passe-2026" in result.stdout
    # The accounts whose role requires a second factor print their TOTP secret, once.
    secrets = dict(
        query(
            instance,
            "SELECT u.username, f.secret FROM user_second_factors f "
            "JOIN users u ON u.id = f.user_id WHERE f.confirmed_at IS NOT NULL",
        )
    )
    assert set(secrets) == {"admin", "conseiller", "superviseur"}
    for username, secret in secrets.items():
        assert f"  {username:<12} {secret}" in result.stdout
    # No clamd on a fresh machine: the demo turns scanning off, and says so.
    assert "non analysé" in result.stdout
    roles = dict(query(instance, "SELECT username, role FROM users"))
    assert roles["agente"] == "agent" and roles["partenaire"] == "partner"
    regions = dict(
        query(
            instance, "SELECT u.username, r.code FROM users u JOIN regions r ON r.id = u.region_id"
        )
    )
    assert regions["agent2"] == "03" and regions["conseiller"] == "06"
    again = run(instance, "demo", "--no-serve", "--password", "Demo-mot-de-passe-2026")
    assert again.returncode == 0, again.stderr
    assert query(instance, "SELECT count(*) FROM users WHERE username = 'agente'") == [(1,)]
    assert query(instance, "SELECT count(*) FROM cases") == [(30 + airport,)]


def test_demo_generates_a_password_when_none_is_given(instance):
    result = run(instance, "demo", "--no-serve", "--cases", "0")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "Mot de passe :" in line)
    assert len(line.split(":", 1)[1].strip()) >= 12


def test_demo_refuses_a_weak_password_in_one_line(instance):
    result = run(instance, "demo", "--no-serve", "--password", "court")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Erreur")


def test_unknown_option_is_one_clear_error(instance):
    result = run(instance, "init", "--frobnicate")
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["pas une url", "mysql://root@localhost/x"])
def test_malformed_database_url_is_one_clear_error(instance, url):
    result = run(instance, "init", database_url=url)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "CASEWORK_DATABASE_URL" in result.stderr


def test_unreachable_database_is_one_clear_error(instance):
    result = run(instance, "init", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "base de données inaccessible" in result.stderr


def test_user_commands(instance):
    assert run(instance, "init").returncode == 0
    created = run(
        instance,
        "user",
        "create",
        "marie.roy",
        "--name",
        "Marie Roy",
        "--role",
        "agent",
        "--region",
        "5",
        "--service-point",
        _first_point(instance, "05"),
    )
    assert created.returncode == 0, created.stderr
    assert "Mot de passe temporaire" in created.stdout
    assert query(
        instance, "SELECT must_change_password, active FROM users WHERE username='marie.roy'"
    ) == [(1, 1)]

    weak = run(instance, "user", "set-password", "marie.roy", "--password", "123")
    assert (
        weak.returncode == 1 and weak.stderr.startswith("Erreur") and "Traceback" not in weak.stderr
    )
    changed = run(
        instance, "user", "set-password", "marie.roy", "--password", "Le-fleuve-est-large-2026"
    )
    assert changed.returncode == 0, changed.stderr
    assert query(instance, "SELECT must_change_password FROM users WHERE username='marie.roy'") == [
        (0,)
    ]

    disabled = run(instance, "user", "disable", "marie.roy")
    assert disabled.returncode == 0
    assert query(instance, "SELECT active FROM users WHERE username='marie.roy'") == [(0,)]
    assert run(instance, "user", "disable", "personne").stderr.startswith("Erreur")

    bad_region = run(
        instance, "user", "create", "x.y", "--name", "X", "--role", "admin", "--region", "99"
    )
    assert (
        bad_region.returncode == 1
        and "région" in bad_region.stderr
        and "Traceback" not in bad_region.stderr
    )
    actions = {row[0] for row in query(instance, "SELECT action FROM audit_events")}
    assert {"user.created", "user.password_set", "user.disabled"} <= actions


def test_the_last_administrator_s_second_factor_is_reset_from_the_command_line(instance):
    assert run(instance, "init").returncode == 0
    created = run(
        instance,
        "user",
        "create",
        "seule.admin",
        "--name",
        "Seule Admin",
        "--role",
        "admin",
        "--region",
        "06",
        "--password",
        "Le-fleuve-est-large-2026",
    )
    assert created.returncode == 0, created.stderr
    (user_id,) = query(instance, "SELECT id FROM users WHERE username='seule.admin'")[0]
    with sqlite3.connect(instance / "casework.sqlite3") as connection:
        connection.execute(
            "INSERT INTO user_second_factors (user_id, secret, created_at, confirmed_at) "
            "VALUES (?, 'JBSWY3DPEHPK3PXP', '2026-01-01', '2026-01-01')",
            (user_id,),
        )
        connection.execute(
            "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at) "
            "VALUES ('abc', ?, '2026-01-01', '2026-01-01')",
            (user_id,),
        )
    reset = run(instance, "user", "reset-mfa", "seule.admin")
    assert reset.returncode == 0, reset.stderr
    assert "réinitialisé" in reset.stdout
    assert query(instance, "SELECT count(*) FROM user_second_factors") == [(0,)]
    assert query(instance, "SELECT revoked_at IS NOT NULL FROM user_sessions") == [(1,)]
    assert query(
        instance,
        "SELECT actor_id, target_id FROM audit_events WHERE action='user.second_factor_reset'",
    ) == [(None, str(user_id))]
    assert run(instance, "user", "reset-mfa", "personne").stderr.startswith("Erreur")


def test_user_create_enforces_the_account_rules(instance):
    assert run(instance, "init").returncode == 0
    for username, email in (("Bad Name!", None), ("x" * 100, None), ("bon.nom", "pas-un-courriel")):
        args = ["user", "create", username, "--name", "X", "--role", "admin", "--region", "06"]
        result = run(instance, *args, *(["--email", email] if email else []))
        assert result.returncode == 1, result.stdout
        assert result.stderr.startswith("Erreur") and "Traceback" not in result.stderr
    assert query(instance, "SELECT count(*) FROM users") == [(0,)]


def test_demo_refuses_to_reset_an_account_it_did_not_create(instance):
    assert run(instance, "init").returncode == 0
    created = run(
        instance,
        "user",
        "create",
        "admin",
        "--name",
        "Vraie Admin",
        "--role",
        "admin",
        "--region",
        "06",
        "--password",
        "Une-vraie-phrase-secrete",
    )
    assert created.returncode == 0, created.stderr
    before = query(instance, "SELECT password_hash FROM users WHERE username='admin'")
    result = run(instance, "demo", "--no-serve", "--password", "Demo-mot-de-passe-2026")
    assert result.returncode == 1 and "démonstration" in result.stderr
    assert query(instance, "SELECT password_hash FROM users WHERE username='admin'") == before


def test_init_with_a_broken_seed_folder_is_one_clear_error(instance, tmp_path):
    broken = tmp_path / "seed"
    broken.mkdir()
    (broken / "regions.yaml").write_text("regions: [\n", encoding="utf-8")
    result = run(instance, "init", CASEWORK_SEED_DIR=str(broken))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.startswith("Erreur")


def test_unusable_instance_folder_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run(blocker / "instance", "init")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "instance" in result.stderr


def _first_point(instance: Path, region: str) -> str:
    rows = query(
        instance,
        "SELECT s.code FROM service_points s JOIN regions r ON r.id = s.region_id "
        f"WHERE r.code = '{region}' ORDER BY s.code LIMIT 1",
    )
    return rows[0][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "command",
    [["serve"], ["demo", "--cases", "3", "--password", "Demo-mot-de-passe-2026"]],
    ids=["serve", "demo"],
)
def test_serve_uses_waitress_and_answers(instance, command):
    assert run(instance, "init").returncode == 0
    port = _free_port()
    env = {**os.environ, "CASEWORK_INSTANCE_PATH": str(instance)}
    env.pop("CASEWORK_DATABASE_URL", None)
    env.pop("CASEWORK_TEST_DATABASE_URL", None)
    server = subprocess.Popen(
        [CASEWORK, *command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body, server_header = None, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    body, server_header = response.read(), response.headers.get("Server")
            except OSError:
                time.sleep(0.2)
        assert body is not None, "server did not answer"
        assert b'"database":"ok"' in body.replace(b" ", b"")
        assert server_header == "casework"
    finally:
        server.terminate()
        server.wait(timeout=10)
