"""The dashboard tiles count each status exactly (content_queue.reading.status_counts), also
where SQLite's published figure is the table's total less the other statuses."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from content_queue.agencies import scope_session
from content_queue.models import Post, PostTarget
from content_queue.reading import status_counts
from content_queue.states import Status

MIX = {"published": 7, "scheduled": 5, "failed": 3, "canceled": 2, "held": 1, "expired": 1}


def test_each_status_is_counted_exactly(db, factory):
    admin = factory.user("admin")
    account = factory.account()
    when = datetime(2026, 4, 12, 14, 0, tzinfo=timezone.utc)
    statuses = [status for status, n in MIX.items() for _ in range(n)]
    with db.session_scope() as s:
        post_ids = list(s.scalars(insert(Post).returning(Post.id), [
            {"agency_id": admin.agency_id, "author_id": admin.id, "text": f"Post {i}",
             "created_at": when, "updated_at": when} for i in range(len(statuses))]))
        s.execute(insert(PostTarget), [
            {"post_id": pid, "account_id": account.id, "status": status,
             "scheduled_at": when + timedelta(minutes=i), "next_attempt_at": when,
             "created_at": when, "updated_at": when}
            for i, (pid, status) in enumerate(zip(post_ids, statuses))])
    with db.session_scope(write=False) as s:
        scope_session(s, admin.agency_id)
        counts = status_counts(s, admin.agency_id)
        stored = Counter(s.scalars(select(PostTarget.status)))
    assert stored == Counter(statuses)
    assert counts == {status.value: stored.get(status.value, 0) for status in Status}
