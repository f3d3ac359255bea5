"""Engine and session handling for SQLite (single machine) and PostgreSQL (production).

SQLite notes: WAL lets the web app read while a worker writes; a busy timeout makes writers
wait instead of failing; and write transactions begin with ``BEGIN IMMEDIATE`` so a transaction
that reads first and writes later cannot hit ``SQLITE_BUSY`` halfway (a deferred transaction
cannot upgrade its stale snapshot in WAL mode). Reads stay deferred, and must not write.

``BEGIN IMMEDIATE`` is therefore the one place a write waits for another process's lock: it
waits up to the busy timeout, and if the lock is still taken it is retried a few times
(:data:`LOCK_RETRIES`, logged) before the "database is locked" error reaches the caller — which
the web app answers with 503 and a plain "try again", never 500.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from content_queue.lengths import watch_text_lengths

log = logging.getLogger(__name__)

WRITE_OPTION = "tenfour_write"
#: How long one attempt at SQLite's write lock waits for another process to finish (seconds).
BUSY_TIMEOUT = 10.0
#: Further attempts at the write lock after a busy timeout, each after a short pause.
LOCK_RETRIES = 2
_RETRY_PAUSE = 0.05


def is_lock_error(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database is busy" (another process writes)."""
    original = getattr(exc, "orig", exc)
    if not isinstance(original, sqlite3.OperationalError):
        return False
    message = str(original).lower()
    return "locked" in message or "busy" in message


def _begin_immediate(dbapi_conn, busy_timeout: float) -> None:
    """``BEGIN IMMEDIATE``, retried :data:`LOCK_RETRIES` times when the lock stays taken."""
    for attempt in range(LOCK_RETRIES + 1):
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not is_lock_error(exc) or attempt == LOCK_RETRIES:
                raise
            log.warning("SQLite write lock still taken after %.1f s; trying again (%d of %d)",
                        busy_timeout, attempt + 1, LOCK_RETRIES)
            time.sleep(_RETRY_PAUSE * (attempt + 1))


def make_private(path: Path) -> None:
    """The SQLite file readable by its owner only (it holds password hashes and encrypted
    platform tokens): created 0600, or narrowed to 0600 when an older install left it wider.
    SQLite gives its -wal and -shm files the database file's permissions; any already
    there are narrowed too."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            os.chmod(file, 0o600)


#: SQLite reads the database file through a memory map of up to this size: pages come from the
#: OS cache every process shares, without a read() call and a copy in each connection's cache.
MMAP_BYTES = 1 << 30


def make_engine(url: str, *, echo: bool = False, busy_timeout: float = BUSY_TIMEOUT,
                pool_size: int | None = None) -> Engine:
    """Create an engine; for SQLite, make its folder and set the pragmas described above.

    ``pool_size`` (PostgreSQL): connections kept for this process, e.g. one per worker thread;
    SQLAlchemy's default of 5 (+10 overflow) made 32 publishing threads queue for a connection.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        sizing = {"pool_size": pool_size, "max_overflow": max(pool_size // 4, 2)} \
            if pool_size else {}
        return create_engine(url, echo=echo, pool_pre_ping=True, future=True, **sizing)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        make_private(Path(parsed.database))
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout,
                                                         "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # 32 MiB of page cache per connection (SQLite's default is 2 MiB): with a million
        # queued targets a claim's index updates otherwise re-read pages from the OS each tick
        # (a 500-target claim: ~40 ms instead of ~120 ms). Filled only as pages are used.
        cur.execute("PRAGMA cache_size=-32768")
        cur.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get(WRITE_OPTION, False):
            try:
                _begin_immediate(conn.connection.dbapi_connection, busy_timeout)
            except sqlite3.OperationalError as exc:
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


class Database:
    """One engine and two session factories: ``read`` (deferred) and ``write`` (immediate)."""

    def __init__(self, url: str, *, echo: bool = False,
                 busy_timeout: float = BUSY_TIMEOUT, pool_size: int | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, busy_timeout=busy_timeout, pool_size=pool_size)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            bind=self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        for factory in (self._read, self._write):  # a too-long text is a 422, not a 500
            watch_text_lengths(factory)
        # SQLite has one writer. Threads of one process (a worker on a thread pool) queue for
        # it here, in order, instead of in SQLite's busy handler, which sleeps in steps of up
        # to 100 ms: under a burst that sleeping, not the writes, set the pace.
        self._write_turn = threading.RLock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def session_scope(self, *, write: bool = True) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        turn = self._write_turn if write and self._write_turn is not None else nullcontext()
        with turn:
            session = self.session(write=write)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def listen(self, name: str, fn) -> None:
        """Attach a Session event (``after_commit``, …) to both session factories."""
        for factory in (self._read, self._write):
            event.listen(factory, name, fn)

    def dispose(self) -> None:
        """Drop pooled connections (call in each forked worker process)."""
        self.engine.dispose(close=False)
