"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is
set), settings pointing at it, and small factories for agencies, users and accounts.

Each test gets its own SQLite file or its own PostgreSQL schema, dropped afterwards, so tests
never see each other's rows and can run their own worker processes against the same database.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.models import Base
from tenfour.config import Settings, load_settings

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """scrypt at production cost makes each test user take ~75 ms; tests need no such cost
    (the cost is stored in each hash, so verification follows whatever was used)."""
    monkeypatch.setattr("content_queue.passwords._N", 2**8)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tenfour-test.db'}"
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


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    Base.metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.engine.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    base = load_settings({
        "TENFOUR_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret-" + secrets.token_hex(8),
        "TENFOUR_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TENFOUR_TESTING": "1",
    })
    return replace(base, scheduler_tick_seconds=0.1)


@pytest.fixture
def cipher(settings: Settings) -> CredentialCipher:
    return CredentialCipher(settings.encryption_keys)


class Factory:
    """Builds the rows a test needs, committed, so other processes can see them."""

    def __init__(self, db: Database, cipher: CredentialCipher) -> None:
        self.db = db
        self.cipher = cipher
        self.password = "correct horse battery"

    def agency(self, tz: str = "America/Chicago"):
        from content_queue.users import get_or_create_agency

        with self.db.session_scope() as s:
            return get_or_create_agency(s, "Metro 911", tz, utcnow())

    def user(self, role: str = "admin", email: str | None = None):
        from content_queue.users import create_user

        agency = self.agency()
        with self.db.session_scope() as s:
            return create_user(s, agency_id=agency.id, email=email or f"{role}-{secrets.token_hex(3)}@metro911.gov",
                               role=role, password=self.password, now=utcnow())

    def token(self, user) -> str:
        from content_queue.models import User
        from content_queue.users import create_api_token

        with self.db.session_scope() as s:
            return create_api_token(s, s.get(User, user.id), now=utcnow(), name="test")

    def account(self, platform: str = "sandbox", handle: str | None = None,
                credentials: dict | None = None, api_base_url: str | None = None):
        from content_queue.accounts import add_account
        from content_queue.models import User

        admin = self.user("admin")
        with self.db.session_scope() as s:
            return add_account(s, self.cipher, actor=s.get(User, admin.id), platform=platform,
                               handle=handle or f"metro911_{secrets.token_hex(3)}",
                               credentials=credentials or {"access_token": "sandbox-token"},
                               api_base_url=api_base_url, now=utcnow())


@pytest.fixture
def factory(db: Database, cipher: CredentialCipher) -> Factory:
    return Factory(db, cipher)
