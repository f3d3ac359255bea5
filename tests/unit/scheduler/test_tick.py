"""The scheduler's decisions on a real database: what is due is claimed once, what waited too
long for approval expires, lost tasks are found, and idle ticks write nothing.

Most tests run in the rolled-back test transaction. The two that are about transactions
themselves (two schedulers racing on separate connections; an idle tick opening no write
transaction) use a database of their own (the ``db`` fixture), where commits are real.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, select, update

from content_queue.models import AuditEvent, PostTarget, User
from content_queue.services import queue_post
from scheduler import claim_due, expire_unapproved, find_stuck, tick

NOW = datetime.now(timezone.utc)


def _targets(db, author_id: int, account_id: int, n: int, *,
             at: datetime | None = None) -> list[int]:
    ids = []
    with db.session_scope() as s:
        for i in range(n):
            post = queue_post(s, actor=s.get(User, author_id), text=f"post {i}",
                              account_ids=[account_id], scheduled_at=at or NOW + timedelta(minutes=5),
                              now=NOW)
            ids.append(post.targets[0].id)
    return ids


def _made(make, db, n: int, *, role: str = "admin", at: datetime | None = None) -> list[int]:
    """``n`` queued posts in the rolled-back transaction."""
    return _targets(db, make.user(role).id, make.account().id, n, at=at)


def _committed(db, factory, n: int, *, role: str = "admin") -> list[int]:
    """``n`` queued posts, committed to the test's own database."""
    return _targets(db, factory.user(role).id, factory.account().id, n)


def _status(db, target_id: int) -> str:
    with db.session_scope(write=False) as s:
        return s.get(PostTarget, target_id).status


def test_only_due_targets_are_claimed_and_only_once(rolled_back_db, make) -> None:
    db = rolled_back_db
    due = _made(make, db, 3)
    later = _made(make, db, 1, at=NOW + timedelta(hours=2))
    sent: list[list[int]] = []

    first = tick(db, NOW + timedelta(minutes=6), sent.append)
    second = tick(db, NOW + timedelta(minutes=6), sent.append)

    assert first.claimed == sorted(due) and second.claimed == []
    assert sent == [sorted(due)]
    assert _status(db, later[0]) == "scheduled"
    assert all(_status(db, t) == "publishing" for t in due)


def test_two_schedulers_claiming_at_once_share_the_work_without_overlap(db, factory) -> None:
    _committed(db, factory, 40)
    results: list[list[int]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        with db.session_scope(write=True) as s:
            results.append(claim_due(s, NOW + timedelta(minutes=6), limit=25))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = results
    assert not set(a) & set(b)
    assert len(a) + len(b) == 40


def test_awaiting_approval_at_its_time_expires_instead_of_publishing(rolled_back_db, make) -> None:
    db = rolled_back_db
    [target] = _made(make, db, 1, role="pio")
    sent: list = []
    result = tick(db, NOW + timedelta(minutes=6), sent.append)
    assert result.expired == [target] and sent == []
    assert _status(db, target) == "expired"


def test_a_post_not_approved_by_its_time_expires_with_a_reason_and_nothing_else_does(
        session, make) -> None:
    pio = make.user("pio")
    at = NOW + timedelta(minutes=5)
    overdue = make.post(author=pio, accounts=[make.account()], status="awaiting_approval", at=at)
    not_yet = make.post(author=pio, accounts=[make.account()], status="awaiting_approval",
                        at=at + timedelta(minutes=1))
    scheduled = make.post(author=pio, accounts=[make.account()], status="scheduled", at=at)
    [target] = overdue.targets

    assert expire_unapproved(session, at) == [target.id]
    session.flush()
    session.expire_all()

    assert target.status == "expired"
    assert (target.error_code, target.last_error) == \
        ("expired", "Not approved before its time; reschedule and approve it again.")
    assert not_yet.targets[0].status == "awaiting_approval"
    assert scheduled.targets[0].status == "scheduled"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "target.expired")).one()
    assert (event.entity_id, event.actor_id) == (target.id, None)
    assert event.details == {"from": "awaiting_approval", "to": "expired"}


def test_an_idle_tick_opens_no_write_transaction(db, factory) -> None:
    _committed(db, factory, 2)  # scheduled, but not due yet
    statements: list[str] = []
    listener = lambda conn, cur, stmt, *a: statements.append(stmt.split()[0].upper())  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = tick(db, NOW, lambda ids: None)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert result.claimed == [] and result.expired == []
    assert "UPDATE" not in statements and "BEGIN IMMEDIATE" not in " ".join(statements)


def test_lost_tasks_are_found(rolled_back_db, make) -> None:
    db = rolled_back_db
    never_sent, died = _made(make, db, 2)
    with db.session_scope() as s:
        s.execute(update(PostTarget).where(PostTarget.id == never_sent)
                  .values(status="publishing", claimed_at=NOW - timedelta(minutes=5)))
        s.execute(update(PostTarget).where(PostTarget.id == died)
                  .values(status="publishing", claimed_at=NOW - timedelta(minutes=20),
                          attempt_started_at=NOW - timedelta(minutes=10)))
    with db.session_scope(write=False) as s:
        assert find_stuck(s, NOW, unsent_after=timedelta(minutes=2),
                          running_after=timedelta(minutes=6)) == sorted([never_sent, died])
        assert find_stuck(s, NOW, unsent_after=timedelta(minutes=10),
                          running_after=timedelta(minutes=15)) == []
        # While the publish queue still holds messages, only a stale attempt counts as lost.
        assert find_stuck(s, NOW, unsent_after=timedelta(minutes=2),
                          running_after=timedelta(minutes=6), unsent=False) == [died]
