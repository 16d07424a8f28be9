"""Engine set-up that must hold on every connection, whatever process opened it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import ColumnElement, Engine, Integer, event, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.functions import FunctionElement

from casework.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 5000
# A scheduler's jobs wait longer for SQLite's write lock than a person's request does: a job
# that waits delays nobody, one that gives up leaves its work (and any e-mail it claimed) for
# later. Two schedulers starting together take turns behind each other's start-up work.
SQLITE_JOB_BUSY_TIMEOUT_MS = 60_000
# SQLite's default page cache is 2 MB per connection: at 200,000 cases (a 1.8 GB file) pages
# would be fetched from the OS again on every request. 64 MB of cache per connection, and the
# file mapped into memory (reads without a copy), keep a province's hot pages at hand.
SQLITE_CACHE_KIB = 65_536
SQLITE_MMAP_BYTES = 256 * 1024 * 1024

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Statements that need SQLite's write lock. A savepoint is opened only to write in it, and the
# read transaction cannot be ended once a savepoint is open, so it counts as a write.
_WRITE_KEYWORDS = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "SAVEPOINT",
    "CREATE",
    "DROP",
    "ALTER",
    "ANALYZE",
)
_READING = "casework_reading"
_reading_outside_requests: ContextVar[bool] = ContextVar("casework_reading", default=False)


def configure_engine(engine: Engine) -> None:
    """Apply per-connection settings; idempotent per engine."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_casework_configured", False):
        return
    engine._casework_busy_timeout_ms = SQLITE_BUSY_TIMEOUT_MS  # type: ignore[attr-defined]

    def on_connect(dbapi_connection, _record) -> None:
        _sqlite_on_connect(dbapi_connection, engine._casework_busy_timeout_ms)  # type: ignore[attr-defined]

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    event.listen(engine, "before_cursor_execute", _sqlite_before_write)
    engine._casework_configured = True  # type: ignore[attr-defined]


def reads_before_writing() -> bool:
    """Whether the current work reads, and writes only at its end: a page (GET, HEAD, OPTIONS),
    whose writes are its traces (audit rows, the session's last-seen time), or a job inside
    ``reads_first()``."""
    if _reading_outside_requests.get():
        return True
    return has_request_context() and request.method in READING_METHODS


@contextmanager
def reads_first() -> Iterator[None]:
    """Outside a request (a scheduler job): transactions begun inside read without SQLite's
    write lock until their first write, as a page does. For work that reads long and writes a
    few rows at the end of each transaction."""
    token = _reading_outside_requests.set(True)
    try:
        yield
    finally:
        _reading_outside_requests.reset(token)


def wait_longer_for_locks(engine: Engine) -> None:
    """The scheduler process's connections wait up to a minute for the write lock."""
    if engine.dialect.name == "sqlite":
        engine._casework_busy_timeout_ms = SQLITE_JOB_BUSY_TIMEOUT_MS  # type: ignore[attr-defined]
        engine.dispose()


def _sqlite_on_connect(dbapi_connection, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and delays BEGIN; we issue BEGIN
    # ourselves (see _sqlite_on_begin) so transactions behave as on PostgreSQL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # First: every statement after it, the journal mode's included, waits for a lock instead of
    # failing at once (processes opening the database together meet on its WAL index).
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def _sqlite_on_begin(connection) -> None:
    # A change takes the write lock up front (IMMEDIATE): it reads then writes, and a deferred
    # transaction whose snapshot another writer has moved past fails at once with "database is
    # locked" instead of waiting under busy_timeout. A page only reads until its commit, so it
    # reads in a deferred transaction (WAL readers never wait) and takes the lock only for its
    # traces, in a short transaction of their own (_sqlite_before_write).
    reading = reads_before_writing()
    connection.info[_READING] = reading
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _sqlite_before_write(connection, cursor, statement, _parameters, _context, _many) -> None:
    if connection.info.get(_READING) and statement.lstrip().upper().startswith(_WRITE_KEYWORDS):
        connection.info[_READING] = False
        # The read transaction wrote nothing: ending it only gives up its snapshot. The write
        # then waits its turn for the lock like any change.
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")


def register_page_reads(app: Flask) -> None:
    """A page's writes (its audit rows) wait for its commit, after rendering, instead of being
    flushed by the first query that follows them: with SQLite that keeps the write lock for the
    few milliseconds of the commit rather than the whole rendering."""

    @app.before_request
    def defer_page_writes() -> None:
        if reads_before_writing():
            db.session.autoflush = False

    @app.teardown_request
    def restore_autoflush(_error: BaseException | None = None) -> None:
        # Tests may keep one session across requests; the next change must flush as usual.
        db.session.autoflush = True


# Rows ANALYZE samples per index on SQLite: enough to tell a selective index from a broad one,
# and it keeps a 1.8 GB database's analysis under a second.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_statistics(session: Session | scoped_session) -> None:
    """Refresh the query planner's statistics (the caller commits).

    SQLite keeps none until ANALYZE runs, and without them it may walk years of history through
    a broad index instead of a period's few rows (the dashboard at 200,000 cases: 1.3 s against
    0.3 s). PostgreSQL's autovacuum analyses on its own; running it once more is harmless.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
    session.execute(text("ANALYZE"))


def insert_on_conflict(model: type) -> Any:
    """An INSERT of ``model`` that can say what a conflicting row does (``on_conflict_do_…``):
    both engines have it, each in its own dialect."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def skip_locked(statement: Any, *tables: Any) -> Any:
    """Rows another transaction holds are skipped, not waited for: parallel dispatchers take
    disjoint batches on PostgreSQL (SQLite has no row locks and ignores it; its writers take
    turns)."""
    return statement.with_for_update(skip_locked=True, of=tables or None)


def written_in_sql(word: str) -> ColumnElement[str]:
    """A constant written into the statement rather than bound, for a column that a partial
    index's WHERE names (the pending transfers, the pending scans): SQLite prepares a statement
    again on every execution when a value bound against such a column might allow another plan.
    The session lookup compares a transfer's status on every request: bound, that cost 80 µs a
    request (issue 23)."""
    if not word.isidentifier():  # only code words: nothing to quote
        raise ValueError(f"not a code word: {word!r}")
    return literal_column(f"'{word}'")


class days_between(FunctionElement):
    """Whole days from one date column to another (``later - earlier``), in SQL: a date minus
    a date on PostgreSQL; the difference of their Julian days on SQLite, which keeps dates as
    text. Lets a query count persons per number of days instead of returning each person's
    two dates."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({later} - {earlier})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
