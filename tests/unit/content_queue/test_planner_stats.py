"""SQLite's planner statistics follow the tables' growth (content_queue.planner_stats): without
them, a page's look-up of posts by id went through the agency index and read every post of the
agency; with them, it takes the primary key."""

from __future__ import annotations

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
    if db.engine.dialect.name != "sqlite":
        assert PlannerStatistics(db).refresh() is None  # PostgreSQL analyses on its own
        return
    monkeypatch.setattr(planner_stats, "MIN_NEW_ROWS", 100)
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
