"""API token uses are noted in memory, at most once a minute per token, and saved by a flush
that never raises: a busy database keeps the uses for the next flush."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import OperationalError

from web.common.token_use import TokenUseLog

NOW = datetime(2027, 4, 11, 14, 0, tzinfo=timezone.utc)


class FlakyDatabase:
    """A database whose first ``locked`` writes fail the way SQLite does while another process
    writes; later ones record the uses they were given."""

    def __init__(self, locked: int = 0) -> None:
        self.locked = locked
        self.attempts = 0
        self.saved: list[dict] = []

    @contextmanager
    def session_scope(self, *, write: bool = True):
        self.attempts += 1
        if self.attempts <= self.locked:
            raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked"))
        yield self


@pytest.fixture
def make_log(monkeypatch):
    """TokenUseLogs saving into FlakyDatabase.saved; whatever they hold is flushed at the end."""
    monkeypatch.setattr("web.common.token_use.record_token_uses",
                        lambda db, uses: db.saved.append(dict(uses)))
    made: list[TokenUseLog] = []

    def _make(db: FlakyDatabase) -> TokenUseLog:
        made.append(TokenUseLog(db, interval=3600))
        return made[-1]

    yield _make
    for log in made:
        log.db.locked = 0
        log.flush()


def test_a_token_is_noted_at_most_once_a_minute(make_log) -> None:
    uses = make_log(FlakyDatabase())
    uses.note(1, NOW, saved=None)
    uses.note(1, NOW + timedelta(seconds=30), saved=None)
    assert uses.pending() == {1: NOW}
    uses.note(1, NOW + timedelta(seconds=61), saved=None)
    assert uses.pending() == {1: NOW + timedelta(seconds=61)}


def test_a_token_stamped_recently_in_the_database_is_not_noted_again(make_log) -> None:
    uses = make_log(FlakyDatabase())
    uses.note(7, NOW, saved=NOW - timedelta(seconds=10))
    assert uses.pending() == {}


def test_a_flush_that_finds_the_database_locked_keeps_the_uses_for_the_next(make_log) -> None:
    db = FlakyDatabase(locked=1)
    uses = make_log(db)
    uses.note(1, NOW, saved=None)
    assert uses.flush() is True  # did not raise
    assert uses.pending() == {1: NOW} and db.saved == []
    uses.note(2, NOW, saved=None)
    uses.flush()
    assert db.saved == [{1: NOW, 2: NOW}] and uses.pending() == {}


def test_an_empty_flush_touches_no_database(make_log) -> None:
    db = FlakyDatabase()
    assert make_log(db).flush() is False
    assert db.attempts == 0
