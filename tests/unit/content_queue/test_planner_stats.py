"""SQLite's planner statistics follow the tables' growth (content_queue.planner_stats): without
them, a page's look-up of posts by id went through the agency index and read every post of the
agency; with them, it takes the primary key."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import insert, select, text

from content_queue import planner_stats
from content_queue.models import Agency, Post, User
from content_queue.planner_stats import PlannerStatistics


def _add_posts(db, count: int) -> None:
    now = datetime(2026, 4, 12, 14, 0, tzinfo=timezone.utc)
    with db.session_scope() as s:
        agency_id = s.scalars(select(Agency.id)).first()
        author_id = s.scalars(select(User.id)).first()
        s.execute(insert(Post), [{"agency_id": agency_id, "author_id": author_id,
                                  "text": f"Thank you, dispatchers {i}", "created_at": now,
                                  "updated_at": now} for i in range(count)])


def _plan(db) -> str:
    with db.session_scope(write=False) as s:
        rows = s.execute(text("EXPLAIN QUERY PLAN SELECT posts.id FROM posts "
                              "WHERE posts.id IN (1, 2, 3, 4, 5) AND posts.agency_id = 1")).all()
    return " ".join(str(row[-1]) for row in rows)


def test_statistics_are_taken_at_start_and_again_once_a_table_has_doubled(db, factory,
                                                                         monkeypatch):
    monkeypatch.setattr(planner_stats, "MIN_NEW_ROWS", 100)
    if db.engine.dialect.name != "sqlite":
        _postgresql(db, factory)
        return
    factory.user("admin")
    _add_posts(db, 300)
    assert "ix_posts_agency" in _plan(db)  # no statistics: the agency index, every post read
    stats = PlannerStatistics(db)
    assert stats.refresh() == []  # the first call analyses
    assert "PRIMARY KEY" in _plan(db)
    assert stats.refresh() is None  # nothing has grown
    _add_posts(db, 100)  # 300 -> 400: not doubled
    assert stats.refresh() is None
    _add_posts(db, 300)  # 700 >= 2 x 300
    assert "posts" in stats.refresh()


def _postgresql(db, factory) -> None:
    """PostgreSQL: a table is analysed once its live rows are twice what the last analysis
    counted (the statistics view counts them, flushed within about a second)."""
    factory.user("admin")
    stats = PlannerStatistics(db)
    _add_posts(db, 300)
    deadline = time.monotonic() + 10
    grown = stats.refresh()
    while grown is None and time.monotonic() < deadline:
        time.sleep(0.2)
        grown = stats.refresh()
    assert grown is not None and "posts" in grown
    with db.session_scope(write=False) as s:
        analysed = s.execute(text("SELECT last_analyze IS NOT NULL, n_mod_since_analyze "
                                  "FROM pg_stat_user_tables WHERE relname = 'posts' "
                                  "AND schemaname = current_schema()")).one()
    assert analysed == (True, 0)
    again = stats.refresh()
    assert again is None or "posts" not in again  # analysed: nothing new to count
