"""The post-target state machine.

A target's status changes only through :func:`transition`, which issues one conditional
``UPDATE … WHERE id = :id AND status = :from`` so two processes can never both move the same
target (the loser sees :class:`TransitionConflict`), and records an :class:`AuditEvent` in the
same transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session


class Status(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"

    def __str__(self) -> str:
        return self.value


S = Status

#: Every allowed move. ``publishing → scheduled`` is a retry after a temporary platform error
#: (rate limit, outage); ``failed → scheduled`` is a supervisor's manual retry; ``expired →
#: awaiting_approval`` is a resubmission with a fresh time; ``awaiting_approval → draft`` is a
#: rejection sent back to the author.
ALLOWED: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELED}),
    S.AWAITING_APPROVAL: frozenset({S.SCHEDULED, S.DRAFT, S.EXPIRED, S.CANCELED}),
    S.SCHEDULED: frozenset({S.PUBLISHING, S.AWAITING_APPROVAL, S.DRAFT, S.CANCELED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.FAILED, S.SCHEDULED}),
    S.PUBLISHED: frozenset(),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELED}),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELED}),
}

#: States in which a target is finished and will not change on its own.
TERMINAL = frozenset({S.PUBLISHED, S.CANCELED})
#: States a PIO may still edit (text, time, accounts) before publishing starts.
EDITABLE = frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.SCHEDULED, S.EXPIRED, S.FAILED})


class TransitionRefused(Exception):
    """The move is not in :data:`ALLOWED` — a programming or user error, never a race."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"A post that is {current.value.replace('_', ' ')} cannot become "
                         f"{target.value.replace('_', ' ')}.")
        self.current = current
        self.target = target


class TransitionConflict(Exception):
    """Another process changed the target first; re-read it and decide again."""


def can_transition(current: Status | str, target: Status | str) -> bool:
    return Status(target) in ALLOWED[Status(current)]


def transition(
    session: Session,
    target_row: Any,
    to: Status,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Move ``target_row`` (a loaded PostTarget) from its current status to ``to``.

    ``values`` are extra columns set in the same conditional UPDATE (error text, ids, …).
    """
    from content_queue.models import AuditEvent, PostTarget

    current = Status(target_row.status)
    to = Status(to)
    if to not in ALLOWED[current]:
        raise TransitionRefused(current, to)
    changes: dict[str, Any] = {"status": to.value, "updated_at": now}
    changes.update(values or {})
    result = session.execute(
        update(PostTarget)
        .where(PostTarget.id == target_row.id, PostTarget.status == current.value)
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise TransitionConflict(f"target {target_row.id} is no longer {current.value}")
    audit = {"from": current.value, "to": to.value}
    if reason:
        audit["reason"] = reason
    audit.update(details or {})
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=f"target.{to.value}",
            entity_type="post_target",
            entity_id=target_row.id,
            details=audit,
            created_at=now,
        )
    )
    session.flush()
    session.refresh(target_row)
