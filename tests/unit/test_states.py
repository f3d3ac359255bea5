"""The target state machine: every allowed move succeeds, every other one is refused, and a
move that lost a race is reported, not silently applied."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from content_queue.models import AuditEvent, Post, PostTarget
from content_queue.states import (
    ALLOWED,
    Status,
    TransitionConflict,
    TransitionRefused,
    can_transition,
    transition,
)

NOW = datetime(2027, 4, 11, 14, 0, tzinfo=timezone.utc)
PAIRS = list(itertools.product(Status, Status))


def test_the_issue_s_core_path_is_allowed() -> None:
    for a, b in [("draft", "awaiting_approval"), ("awaiting_approval", "scheduled"),
                 ("scheduled", "publishing"), ("publishing", "published"),
                 ("publishing", "failed"), ("awaiting_approval", "expired")]:
        assert can_transition(a, b), (a, b)


def test_canceled_is_reachable_from_every_state_before_publishing_and_never_after() -> None:
    for s in (Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED):
        assert can_transition(s, Status.CANCELED)
    for s in (Status.PUBLISHING, Status.PUBLISHED):
        assert not can_transition(s, Status.CANCELED)


def test_published_and_canceled_are_final() -> None:
    assert ALLOWED[Status.PUBLISHED] == frozenset()
    assert ALLOWED[Status.CANCELED] == frozenset()


def test_an_expired_post_cannot_go_straight_to_publishing() -> None:
    assert not can_transition(Status.EXPIRED, Status.PUBLISHING)
    assert not can_transition(Status.AWAITING_APPROVAL, Status.PUBLISHING)


@pytest.fixture
def target_row(db, factory):
    account = factory.account()
    user = factory.user("admin")
    with db.session_scope() as s:
        post = Post(agency_id=user.agency_id, author_id=user.id, text="t", created_at=NOW,
                    updated_at=NOW)
        s.add(post)
        s.flush()
        target = PostTarget(post_id=post.id, account_id=account.id, status="draft",
                            scheduled_at=NOW, next_attempt_at=NOW, created_at=NOW, updated_at=NOW)
        s.add(target)
    return target.id


def _force(db, target_id: int, status: Status) -> None:
    with db.session_scope() as s:
        s.get(PostTarget, target_id).status = status.value


@pytest.mark.parametrize("current,to", PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_pair_is_allowed_or_refused_as_the_table_says(db, target_row, current, to) -> None:
    _force(db, target_row, current)
    with db.session_scope() as s:
        row = s.get(PostTarget, target_row)
        if to in ALLOWED[current]:
            transition(s, row, to, actor_id=None, now=NOW + timedelta(seconds=1))
            assert row.status == to.value
            event = s.scalars(select(AuditEvent).where(AuditEvent.entity_id == target_row)
                              .order_by(AuditEvent.id.desc())).first()
            assert event.action == f"target.{to.value}"
            assert event.details["from"] == current.value
        else:
            with pytest.raises(TransitionRefused):
                transition(s, row, to, actor_id=None, now=NOW)
            assert s.get(PostTarget, target_row).status == current.value


def test_a_move_from_a_stale_read_is_a_conflict_and_changes_nothing(db, target_row) -> None:
    _force(db, target_row, Status.SCHEDULED)
    with db.session_scope() as s:
        stale = s.get(PostTarget, target_row)  # read as scheduled
        # someone else claims it meanwhile
        s.execute(PostTarget.__table__.update().where(PostTarget.id == target_row)
                  .values(status="publishing"))
        with pytest.raises(TransitionConflict):
            transition(s, stale, Status.CANCELED, actor_id=None, now=NOW)
    with db.session_scope() as s:
        assert s.get(PostTarget, target_row).status == "publishing"
