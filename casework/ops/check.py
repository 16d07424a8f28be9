"""``casework check``: the operator's health report, one line per check; any failure fails it.

The database is reachable, at the head revision, with integrity ok; the scheduler's heartbeat is
recent; the secret key file is private; cookies are secure behind https; there is free disk for
the database, the backups and the documents; documents are scanned by a clamd that answers
(scanning off is the demo's setting alone); the SMS gateway configured can be used (the HTTP
driver's gateway answers, the file driver's folder is writable); optionally, the SMTP server
answers.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import ssl
import stat
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casework.attachments.scanner import scanning_problem
from casework.core.db import reads_first
from casework.core.heartbeat import SCHEDULER_STALE_SECONDS, last_beat_age
from casework.extensions import db
from casework.ops.backup import database_url, engine_name, sqlite_path
from casework.setup import current_revision, head_revision


@dataclass(frozen=True)
class Result:
    ok: bool
    name: str
    detail: str

    def line(self) -> str:
        return f"{'OK   ' if self.ok else 'ÉCHEC'}  {self.name} : {self.detail}"


def integrity_problems() -> list[str]:
    """What the engine finds wrong with the stored data (empty: all is well).

    SQLite: ``PRAGMA integrity_check`` (pages, indexes) and ``foreign_key_check``. PostgreSQL
    checks both as it writes; what can remain is an index left invalid or a constraint left
    unvalidated (an interrupted ``CREATE INDEX CONCURRENTLY``, a ``NOT VALID`` constraint).
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        problems = [row[0] for row in session.execute(text("PRAGMA integrity_check"))]
        problems = [] if problems == ["ok"] else problems
        orphans = session.execute(text("PRAGMA foreign_key_check")).all()
        problems += [
            f"clé étrangère rompue : {row[0]} ligne {row[1]} → {row[2]}" for row in orphans
        ]
    else:
        invalid = session.scalars(
            text(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT i.indisvalid"
            )
        ).all()
        unvalidated = session.scalars(
            text(
                "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = current_schema() AND NOT c.convalidated"
            )
        ).all()
        problems = [f"index invalide : {name}" for name in invalid]
        problems += [f"contrainte non validée : {name}" for name in unvalidated]
    session.rollback()
    return problems


def run_checks(smtp: bool = False) -> list[Result]:
    # Read without SQLite's write lock: an integrity check of a large file takes seconds.
    with reads_first():
        results = [check_database()]
        if results[0].ok:
            results += [check_revision(), check_integrity(), check_scheduler()]
    results += [
        check_secret_key(),
        check_cookies(),
        check_scanning(),
        *check_disk(),
        check_sms(),
    ]
    if smtp:
        results.append(check_smtp())
    return results


def _guarded(name: str, probe: Callable[[], Result]) -> Result:
    try:
        return probe()
    except SQLAlchemyError as error:
        db.session.rollback()
        return Result(False, name, f"erreur de base de données ({type(error).__name__})")


def check_database() -> Result:
    def probe() -> Result:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return Result(True, "base de données", f"joignable ({engine_name(database_url())})")

    return _guarded("base de données", probe)


def check_revision() -> Result:
    def probe() -> Result:
        current, head = current_revision(), head_revision()
        db.session.rollback()
        if current == head:
            return Result(True, "schéma", f"à jour (révision {head})")
        return Result(False, "schéma", f"révision {current}, le code attend {head} : casework init")

    return _guarded("schéma", probe)


def check_integrity() -> Result:
    def probe() -> Result:
        problems = integrity_problems()
        if not problems:
            return Result(True, "intégrité", "aucun problème")
        more = f" (+{len(problems) - 1})" if len(problems) > 1 else ""
        return Result(False, "intégrité", problems[0] + more)

    return _guarded("intégrité", probe)


def check_scheduler() -> Result:
    def probe() -> Result:
        age = last_beat_age()
        db.session.rollback()
        if age is None:
            return Result(False, "planificateur", "n'a jamais tourné : casework scheduler")
        if age > SCHEDULER_STALE_SECONDS:
            return Result(False, "planificateur", f"dernier passage il y a {round(age)} s")
        return Result(True, "planificateur", f"dernier passage il y a {round(age)} s")

    return _guarded("planificateur", probe)


def check_secret_key() -> Result:
    if os.environ.get("CASEWORK_SECRET_KEY"):
        return Result(True, "clé secrète", "fournie par l'environnement")
    key_file = Path(current_app.config["INSTANCE_PATH"]) / "secret_key"
    if not key_file.exists():
        return Result(False, "clé secrète", f"{key_file} absent")
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        return Result(False, "clé secrète", f"{key_file} en mode {mode:04o} : chmod 600")
    return Result(True, "clé secrète", f"{key_file} en mode {mode:04o}")


def check_cookies() -> Result:
    base_url = current_app.config["BASE_URL"]
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if not base_url.startswith("https://"):
        return Result(True, "cookies", f"{base_url} n'est pas en https (sans objet)")
    if secure:
        return Result(True, "cookies", "sécurisés (https)")
    return Result(False, "cookies", "CASEWORK_BASE_URL est en https : CASEWORK_SECURE_COOKIES=true")


def check_scanning() -> Result:
    """Documents are scanned by a clamd that answers; scanning off is the demo's alone."""
    problem = scanning_problem(current_app.config)
    if problem:
        return Result(False, "analyse antivirus", problem)
    return Result(True, "analyse antivirus", f"clamd répond ({current_app.config['CLAMD_SOCKET']})")


def check_disk() -> list[Result]:
    minimum = current_app.config["MIN_FREE_DISK_MB"]
    places = {
        "sauvegardes": Path(current_app.config["BACKUP_DIR"]),
        "documents": Path(current_app.config["ATTACHMENTS_DIR"]),
    }
    url = database_url()
    if engine_name(url) == "sqlite":
        places = {"disque de la base": sqlite_path(url).parent, **places}
    results = []
    for name, folder in places.items():
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free // (1024 * 1024)
        detail = f"{free} Mo libres dans {existing} (minimum {minimum} Mo)"
        results.append(Result(free >= minimum, name, detail))
    return results


def check_smtp() -> Result:
    config = current_app.config
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    if not host:
        return Result(False, "SMTP", "CASEWORK_SMTP_HOST n'est pas défini")
    try:
        with smtplib.SMTP(host, port, timeout=config["SMTP_TIMEOUT_SECONDS"]) as client:
            client.ehlo()
            if config["SMTP_STARTTLS"]:
                client.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                client.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            client.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Result(False, "SMTP", f"{host}:{port} injoignable ({type(error).__name__})")
    return Result(True, "SMTP", f"{host}:{port} répond")


SMS = "passerelle SMS"
# A proxy's or the gateway's own « down »: the other answers (405, 501, 401…) show it is there.
GATEWAY_DOWN = frozenset({502, 503, 504})


def check_sms() -> Result:
    """The SMS driver configured can be used. HTTP: a HEAD request to the gateway's URL, without
    the token (nothing is sent: any answer but 502-504 shows the gateway is there). File: the
    folder can be written. No driver: no SMS, e-mail only (not a failure)."""
    config = current_app.config
    driver = config.get("SMS_DRIVER", "")
    if driver == "file":
        return _check_sms_folder(Path(config["SMS_DIR"]))
    if driver == "http":
        return _check_sms_gateway(config["SMS_URL"], float(config["SMS_TIMEOUT_SECONDS"]))
    return Result(True, SMS, "aucune (CASEWORK_SMS_DRIVER vide) : pas de SMS, courriel seulement")


def _check_sms_folder(folder: Path) -> Result:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-", suffix=".json"):
            pass
    except OSError as error:
        return Result(False, SMS, f"pilote file : {folder} non accessible en écriture ({error})")
    return Result(True, SMS, f"pilote file : {folder} accessible en écriture")


def _check_sms_gateway(url: str, timeout: float) -> Result:
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", None)
        kind = type(reason).__name__ if isinstance(reason, BaseException) else type(error).__name__
        return Result(False, SMS, f"pilote http : {url} injoignable ({kind})")
    if status in GATEWAY_DOWN:
        return Result(False, SMS, f"pilote http : {url} répond HTTP {status} (indisponible)")
    return Result(True, SMS, f"pilote http : {url} répond (HTTP {status}), jeton et secret fournis")
