"""One scheduler tick: expire what waited too long for approval, claim what is due, hand it on.

Claim, commit, then enqueue: the claim moves due targets to ``publishing`` in one conditional
``UPDATE … RETURNING`` (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a ``BEGIN IMMEDIATE``
write transaction on SQLite), the caller's transaction commits, and only then are ids handed to
``enqueue``. If enqueueing fails after the commit the targets stay in ``publishing`` with no
attempt stamp, and :func:`find_stuck` hands them on again later; a task delivered twice is
harmless because the worker stamps its attempt first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Sequence

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from content_queue.db import Database
from content_queue.models import AuditEvent, PostTarget
from content_queue.states import Status

Enqueue = Callable[[Sequence[int]], None]


@dataclass
class TickResult:
    claimed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)


def _audit_many(session: Session, ids: Sequence[int], action: str, now: datetime,
                details: dict) -> None:
    session.add_all(
        AuditEvent(actor_id=None, action=action, entity_type="post_target", entity_id=i,
                   details=details, created_at=now)
        for i in ids
    )


def expire_unapproved(session: Session, now: datetime) -> list[int]:
    """A post still awaiting approval at its time is never published late without re-approval."""
    ids = list(session.scalars(
        update(PostTarget)
        .where(PostTarget.status == Status.AWAITING_APPROVAL.value, PostTarget.scheduled_at <= now)
        .values(status=Status.EXPIRED.value, updated_at=now,
                last_error="Not approved before its time; reschedule and approve it again.",
                error_code="expired")
        .returning(PostTarget.id)
    ))
    _audit_many(session, ids, "target.expired", now,
                {"from": Status.AWAITING_APPROVAL.value, "to": Status.EXPIRED.value})
    return ids


def claim_due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Atomically move up to ``limit`` due scheduled targets to ``publishing``."""
    due = (
        select(PostTarget.id)
        .where(PostTarget.status == Status.SCHEDULED.value, PostTarget.next_attempt_at <= now)
        .order_by(PostTarget.next_attempt_at, PostTarget.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    ids = list(session.scalars(
        update(PostTarget)
        .where(PostTarget.id.in_(due), PostTarget.status == Status.SCHEDULED.value)
        .values(status=Status.PUBLISHING.value, claimed_at=now, attempt_started_at=None,
                attempts=PostTarget.attempts + 1, updated_at=now)
        .returning(PostTarget.id)
    ))
    _audit_many(session, ids, "target.publishing", now,
                {"from": Status.SCHEDULED.value, "to": Status.PUBLISHING.value})
    return sorted(ids)


def find_stuck(session: Session, now: datetime, *, unsent_after: timedelta,
               running_after: timedelta) -> list[int]:
    """Targets in ``publishing`` whose task was lost.

    Never started after ``unsent_after`` (the enqueue failed, or the message was lost), or
    started but unfinished after ``running_after`` (the worker died mid-call; the task will
    reconcile with the platform before posting again).
    """
    return list(session.scalars(
        select(PostTarget.id).where(
            PostTarget.status == Status.PUBLISHING.value,
            or_(
                and_(PostTarget.attempt_started_at.is_(None),
                     PostTarget.claimed_at <= now - unsent_after),
                PostTarget.attempt_started_at <= now - running_after,
            ),
        ).order_by(PostTarget.id)
    ))


def anything_due(session: Session, now: datetime) -> bool:
    """A cheap read (the status/time index serves it) that lets most ticks skip the
    write transaction: on SQLite a write takes the database's single write lock."""
    due = or_(
        and_(PostTarget.status == Status.SCHEDULED.value, PostTarget.next_attempt_at <= now),
        and_(PostTarget.status == Status.AWAITING_APPROVAL.value, PostTarget.scheduled_at <= now),
    )
    return session.scalar(select(PostTarget.id).where(due).limit(1)) is not None


def tick(db: Database, now: datetime, enqueue: Enqueue, *, limit: int = 500) -> TickResult:
    """Expire, claim and commit; then enqueue what was claimed."""
    result = TickResult()
    with db.session_scope(write=False) as session:
        if not anything_due(session, now):
            return result
    with db.session_scope(write=True) as session:
        result.expired = expire_unapproved(session, now)
        result.claimed = claim_due(session, now, limit)
    if result.claimed:
        enqueue(result.claimed)
    return result
