"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is
set), settings pointing at it, and small factories for agencies, users and accounts.

Each test gets its own SQLite file or its own PostgreSQL schema, dropped afterwards, so tests
never see each other's rows and can run their own worker processes against the same database.
(Domain unit tests use the faster rolled-back transaction of tests/unit/conftest.py instead.)
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.models import Base
from tenfour.config import Settings
from tests.databases import BACKENDS, scratch_database_url
from tests.settings import make_test_settings


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """scrypt at production cost makes each test user take ~75 ms; tests need no such cost
    (the cost is stored in each hash, so verification follows whatever was used)."""
    monkeypatch.setattr("content_queue.passwords._N", 2**8)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    with scratch_database_url(request.param, tmp_path) as url:
        yield url


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
    return make_test_settings(db_url, tmp_path / "instance")


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

        from sqlalchemy import select

        from content_queue.models import Agency

        with self.db.session_scope() as s:
            existed = s.scalars(select(Agency.id).limit(1)).first() is not None
            agency = get_or_create_agency(s, "Metro 911", tz, utcnow())
            if not existed:  # issue 10 guard: the footer changes published texts; the tests
                agency.footer_enabled = False  # of the footer switch it on themselves
            return agency

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
