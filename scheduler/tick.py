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
from typing import Callable, Mapping, Sequence

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from content_queue.budgets import DEFAULT_BUDGETS, Budget, defer_over_budget
from content_queue.db import Database
from content_queue.models import PostTarget
from content_queue.pauses import hold_paused_targets, pauses_due_to_resume, resume_due_pauses
from content_queue.states import Status
from content_queue.transitions import audit_targets

Enqueue = Callable[[Sequence[int]], None]


class DueTarget(int):
    """A claimed target's id that also carries the instant it is due.

    The scheduler claims a little ahead (what is due within the next second), so the worker is
    told when to call the platform and waits the last fraction itself. It is an ``int`` so every
    ``enqueue`` that takes plain ids (the reaper's, the tests') keeps working unchanged.
    """

    due_at: datetime
    #: The target's account, so a publish message can bound how many posts of one account
    #: it holds (None: not known, no bound).
    account_id: int | None

    def __new__(cls, target_id: int, due_at: datetime,
                account_id: int | None = None) -> "DueTarget":
        obj = super().__new__(cls, target_id)
        obj.due_at = due_at
        obj.account_id = account_id
        return obj


@dataclass
class TickResult:
    claimed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    #: Due targets held by an incident pause, pauses resumed on their own, targets deferred by
    #: the posting budget (see apply_pauses / apply_budgets).
    held: list[int] = field(default_factory=list)
    resumed_pauses: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)


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
    audit_targets(session, [(i, {"from": Status.AWAITING_APPROVAL.value,
                                 "to": Status.EXPIRED.value}) for i in ids],
                  "target.expired", now)
    return ids


def claim_due(session: Session, now: datetime, limit: int = 500, *,
              horizon: datetime | None = None) -> list[DueTarget]:
    """Atomically move up to ``limit`` scheduled targets due by ``horizon`` to ``publishing``.

    ``horizon`` (default ``now``) lets the scheduler claim a little ahead; each id comes back
    with its due instant so the worker never calls the platform before it. The due ids are
    read first, off the ``(status, next_attempt_at)`` index, then updated by primary key in
    the same write transaction: an ``UPDATE … WHERE id IN (subquery) AND status = ?`` made
    SQLite walk a status index over every scheduled row, however many were in the future. The
    update needs no status condition of its own: on PostgreSQL the rows are locked (``FOR
    UPDATE SKIP LOCKED``, which re-checks the condition on the locked row), on SQLite this
    transaction holds the database's write lock from the read to the update.
    """
    horizon = now if horizon is None else horizon
    due_ids = list(session.scalars(
        select(PostTarget.id)
        .where(PostTarget.status == Status.SCHEDULED.value,
               PostTarget.next_attempt_at <= horizon)
        .order_by(PostTarget.next_attempt_at, PostTarget.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if not due_ids:
        return []
    rows = session.execute(
        update(PostTarget)
        .where(PostTarget.id.in_(due_ids))
        .values(status=Status.PUBLISHING.value, claimed_at=now, attempt_started_at=None,
                attempts=PostTarget.attempts + 1, updated_at=now)
        .returning(PostTarget.id, PostTarget.next_attempt_at, PostTarget.account_id)
    ).all()
    claimed = sorted(DueTarget(target_id, due_at, account_id)
                     for target_id, due_at, account_id in rows)
    audit_targets(session, [(i, {"from": Status.SCHEDULED.value,
                                 "to": Status.PUBLISHING.value}) for i in claimed],
                  "target.publishing", now)
    return claimed


def find_stuck(session: Session, now: datetime, *, unsent_after: timedelta,
               running_after: timedelta, unsent: bool = True) -> list[int]:
    """Targets in ``publishing`` whose task was lost.

    Never started after ``unsent_after`` (the enqueue failed, or the message was lost), or
    started but unfinished after ``running_after`` (the worker died mid-call; the task will
    reconcile with the platform before posting again). ``unsent=False`` looks for the second
    kind only (while the publish queue still holds messages, a target not yet started is most
    likely waiting in it).
    """
    stale_attempt = PostTarget.attempt_started_at <= now - running_after
    never_started = and_(PostTarget.attempt_started_at.is_(None),
                         PostTarget.claimed_at <= now - unsent_after)
    return list(session.scalars(
        select(PostTarget.id).where(
            PostTarget.status == Status.PUBLISHING.value,
            or_(never_started, stale_attempt) if unsent else stale_attempt,
        ).order_by(PostTarget.id)
    ))


def mark_handed_on(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Restart the "unsent" clock of targets the reaper just re-enqueued, so a broker or worker
    outage longer than the threshold re-sends each once per threshold, not once per reap."""
    if ids:
        session.execute(
            update(PostTarget)
            .where(PostTarget.id.in_([int(i) for i in ids]),
                   PostTarget.status == Status.PUBLISHING.value,
                   PostTarget.attempt_started_at.is_(None))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )


def anything_due(session: Session, now: datetime, horizon: datetime | None = None) -> bool:
    """A cheap read that lets most ticks skip the write transaction: on SQLite a write takes
    the database's single write lock. Two one-row probes, each served by its own
    ``(status, time)`` index, whatever the number of future targets."""
    horizon = now if horizon is None else horizon
    probes = (
        and_(PostTarget.status == Status.SCHEDULED.value, PostTarget.next_attempt_at <= horizon),
        and_(PostTarget.status == Status.AWAITING_APPROVAL.value, PostTarget.scheduled_at <= now),
    )
    return any(session.scalar(select(PostTarget.id).where(due).limit(1)) is not None
               for due in probes)


def apply_pauses(session: Session, now: datetime, horizon: datetime,
                 budgets: Mapping[str, Budget], result: TickResult) -> None:
    """Incident pauses, before the claim: resume those whose time has come, then hold what
    is due on paused accounts, so within one tick nothing more goes out."""
    result.resumed_pauses = resume_due_pauses(session, now, budgets)
    result.held = hold_paused_targets(session, now, horizon=horizon)


def apply_budgets(session: Session, now: datetime, horizon: datetime,
                  budgets: Mapping[str, Budget], result: TickResult) -> None:
    """Posting budgets, before the claim: what is over its account's budget waits."""
    result.deferred = defer_over_budget(session, now, budgets, horizon=horizon)


def tick(db: Database, now: datetime, enqueue: Enqueue, *, limit: int = 500,
         lookahead: timedelta = timedelta(0),
         budgets: Mapping[str, Budget] | None = None) -> TickResult:
    """Expire, claim and commit; then enqueue what was claimed.

    ``lookahead`` claims what is due that much ahead of ``now`` (the scheduler uses about a
    second, so a tick's own length adds no lateness); the claimed ids carry their due instants.
    """
    result = TickResult()
    horizon = now + lookahead
    with db.session_scope(write=False) as session:
        if not anything_due(session, now, horizon) and not pauses_due_to_resume(session, now):
            return result
    budgets = DEFAULT_BUDGETS if budgets is None else budgets
    with db.session_scope(write=True) as session:
        result.expired = expire_unapproved(session, now)
        apply_pauses(session, now, horizon, budgets, result)
        apply_budgets(session, now, horizon, budgets, result)
        result.claimed = claim_due(session, now, limit, horizon=horizon)
    if result.claimed:
        enqueue(result.claimed)
    return result
