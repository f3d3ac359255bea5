"""Reading the queue: listing, counting and the JSON shapes of posts and their targets (the
API's contract: field names here are what users' scripts read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from content_queue.errors import ValidationFailed
from content_queue.media import media_to_dict
from content_queue.models import Post, PostTarget, User
from content_queue.platforms import RULES
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def target_to_dict(target: PostTarget) -> dict[str, Any]:
    return {
        "id": target.id,
        "account_id": target.account_id,
        "platform": target.account.platform,
        "handle": target.account.handle,
        "status": target.status,
        "scheduled_at": _iso(target.scheduled_at),
        "next_attempt_at": _iso(target.next_attempt_at),
        "attempts": target.attempts,
        "published_at": _iso(target.published_at),
        "platform_post_id": target.platform_post_id,
        "permalink": target.permalink,
        "error": target.last_error,
        "error_code": target.error_code,
    }


def post_to_dict(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "text": post.text,
        "status": post_status(post),
        "author_id": post.author_id,
        "campaign_id": post.campaign_id,
        "approved_by_id": post.approved_by_id,
        "media": [media_to_dict(m) for m in post.media],
        "created_at": _iso(post.created_at),
        "updated_at": _iso(post.updated_at),
        "targets": [target_to_dict(t) for t in post.targets],
    }


def platform_limits() -> dict[str, dict[str, Any]]:
    """What the compose page needs to count and warn as the PIO types."""
    return {
        name: {"label": r.label, "max_chars": r.max_chars, "counting": r.counting_note,
               "max_images": r.max_images}
        for name, r in RULES.items()
    }
