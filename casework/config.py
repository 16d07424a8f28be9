"""Settings read from the environment (``CASEWORK_*``), with safe defaults for one machine."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from casework.core.outbox import LEASE_MARGIN_SECONDS
from casework.core.time import LOCAL_TIMEZONE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_DRIVERS = ("sqlite", "postgresql")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is meant for the operator."""


def instance_path() -> Path:
    return Path(os.environ.get("CASEWORK_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def parse_database_url(raw: str) -> URL:
    """Validate a database URL early so a typo is one clear line, not a traceback at first query."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"CASEWORK_DATABASE_URL malformée : {raw!r}") from exc
    backend = url.get_backend_name()
    if backend not in SUPPORTED_DRIVERS:
        raise ConfigError(
            f"CASEWORK_DATABASE_URL : moteur « {backend} » non pris en charge "
            "(sqlite ou postgresql+psycopg)."
        )
    if backend == "postgresql" and url.get_driver_name() not in ("psycopg", "psycopg2"):
        raise ConfigError("CASEWORK_DATABASE_URL : utilisez le pilote postgresql+psycopg://")
    return url


def default_database_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'casework.sqlite3'}"


def load_or_create_secret_key(folder: Path) -> str:
    """The key lives in instance/ with 0600 permissions, generated once; never a constant in code."""
    from_env = os.environ.get("CASEWORK_SECRET_KEY")
    if from_env:
        return from_env
    key_file = folder / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} doit être un nombre entier (reçu {raw!r}).") from exc
    if value < minimum:
        raise ConfigError(f"{name} doit valoir au moins {minimum} (reçu {value}).")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "oui", "on")


def check_lease(lease_seconds: int, smtp_timeout_seconds: int) -> None:
    """A claim's lease must outlast an SMTP conversation (each of its steps may take the
    timeout) and the recording of its outcome (``core.outbox.LEASE_MARGIN_SECONDS``)."""
    minimum = 2 * smtp_timeout_seconds + LEASE_MARGIN_SECONDS + 1
    if lease_seconds < minimum:
        raise ConfigError(
            f"CASEWORK_CLAIM_LEASE_SECONDS doit valoir au moins {minimum} "
            f"(deux fois CASEWORK_SMTP_TIMEOUT_SECONDS plus {LEASE_MARGIN_SECONDS}) ; "
            f"reçu {lease_seconds}."
        )


def from_environment() -> dict:
    """Build the Flask config mapping from ``CASEWORK_*`` variables."""
    folder = instance_path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"dossier d'instance inutilisable : {folder} ({exc.strerror}).") from exc
    database_url = os.environ.get("CASEWORK_DATABASE_URL") or default_database_url(folder)
    parse_database_url(database_url)
    idle_minutes = _env_int("CASEWORK_IDLE_TIMEOUT_MINUTES", 30)
    smtp_timeout = _env_int("CASEWORK_SMTP_TIMEOUT_SECONDS", 15)
    lease = _env_int("CASEWORK_CLAIM_LEASE_SECONDS", 300)
    check_lease(lease, smtp_timeout)
    return {
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": load_or_create_secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: SQL errors must not copy personal data into the logs. A pooled
        # connection to a server is tested before use (it may have been dropped); a SQLite file
        # has no server to lose, and the test was a query more on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": not database_url.startswith("sqlite"),
            "hide_parameters": True,
        },
        "SEED_DIR": os.environ.get("CASEWORK_SEED_DIR", str(PROJECT_ROOT / "seed")),
        "IDLE_TIMEOUT": timedelta(minutes=idle_minutes),
        # However active, a session ends after this long; the next sign-in starts a new one.
        "SESSION_MAX_AGE": timedelta(hours=_env_int("CASEWORK_SESSION_MAX_HOURS", 12)),
        "MAX_CONTENT_LENGTH": _env_int("CASEWORK_MAX_REQUEST_BYTES", 2 * 1024 * 1024),
        "SESSION_COOKIE_NAME": "casework_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("CASEWORK_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_DURATION": timedelta(0),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": _env_bool("CASEWORK_SECURE_COOKIES", False),
        "BABEL_DEFAULT_LOCALE": "fr_CA",
        "BABEL_DEFAULT_TIMEZONE": LOCAL_TIMEZONE,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _env_int("CASEWORK_LOGIN_MAX_FAILURES", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _env_int("CASEWORK_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        "LOGIN_LOCKOUT": timedelta(minutes=_env_int("CASEWORK_LOGIN_LOCKOUT_MINUTES", 15)),
        # How long a password re-entered before a bulk export stays valid.
        "EXPORT_CONFIRMATION_MINUTES": _env_int("CASEWORK_EXPORT_CONFIRM_MINUTES", 5, minimum=0),
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": _env_int("CASEWORK_TRUSTED_PROXIES", 0, minimum=0),
        "SMTP_HOST": os.environ.get("CASEWORK_SMTP_HOST", ""),
        "SMTP_PORT": _env_int("CASEWORK_SMTP_PORT", 25),
        "SMTP_USER": os.environ.get("CASEWORK_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("CASEWORK_SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _env_bool("CASEWORK_SMTP_STARTTLS", False),
        "MAIL_FROM": os.environ.get("CASEWORK_MAIL_FROM", "casework@localhost"),
        # Links in e-mails point here (the address people use to reach the application).
        "BASE_URL": os.environ.get("CASEWORK_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Each step of an SMTP conversation (connect, greeting, every command) waits this long.
        "SMTP_TIMEOUT_SECONDS": smtp_timeout,
        # A failed e-mail is retried for this long (like a mail server's queue), then failed.
        "EMAIL_LIFETIME_HOURS": _env_int("CASEWORK_EMAIL_LIFETIME_HOURS", 48),
        # First retry after this many seconds, then twice as long each time, at most the cap.
        "EMAIL_RETRY_SECONDS": _env_int("CASEWORK_EMAIL_RETRY_SECONDS", 60),
        "EMAIL_RETRY_MAX_SECONDS": _env_int("CASEWORK_EMAIL_RETRY_MAX_SECONDS", 3600),
        # E-mails claimed by a dispatcher that stopped (killed, machine lost) are sent again by
        # another after this long.
        "CLAIM_LEASE_SECONDS": lease,
        # How often the scheduler delivers due reminders and sends the outbox.
        "DISPATCH_INTERVAL_SECONDS": _env_int("CASEWORK_DISPATCH_INTERVAL_SECONDS", 30),
        # Reminders are created this many days ahead of their due time.
        "REMINDER_HORIZON_DAYS": _env_int("CASEWORK_REMINDER_HORIZON_DAYS", 45),
        # `casework backup` and the nightly job write here; the job keeps the newest backup of
        # each of the last N days and M weeks.
        "BACKUP_DIR": os.environ.get("CASEWORK_BACKUP_DIR", str(folder / "backups")),
        "BACKUP_KEEP_DAILY": _env_int("CASEWORK_BACKUP_KEEP_DAILY", 7),
        "BACKUP_KEEP_WEEKLY": _env_int("CASEWORK_BACKUP_KEEP_WEEKLY", 4, minimum=0),
        # /metrics answers loopback without it; anyone else needs « Authorization: Bearer … ».
        "METRICS_TOKEN": os.environ.get("CASEWORK_METRICS_TOKEN", ""),
        # `casework check` fails below this much free space for the database and the backups.
        "MIN_FREE_DISK_MB": _env_int("CASEWORK_MIN_FREE_DISK_MB", 1024, minimum=0),
        # Closed cases are anonymised this many days after closing (docs/privacy.md).
        "RETENTION_DAYS": _env_int("CASEWORK_RETENTION_DAYS", 5 * 365 + 1, minimum=30),
        # Expected arrivals (issue 22) are deleted this many days after their arrival time.
        "ARRIVAL_RETENTION_DAYS": _env_int("CASEWORK_ARRIVAL_RETENTION_DAYS", 30, minimum=1),
        # Documents attached to cases: outside the database and outside static/ (docs/deployment.md).
        "ATTACHMENTS_DIR": os.environ.get("CASEWORK_ATTACHMENTS_DIR", str(folder / "attachments")),
        "ATTACHMENT_MAX_BYTES": _env_int("CASEWORK_ATTACHMENT_MAX_MB", 15) * 1024 * 1024,
        # Every upload is scanned by clamd before it can be read. Only an explicit « off » (the
        # demo sets it) turns scanning off; `casework check` fails on it outside the demo.
        "SCANNING": scanning_mode(os.environ.get("CASEWORK_SCANNING", "clamd")),
        "CLAMD_SOCKET": os.environ.get("CASEWORK_CLAMD_SOCKET", "/var/run/clamav/clamd.ctl"),
        "CLAMD_TIMEOUT_SECONDS": _env_int("CASEWORK_CLAMD_TIMEOUT_SECONDS", 60),
        # Messages to persons: the templates an administrator edited, and the SMS gateway
        # (docs/deployment.md). No driver: no SMS (e-mail still goes when SMTP is set).
        "MESSAGE_TEMPLATES_DIR": os.environ.get(
            "CASEWORK_MESSAGE_TEMPLATES_DIR", str(folder / "message_templates")
        ),
        "SMS_DRIVER": sms_driver(
            os.environ.get("CASEWORK_SMS_DRIVER", ""),
            os.environ.get("CASEWORK_SMS_URL", ""),
            os.environ.get("CASEWORK_SMS_TOKEN", ""),
            os.environ.get("CASEWORK_SMS_WEBHOOK_SECRET", ""),
        ),
        "SMS_URL": os.environ.get("CASEWORK_SMS_URL", ""),
        "SMS_TOKEN": os.environ.get("CASEWORK_SMS_TOKEN", ""),
        "SMS_SENDER": os.environ.get("CASEWORK_SMS_SENDER", ""),
        "SMS_WEBHOOK_SECRET": os.environ.get("CASEWORK_SMS_WEBHOOK_SECRET", ""),
        "SMS_DIR": os.environ.get("CASEWORK_SMS_DIR", str(folder / "sms")),
        "SMS_TIMEOUT_SECONDS": _env_int("CASEWORK_SMS_TIMEOUT_SECONDS", 10),
        "DEMO": False,
    }


SCANNING_MODES = ("clamd", "off")


def scanning_mode(raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in SCANNING_MODES:
        raise ConfigError(f"CASEWORK_SCANNING : « {raw} » inconnu (clamd ou off).")
    return mode


SMS_DRIVERS = ("", "http", "file")


def sms_driver(raw: str, url: str, token: str, secret: str) -> str:
    """No driver (no SMS), ``file`` (development) or ``http``, which needs its URL (https), its
    token and the webhook's secret: a gateway half configured would fail every message."""
    driver = raw.strip().lower()
    if driver not in SMS_DRIVERS:
        raise ConfigError(f"CASEWORK_SMS_DRIVER : « {raw} » inconnu (http, file, ou vide).")
    if driver == "http":
        missing = [
            name
            for name, value in (
                ("CASEWORK_SMS_URL", url),
                ("CASEWORK_SMS_TOKEN", token),
                ("CASEWORK_SMS_WEBHOOK_SECRET", secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"CASEWORK_SMS_DRIVER=http : {', '.join(missing)} manquant.")
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError("CASEWORK_SMS_URL : https:// requis (le numéro part en clair sinon).")
    return driver
