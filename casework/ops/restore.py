"""``casework restore``: a backup back into the database, checked before anything is touched.

Refused, changing nothing: a file that is missing, truncated, corrupt or not a casework backup;
a backup of a newer schema than this code knows; a backup of the other engine; a database that
is not empty, unless ``force``. Then the backup replaces the database's content in one
transaction (SQLite: the backup API into the database file; PostgreSQL: the archive turned into
SQL by ``pg_restore`` and played by ``psql`` in a single transaction after dropping the schema),
the migrations bring it to the head revision, and the integrity check runs.

Stop the web server and the scheduler first: a restore replaces everything they see.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL

from casework.core.db import SQLITE_BUSY_TIMEOUT_MS
from casework.extensions import db
from casework.ops.backup import (
    EXTENSIONS,
    BackupError,
    database_url,
    engine_name,
    read_only,
    revision_of,
    run_client,
    sqlite_path,
)
from casework.ops.check import integrity_problems
from casework.setup import head_revision, known_revision, upgrade_schema

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class RestoreError(BackupError):
    """The restore was refused or failed; the message is one line for the operator."""


@dataclass(frozen=True)
class Restored:
    backup_revision: str
    revision: str
    seconds: float


def restore(path: Path, force: bool = False) -> Restored:
    url = database_url()
    engine = engine_name(url)
    revision = inspect_backup(path, engine)
    if not known_revision(revision):
        raise RestoreError(
            f"sauvegarde d'un schéma plus récent (révision {revision}) que ce code "
            f"(révision {head_revision()}) : installez d'abord la version qui l'a produite"
        )
    if not force and not database_is_empty():
        raise RestoreError("la base n'est pas vide ; --force pour la remplacer par la sauvegarde")
    started = time.monotonic()
    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps the old schema in view
    if engine == "sqlite":
        _restore_sqlite(path, sqlite_path(url))
    else:
        _restore_postgres(path, url)
    db.engine.dispose()
    reached = upgrade_schema()
    problems = integrity_problems()
    if problems:
        raise RestoreError(f"restaurée, mais l'intégrité échoue : {problems[0]}")
    return Restored(revision, reached, time.monotonic() - started)


def inspect_backup(path: Path, engine: str) -> str:
    """The backup's schema revision, once the whole file has been read and found sound."""
    if not path.is_file():
        raise RestoreError(f"fichier introuvable : {path}")
    with path.open("rb") as handle:
        head = handle.read(100)
    kind = (
        "sqlite"
        if head.startswith(SQLITE_MAGIC)
        else ("postgresql" if head.startswith(PGDUMP_MAGIC) else None)
    )
    if kind is None:
        raise RestoreError(f"{path.name} n'est pas une sauvegarde casework (format inconnu)")
    if kind != engine:
        raise RestoreError(
            f"sauvegarde {EXTENSIONS[kind]} pour une base {engine} : même moteur requis"
        )
    if kind == "sqlite":
        _check_sqlite_file(path, head)
    else:
        # Reading the whole archive finds a truncated or damaged one before anything changes.
        _archive_as_sql(path, Path(os.devnull))
    return revision_of(path, engine)


def _check_sqlite_file(path: Path, header: bytes) -> None:
    if len(header) < 100:
        raise RestoreError(f"{path.name} est tronqué ({len(header)} octets)")
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    (pages,) = struct.unpack(">I", header[28:32])
    if path.stat().st_size < page_size * pages:
        raise RestoreError(f"{path.name} est tronqué ({path.stat().st_size} octets)")
    try:
        with closing(read_only(path)) as connection:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise RestoreError(f"{path.name} est corrompu ({error})") from error
    if result != ["ok"]:
        raise RestoreError(f"{path.name} est corrompu ({result[0]})")


def database_is_empty() -> bool:
    """No table at all: a database just created, never initialised."""
    names = inspect(db.engine).get_table_names()
    return not names


def _restore_sqlite(path: Path, target: Path) -> None:
    try:
        with (
            closing(read_only(path)) as source,
            closing(sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as database,
        ):
            # Replaces every page of the database in one transaction of its own.
            source.backup(database, pages=-1)
    except sqlite3.Error as error:
        raise RestoreError(f"restauration SQLite impossible ({error})") from error


def _archive_as_sql(path: Path, target: Path) -> None:
    run_client(
        ["pg_restore", "--no-owner", "--no-privileges", "--file", str(target), str(path)],
        database_url(),
    )


def _restore_postgres(path: Path, url: URL) -> None:
    with tempfile.TemporaryDirectory(prefix="casework-restore-") as folder:
        script = Path(folder) / "restore.sql"  # the folder is 0700: the SQL holds the data
        _archive_as_sql(path, script)
        run_client(
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file",
                str(script),
            ],
            url,
        )
