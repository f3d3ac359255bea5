"""Reading the queue: listing, counting, and the one word that sums up a post's targets.

These return model objects and plain values; the API's JSON shapes are built from them in
``web/api/shapes.py``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from content_queue.errors import ValidationFailed
from content_queue.models import Post, PostTarget, User
from content_queue.states import Status


def list_posts(session: Session, actor: User, *, status: str | None = None, page: int = 1,
               per_page: int = 50) -> tuple[list[Post], int]:
    """Posts newest-scheduled first; ``status`` keeps posts with at least one such target."""
    query = select(Post).where(Post.agency_id == actor.agency_id)
    if status:
        try:
            Status(status)
        except ValueError:
            raise ValidationFailed(
                f"Unknown status {status!r}; use one of {', '.join(s.value for s in Status)}.",
                code="unknown_status", fields={"status": "Unknown status."},
            ) from None
        query = query.where(
            Post.id.in_(select(PostTarget.post_id).where(PostTarget.status == status))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    first_time = (
        select(func.min(PostTarget.scheduled_at)).where(PostTarget.post_id == Post.id)
        .correlate(Post).scalar_subquery()
    )
    page = max(page, 1)
    rows = session.scalars(
        query.options(selectinload(Post.targets).selectinload(PostTarget.account))
        .order_by(first_time.desc(), Post.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def status_counts(session: Session, agency_id: int) -> dict[str, int]:
    rows = session.execute(
        select(PostTarget.status, func.count())
        .join(Post, Post.id == PostTarget.post_id)
        .where(Post.agency_id == agency_id)
        .group_by(PostTarget.status)
    ).all()
    counts = {s.value: 0 for s in Status}
    counts.update({status: n for status, n in rows})
    return counts


def post_status(post: Post) -> str:
    """One word for a post with several targets: the least advanced state wins."""
    order = [Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED, Status.PUBLISHING,
             Status.FAILED, Status.EXPIRED, Status.PUBLISHED, Status.CANCELED]
    present = {Status(t.status) for t in post.targets}
    if present == {Status.PUBLISHED, Status.CANCELED}:
        return Status.PUBLISHED.value
    for status in order:
        if status in present:
            return status.value
    return Status.DRAFT.value
