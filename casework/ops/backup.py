"""Online backups, consistent while the web application and the scheduler write.

- SQLite: the online backup API copies every page in one step inside one read transaction, so
  the copy is the database as of that moment, the pages still in the WAL included (a copy of the
  file would miss them). Writers go on meanwhile (WAL readers block no one).
- PostgreSQL: ``pg_dump`` in custom format (one snapshot), its exit status checked.

The file is created with mode 0600 under a temporary name and renamed only once complete, so a
backup that stopped halfway never carries a backup's name. The name says the schema revision
and the UTC time: ``casework-<revision>-<YYYYMMDDTHHMMSSZ>.sqlite3`` (or ``.pgdump``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.engine import URL, make_url

from casework.core.db import SQLITE_BUSY_TIMEOUT_MS

NAME = re.compile(
    r"^casework-(?P<revision>[0-9A-Za-z_]+)-(?P<stamp>\d{8}T\d{6}Z)\.(?P<ext>sqlite3|pgdump)$"
)
STAMP = "%Y%m%dT%H%M%SZ"
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "pgdump"}


class BackupError(Exception):
    """The backup could not be taken or read; the message is one line for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    revision: str
    taken_at: datetime
    size: int
    seconds: float = 0.0


def database_url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def engine_name(url: URL) -> str:
    return url.get_backend_name()


def sqlite_path(url: URL) -> Path:
    return Path(url.database or "")


def take_backup(folder: Path | None = None, now: datetime | None = None) -> Backup:
    """A consistent copy of the database in ``folder`` (the configured backup folder when not
    given, created if it is missing)."""
    url = database_url()
    if folder is None:
        folder = Path(current_app.config["BACKUP_DIR"])
        folder.mkdir(mode=0o700, exist_ok=True)
    writable_folder(folder)
    started = time.monotonic()
    taken_at = (now or datetime.now(UTC)).replace(microsecond=0, tzinfo=None)
    engine = engine_name(url)
    partial = folder / f".casework-{os.getpid()}-{taken_at.strftime(STAMP)}.partial"
    _create_private(partial)
    try:
        if engine == "sqlite":
            _copy_sqlite(sqlite_path(url), partial)
        else:
            _dump_postgres(url, partial)
        revision = revision_of(partial, engine)
        final = folder / f"casework-{revision}-{taken_at.strftime(STAMP)}.{EXTENSIONS[engine]}"
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Backup(final, revision, taken_at, final.stat().st_size, time.monotonic() - started)


def writable_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise BackupError(f"dossier de sauvegarde introuvable : {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"dossier de sauvegarde non accessible en écriture : {folder}")


def _create_private(path: Path) -> None:
    """An empty file only its owner may read: the backup holds every person's file."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise BackupError(f"écriture impossible dans {path.parent} ({error.strerror})") from error
    os.close(descriptor)


def _copy_sqlite(source_path: Path, target: Path) -> None:
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    copy = sqlite3.connect(target)
    try:
        # All pages in one step: one read transaction, one consistent snapshot.
        source.backup(copy, pages=-1)
        # The copy stands on its own: no WAL beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        copy.commit()
    except sqlite3.Error as error:
        raise BackupError(f"copie SQLite impossible ({error})") from error
    finally:
        copy.close()
        source.close()
    _sync(target)


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def libpq_environment(url: URL) -> dict[str, str]:
    """The connection as libpq's variables: no password on a command line (``ps`` shows it)."""
    env = dict(os.environ)
    settings = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    env.update({name: str(value) for name, value in settings.items() if value})
    return env


def run_client(command: list[str], url: URL, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client program (pg_dump, pg_restore, psql); a failure is one line."""
    try:
        result = subprocess.run(
            command, env=libpq_environment(url), capture_output=True, text=True, **kwargs
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} introuvable : installez le client PostgreSQL (postgresql-client)"
        ) from error
    if result.returncode != 0:
        reason = next((line for line in result.stderr.splitlines() if line.strip()), "")
        raise BackupError(f"{command[0]} a échoué (code {result.returncode}) : {reason}")
    return result


def _dump_postgres(url: URL, target: Path) -> None:
    run_client(["pg_dump", "--format=custom", "--no-owner", "--file", str(target)], url)
    _sync(target)


def revision_of(path: Path, engine: str) -> str:
    """The schema revision a backup holds (alembic_version)."""
    if engine == "sqlite":
        try:
            with closing(read_only(path)) as connection:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error as error:
            raise BackupError(f"pas une sauvegarde casework lisible ({error})") from error
    else:
        listing = run_client(
            ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(path)],
            database_url(),
        ).stdout
        row = _copied_rows(listing, "alembic_version")
    if not row:
        raise BackupError("pas une sauvegarde casework : aucune révision de schéma")
    return row[0]


def _copied_rows(sql: str, table: str) -> tuple[str, ...] | None:
    lines = sql.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and f".{table} " in line and number + 1 < len(lines):
            first = lines[number + 1]
            return None if first == "\\." else tuple(first.split("\t"))
    return None


def read_only(path: Path) -> sqlite3.Connection:
    """A backup opened without writing anything beside it (no journal, no WAL)."""
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


# --- Nightly job and retention ------------------------------------------------------------------


def listed(folder: Path) -> list[tuple[datetime, Path]]:
    """The backups in ``folder`` (by their names), newest first; other files are not ours."""
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        match = NAME.match(path.name)
        if match:
            found.append((datetime.strptime(match["stamp"], STAMP), path))
    return sorted(found, reverse=True)


def to_keep(backups: list[tuple[datetime, Path]], daily: int, weekly: int) -> set[Path]:
    """The newest backup of each of the ``daily`` latest days and of the ``weekly`` latest ISO
    weeks."""
    keep: set[Path] = set()
    for count, period in ((daily, lambda t: t.date()), (weekly, lambda t: t.isocalendar()[:2])):
        seen: set[Any] = set()
        for taken_at, path in backups:
            key = period(taken_at)
            if key not in seen and len(seen) < count:
                seen.add(key)
                keep.add(path)
    return keep


def prune(folder: Path, daily: int, weekly: int) -> int:
    backups = listed(folder)
    keep = to_keep(backups, daily, weekly)
    removed = 0
    for _taken_at, path in backups:
        if path not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def nightly_backup() -> dict[str, int]:
    """The scheduler's ``backup`` job: a backup in ``CASEWORK_BACKUP_DIR``, then only the
    configured daily and weekly copies kept."""
    config = current_app.config
    backup = take_backup()
    removed = prune(backup.path.parent, config["BACKUP_KEEP_DAILY"], config["BACKUP_KEEP_WEEKLY"])
    return {"bytes": backup.size, "milliseconds": round(backup.seconds * 1000), "removed": removed}
