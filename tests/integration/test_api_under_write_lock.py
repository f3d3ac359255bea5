"""A GET never writes, and every write waits for SQLite's lock: while another process holds the
write lock, API reads answer at once and writes wait for it and succeed; an API token's use is
saved afterwards, off the request path."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from content_queue.db import Database
from content_queue.models import ApiToken, Base, Post
from tests.integration.helpers import wait_until
from web import create_app
from web.common.state import get_state
from web.common.token_use import TokenUseLog

HOLD_SECONDS = 1.0


@pytest.fixture
def sqlite_path(db) -> str:
    if not db.is_sqlite:
        pytest.skip("SQLite's database-wide write lock")
    return make_url(db.url).database


@pytest.fixture
def admin(factory):
    return factory.user("admin")


@pytest.fixture
def token(factory, admin) -> str:
    return factory.token(admin)


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post_body(account_id: int) -> dict:
    return {"text": "Check your smoke alarms this weekend.", "account_ids": [account_id],
            "scheduled_at": (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()}


class HeldLock:
    """Another process's write transaction on the same SQLite file: ``BEGIN IMMEDIATE`` on a
    connection of its own, released after ``seconds`` from a timer thread (or, with no
    ``seconds``, once :meth:`release_after` is called: a test can then do its reads under the
    lock however slow a busy machine makes them)."""

    def __init__(self, path: str, seconds: float | None = None) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE agencies SET name = name")  # a real pending write
        self.timer: threading.Timer | None = None
        if seconds is not None:
            self.release_after(seconds)

    def release_after(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self.release)
        self.timer.start()

    def release(self) -> None:
        self.conn.execute("COMMIT")

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer.join()
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()


def assert_lock_taken(path: str) -> None:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
    finally:
        probe.close()


def _last_used(db, token_id: int | None = None):
    with db.session_scope(write=False) as s:
        return s.scalars(select(ApiToken.last_used_at)).one()


def test_reads_answer_and_writes_wait_while_another_process_holds_the_write_lock(
        client, db, factory, sqlite_path, token):
    account = factory.account("sandbox")
    created = client.post("/api/v1/posts", json=_post_body(account.id), headers=_headers(token))
    assert created.status_code == 201
    post_id = created.get_json()["id"]
    # A fresh token, never used: its first use is what used to write inside a GET.
    fresh = factory.token(factory.user("viewer"))
    held = HeldLock(sqlite_path)  # held until the reads are done, however long they take
    try:
        assert_lock_taken(sqlite_path)
        reads = [client.get(path, headers=_headers(who))
                 for who in (fresh, token)
                 for path in (f"/api/v1/posts/{post_id}", "/api/v1/posts?per_page=5",
                              "/api/v1/accounts", "/api/v1/campaigns")]
        assert [r.status_code for r in reads] == [200] * len(reads)
        assert_lock_taken(sqlite_path)  # every read above answered while the lock was held
        held.release_after(HOLD_SECONDS)
        write = client.post("/api/v1/posts", json=_post_body(account.id),
                            headers=_headers(token))
        assert write.status_code == 201, write.get_data(as_text=True)
        assert not held.conn.in_transaction  # the write went through only once it was free
    finally:
        held.close()
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 2


def test_a_write_that_cannot_get_the_lock_in_time_answers_503_and_changes_nothing(
        settings, db, factory, sqlite_path, token):
    account = factory.account("sandbox")
    impatient = Database(db.url, busy_timeout=0.05)
    client = create_app(settings, db=impatient).test_client()
    held = HeldLock(sqlite_path, 60)
    try:
        response = client.post("/api/v1/posts", json=_post_body(account.id),
                               headers=_headers(token))
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "busy"
        assert "try again" in response.get_json()["error"]["message"]
        assert response.headers["Retry-After"]
        assert client.get("/api/v1/posts", headers=_headers(token)).status_code == 200
    finally:
        held.close()
        impatient.engine.dispose()
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 0


def test_session_scope_waits_for_the_write_lock(db, sqlite_path):
    held = HeldLock(sqlite_path, HOLD_SECONDS)
    try:
        with db.session_scope() as s:
            s.execute(Base.metadata.tables["agencies"].update().values(name="Metro 911"))
        assert not held.conn.in_transaction
    finally:
        held.close()


def test_an_api_read_saves_its_token_use_afterwards(app, client, db, token):
    assert _last_used(db) is None
    assert client.get("/api/v1/posts", headers=_headers(token)).status_code == 200
    assert _last_used(db) is None  # not in the request's transaction
    uses = app.extensions["tenfour"].token_uses
    uses.flush()
    first = _last_used(db)
    assert first is not None
    client.get("/api/v1/accounts", headers=_headers(token))
    uses.flush()
    assert _last_used(db) == first  # a minute's precision: not stamped again at once


def test_the_background_flush_saves_token_uses_on_its_own(settings, db, token):
    app = create_app(settings, db=db)
    with app.app_context():
        get_state().token_uses = TokenUseLog(db, interval=0.05)
    client = app.test_client()
    assert client.get("/api/v1/posts", headers=_headers(token)).status_code == 200
    wait_until(lambda: _last_used(db) is not None, message="the token's use to be saved")
