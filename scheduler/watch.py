"""Is the claim keeping up? Due targets still ``scheduled`` long after their time mean the
scheduler has stopped claiming (stopped, crashing on every tick, or locked out): the claim takes
the oldest first, so while it runs nothing stays overdue for minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.models import Post, PostTarget
from content_queue.states import Status


def overdue_by_agency(session: Session, now: datetime, *,
                      older_than: timedelta) -> list[tuple[int, datetime, int]]:
    """(agency_id, oldest due instant, how many) for targets due before ``now - older_than``
    that nobody claimed (the due index serves the range)."""
    rows = session.execute(
        select(Post.agency_id, func.min(PostTarget.next_attempt_at), func.count())
        .join(Post, Post.id == PostTarget.post_id)
        .where(PostTarget.status == Status.SCHEDULED.value,
               PostTarget.next_attempt_at <= now - older_than)
        .group_by(Post.agency_id).order_by(Post.agency_id))
    return [(agency_id, oldest, count) for agency_id, oldest, count in rows]
