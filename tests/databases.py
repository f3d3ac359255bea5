"""Scratch databases on each backend the suite runs against.

SQLite always; PostgreSQL too when ``TEST_DATABASE_URL`` names a server. A PostgreSQL scratch
database is a fresh schema on that server (selected through ``search_path`` in the URL), so
tests need no rights to create databases and never see another run's tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def scratch_database_url(backend: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``, dropped when the block ends.

    SQLite's file goes in ``directory`` (a pytest tmp_path, removed by pytest).
    """
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'tenfour-test.db'}"
        return
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        try:
            _drop_schema(admin, schema)
        finally:
            admin.dispose()


#: Locks on the scratch schema's tables held by another connection, with what it last ran.
_HOLDERS = text("""
    SELECT DISTINCT a.pid, a.state, left(a.query, 300) AS query
    FROM pg_locks l
    JOIN pg_class c ON c.oid = l.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()
""")


def _drop_schema(admin, schema: str) -> None:
    """Drop the scratch schema. A connection the test left inside a transaction would make
    the DROP wait forever (a hung suite, not a failure): after a bounded wait those
    connections are ended, the schema is dropped, and the test fails naming what they ran."""
    with admin.connect() as conn:
        conn.execute(text("SET lock_timeout = '15s'"))
        try:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            return
        except OperationalError:
            holders = conn.execute(_HOLDERS, {"schema": schema}).all()
            for holder in holders:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder.pid})
            conn.execute(text("SET lock_timeout = 0"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    raise AssertionError(
        "the test left database connections inside a transaction (ended now): "
        + "; ".join(f"pid {h.pid} {h.state}: {h.query}" for h in holders))
