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
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
