"""The one way a target's status changes in the database.

:func:`transition` issues a single conditional ``UPDATE … WHERE id = :id AND status = :from`` so
two processes can never both move the same target (the loser sees
:class:`~content_queue.states.TransitionConflict` and re-reads), and records an
:class:`AuditEvent` in the same transaction. Which moves are allowed is the pure table in
:mod:`content_queue.states`; this module only applies it to rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import case, insert, literal, update
from sqlalchemy.orm import Session

from content_queue.approval_rules import check_schedulable
from content_queue.models import AuditEvent, PostTarget
from content_queue.notifications import TARGET_STATUS_EVENTS, notify_target
from content_queue.states import Status, TransitionConflict, check_transition


def transition(
    session: Session,
    target_row: PostTarget,
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
    current = Status(target_row.status)
    to = check_transition(current, to)
    if to == Status.SCHEDULED:  # issue 8 approvals: every way into scheduled passes the rule
        check_schedulable(target_row, current, now=now,
                          scheduled_at=(values or {}).get("scheduled_at"),
                          next_attempt_at=(values or {}).get("next_attempt_at"))
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
    if to.value in TARGET_STATUS_EVENTS:  # failed, unconfirmed, held: never silent
        notify_target(session, target_row, now=now)


#: Targets one UPDATE of :func:`transition_many` moves (a CASE arm per target and column).
MOVES_PER_STATEMENT = 100


_TARGETS = PostTarget.__table__


def _per_row(key: str, values: dict[int, Any], rows: int):
    """One column's new value for each row: ``CASE id WHEN … THEN … ELSE <column> END``,
    bound with the column's type (UTC datetimes stored as the column stores them), or the
    value itself when every row of the statement gets the same one (``last_error = NULL``).
    Built on the table's columns: the ORM attributes' annotations cost more than the write."""
    column = _TARGETS.c[key]
    first = next(iter(values.values()))
    if len(values) == rows and all(value == first for value in values.values()):
        return literal(first, column.type)
    return case({target_id: literal(value, column.type) for target_id, value in values.items()},
                value=_TARGETS.c.id, else_=column)


def transition_many(
    session: Session,
    moves: Sequence[tuple[int, dict[str, Any], dict[str, Any]]],
    current: Status,
    to: Status,
    *,
    now: datetime,
) -> list[int]:
    """Move many targets from ``current`` to ``to`` in the caller's transaction: one
    conditional ``UPDATE … RETURNING id`` for up to ``MOVES_PER_STATEMENT`` of the
    ``(target_id, values, details)`` (each column set per row with a ``CASE`` on the id) and
    one multi-row audit insert. Returns the ids moved; a target that is no longer ``current``
    is skipped (no error).

    For moves that need nothing per row beyond their columns: not into ``scheduled`` (the
    approval rule reads each target) nor into a status that notifies (use :func:`transition`).
    """
    to = check_transition(current, to)
    if to == Status.SCHEDULED or to.value in TARGET_STATUS_EVENTS:
        raise ValueError(f"move targets to {to.value} one by one with transition()")
    latest = {int(target_id): (values, details) for target_id, values, details in moves}
    ids = list(latest)
    moved_ids: set[int] = set()
    for start in range(0, len(ids), MOVES_PER_STATEMENT):
        part = ids[start:start + MOVES_PER_STATEMENT]
        columns = sorted({key for i in part for key in latest[i][0]})
        sets = {key: _per_row(key, {i: latest[i][0][key] for i in part if key in latest[i][0]},
                              len(part))
                for key in columns}
        moved_ids.update(session.scalars(
            update(PostTarget)
            .where(PostTarget.id.in_(part), PostTarget.status == current.value)
            .values(status=to.value, updated_at=now, **sets)
            .returning(PostTarget.id)
            .execution_options(synchronize_session=False)))
    moved = [(i, {"from": current.value, "to": to.value, **latest[i][1]})
             for i in ids if i in moved_ids]
    audit_targets(session, moved, f"target.{to.value}", now)
    return [target_id for target_id, _ in moved]


def audit_targets(session: Session, entries: Sequence[tuple[int, dict[str, Any]]],
                  action: str, now: datetime) -> None:
    """One multi-row audit INSERT for ``(target_id, details)`` pairs moved by the system (no
    actor), instead of flushing one object per target."""
    if entries:
        session.execute(insert(AuditEvent.__table__), [  # Core: no ORM bulk step
            {"actor_id": None, "action": action, "entity_type": "post_target",
             "entity_id": int(target_id), "details": details, "created_at": now}
            for target_id, details in entries])
