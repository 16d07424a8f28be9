"""Engine set-up that must hold on every connection, whatever process opened it."""

from __future__ import annotations

from sqlalchemy import Engine, event

SQLITE_BUSY_TIMEOUT_MS = 5000
# SQLite's default page cache is 2 MB per connection: at 200,000 cases (a 1.3 GB file) pages
# would be fetched from the OS again on every request. 64 MB of cache per connection, and the
# file mapped into memory (reads without a copy), keep a province's hot pages at hand.
SQLITE_CACHE_KIB = 65_536
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def configure_engine(engine: Engine) -> None:
    """Apply per-connection settings; idempotent per engine."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_casework_configured", False):
        return
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    engine._casework_configured = True  # type: ignore[attr-defined]


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and delays BEGIN; we issue BEGIN
    # ourselves (see _sqlite_on_begin) so transactions behave as on PostgreSQL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def _sqlite_on_begin(connection) -> None:
    # IMMEDIATE takes the write lock up front: a request that reads then writes (every file read
    # writes its audit row) waits its turn under busy_timeout instead of failing with
    # "database is locked" when another writer committed in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
