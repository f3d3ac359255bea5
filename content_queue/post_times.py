"""A post's first time, stored on the post: the queue is listed newest-first off an index.

``posts.first_scheduled_at`` is the earliest ``scheduled_at`` of the post's targets. Ordering by
a ``min()`` over the targets made every page scan and sort every post; this column lets the
``(agency_id, first_scheduled_at, id)`` index serve the page directly. Every verb that sets a
target's ``scheduled_at`` calls one of the two functions below in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from content_queue.models import Post, PostTarget


def sync_post_time(post: Post) -> None:
    """Recompute from the targets already loaded on ``post`` (no query)."""
    times = [t.scheduled_at for t in post.targets if t.scheduled_at is not None]
    post.first_scheduled_at = min(times) if times else None


def sync_post_times(session: Session, post_ids: Iterable[int]) -> None:
    """Recompute in one statement, for verbs that move many targets with a bulk UPDATE."""
    ids = sorted(set(post_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        first = (select(func.min(PostTarget.scheduled_at))
                 .where(PostTarget.post_id == Post.id).scalar_subquery())
        session.execute(update(Post).where(Post.id.in_(chunk)).values(first_scheduled_at=first)
                        .execution_options(synchronize_session="fetch"))
