"""Domain unit tests run on a real database, inside one transaction per test that is rolled back.

The schema is created once per backend per run (SQLite always, PostgreSQL too when
``TEST_DATABASE_URL`` is set). Each test then works on one connection inside an outer
transaction, and its session joins that transaction with ``join_transaction_mode=
"create_savepoint"``: code under test that commits or rolls back only ends a SAVEPOINT, and the
outer rollback at the end of the test removes everything it wrote. No test pays for creating
tables, and no test sees another's rows.

On SQLite this relies on the engine :func:`content_queue.db.make_engine` builds: it takes
transaction control away from pysqlite (``isolation_level = None`` and an explicit ``BEGIN``),
without which pysqlite mishandles SAVEPOINT.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from content_queue.db import make_engine
from content_queue.lengths import watch_text_lengths
from content_queue.models import Agency, Base, Post, PostTarget, SocialAccount, User
from content_queue.states import Status
from tests.databases import BACKENDS, scratch_database_url

#: A fixed "now" for the domain tests: a Sunday in April, no DST change near it.
NOW = datetime(2027, 4, 11, 14, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session", params=BACKENDS)
def unit_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One engine and one schema per backend for the whole run."""
    directory = tmp_path_factory.mktemp(f"unit-{request.param}")
    with scratch_database_url(request.param, directory) as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def rolled_back_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back when the block ends."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


def joined_session(connection: Connection) -> Session:
    """A session whose commits and rollbacks end SAVEPOINTs inside ``connection``'s transaction
    (``expire_on_commit=False`` and the length check, as in :class:`content_queue.db.Database`)."""
    joined = Session(bind=connection, join_transaction_mode="create_savepoint",
                     expire_on_commit=False)
    watch_text_lengths(joined)
    return joined


@pytest.fixture
def connection(unit_engine: Engine) -> Iterator[Connection]:
    """The test's connection, inside an outer transaction that is always rolled back."""
    with rolled_back_connection(unit_engine) as conn:
        yield conn


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """The session a test hands to the code under test, as a caller would."""
    joined = joined_session(connection)
    try:
        yield joined
    finally:
        joined.close()


class RolledBackDatabase:
    """What :class:`content_queue.db.Database` offers (``engine``, ``session_scope``), on the
    test's connection, for code that opens its own transactions (``scheduler.tick``).

    Each scope is a SAVEPOINT: what it commits is visible for the rest of the test, then gone.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.engine = connection.engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session_scope(self, *, write: bool = True) -> Iterator[Session]:
        scoped = joined_session(self.connection)
        try:
            yield scoped
            scoped.commit()
        except BaseException:
            scoped.rollback()
            raise
        finally:
            scoped.close()


@pytest.fixture
def rolled_back_db(connection: Connection) -> RolledBackDatabase:
    return RolledBackDatabase(connection)


class Make:
    """Rows a test needs, added and flushed in the test's transaction (never committed).

    Rows are built directly, not through the verbs under test, so a broken verb cannot make
    the setup of another verb's test pass or fail.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._numbers = itertools.count(1)
        self._agency: Agency | None = None

    def _add(self, row):
        self.session.add(row)
        self.session.flush()
        return row

    def agency(self, *, tz: str = "America/Chicago", new: bool = False) -> Agency:
        """The test's agency (one per test), or with ``new=True`` another one."""
        if self._agency is not None and not new:
            return self._agency
        agency = self._add(Agency(name=f"Agency {next(self._numbers)}", timezone=tz,
                                  created_at=NOW,
                                  footer_enabled=False))  # issue 10 guard: tests opt in
        if not new:
            self._agency = agency
        return agency

    def user(self, role: str = "pio", *, agency: Agency | None = None) -> User:
        n = next(self._numbers)
        return self._add(User(agency_id=(agency or self.agency()).id,
                              email=f"{role}-{n}@metro911.gov", display_name=f"{role} {n}",
                              password_hash="not-used-by-unit-tests", role=role, active=True,
                              created_at=NOW))

    def account(self, platform: str = "sandbox", *, agency: Agency | None = None,
                status: str = "active") -> SocialAccount:
        n = next(self._numbers)
        return self._add(SocialAccount(agency_id=(agency or self.agency()).id, platform=platform,
                                       handle=f"metro911_{n}", display_name=f"Metro 911 {n}",
                                       credentials_encrypted="not-a-real-token", status=status,
                                       created_at=NOW, updated_at=NOW))

    def post(self, *, author: User, accounts: list[SocialAccount], status: Status | str,
             at: datetime = NOW + timedelta(hours=1), text: str = "Stay warm tonight.",
             **target_values) -> Post:
        """A post whose targets are already in ``status``, for testing verbs from that state."""
        post = self._add(Post(agency_id=author.agency_id, author_id=author.id, text=text,
                              first_scheduled_at=target_values.get("scheduled_at", at),
                              created_at=NOW, updated_at=NOW))
        columns = {"scheduled_at": at, "next_attempt_at": at, "attempts": 0,
                   "created_at": NOW, "updated_at": NOW, **target_values}
        for account in accounts:
            self.session.add(PostTarget(post_id=post.id, account_id=account.id,
                                        status=Status(status).value, **columns))
        self.session.flush()
        self.session.refresh(post)
        return post


@pytest.fixture
def make(session: Session) -> Make:
    return Make(session)
