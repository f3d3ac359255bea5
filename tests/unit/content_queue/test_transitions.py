"""The guarded write that moves a target: an allowed move changes the row and leaves an audit
event, a refused one changes nothing, and a move from a stale read is a conflict, not applied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from content_queue.models import AuditEvent, PostTarget
from content_queue.states import Status, TransitionConflict, TransitionRefused
from content_queue.transitions import transition
from tests.unit.conftest import NOW
from tests.unit.content_queue.test_states import MOVES, PAIRS


@pytest.fixture
def target(make) -> PostTarget:
    admin = make.user("admin")
    post = make.post(author=admin, accounts=[make.account()], status="draft")
    # issue 8: a move into scheduled needs an approval standing (an admin's own, by default)
    post.approved_by_id, post.approved_at = admin.id, NOW
    return post.targets[0]


def _force(session, target: PostTarget, status: str) -> None:
    session.execute(update(PostTarget).where(PostTarget.id == target.id).values(status=status))
    session.refresh(target)


def _audit_count(session, target_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.entity_id == target_id,
                                 AuditEvent.entity_type == "post_target"))


@pytest.mark.parametrize("current,to", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair_moves_or_is_refused_as_the_rules_say(session, target, current, to) -> None:
    _force(session, target, current)
    if (current, to) in MOVES:
        transition(session, target, Status(to), actor_id=None, now=NOW + timedelta(seconds=1),
                   reason="because")
        assert target.status == to
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == target.id)
                                .order_by(AuditEvent.id.desc())).first()
        assert event.action == f"target.{to}"
        assert event.details == {"from": current, "to": to, "reason": "because"}
    else:
        with pytest.raises(TransitionRefused):
            transition(session, target, Status(to), actor_id=None, now=NOW)
        session.refresh(target)
        assert target.status == current
        assert _audit_count(session, target.id) == 0


def test_extra_values_are_written_in_the_same_update(session, target) -> None:
    _force(session, target, "publishing")
    transition(session, target, Status.FAILED, actor_id=None, now=NOW,
               values={"last_error": "Refused by the platform.", "error_code": "permanent"})
    assert (target.status, target.last_error, target.error_code) == \
        ("failed", "Refused by the platform.", "permanent")
    assert target.updated_at == NOW


def test_a_move_from_a_stale_read_is_a_conflict_and_changes_nothing(session, target) -> None:
    _force(session, target, "scheduled")
    # Someone else claims it after this process read it as scheduled.
    session.execute(update(PostTarget).where(PostTarget.id == target.id)
                    .values(status="publishing").execution_options(synchronize_session=False))
    assert target.status == "scheduled"
    with pytest.raises(TransitionConflict):
        transition(session, target, Status.CANCELED, actor_id=None, now=NOW)
    session.refresh(target)
    assert target.status == "publishing"
    assert _audit_count(session, target.id) == 0


def test_many_moves_write_each_targets_own_values_and_skip_the_ones_moved_elsewhere(
        session, make) -> None:
    from content_queue.transitions import transition_many

    admin = make.user("admin")
    accounts = [make.account() for _ in range(3)]
    post = make.post(author=admin, accounts=accounts, status="publishing")
    first, second, third = post.targets
    _force(session, third, "failed")  # another process moved it: left alone
    later = NOW + timedelta(minutes=5)
    moves = [(first.id, {"platform_post_id": "p-1", "published_at": NOW}, {"n": 1}),
             (second.id, {"platform_post_id": "p-2", "published_at": later,
                          "permalink": "https://example.test/p-2"}, {"n": 2}),
             (third.id, {"platform_post_id": "p-3"}, {"n": 3})]
    moved = transition_many(session, moves, Status.PUBLISHING, Status.PUBLISHED, now=later)
    assert moved == [first.id, second.id]
    for target in (first, second, third):
        session.refresh(target)
    assert (first.status, first.platform_post_id, first.published_at, first.permalink) == \
        ("published", "p-1", NOW, None)
    assert (second.status, second.platform_post_id, second.published_at, second.permalink) == \
        ("published", "p-2", later, "https://example.test/p-2")
    assert (third.status, third.platform_post_id) == ("failed", None)
    assert first.updated_at == later
    assert [_audit_count(session, t.id) for t in (first, second, third)] == [1, 1, 0]


def test_a_value_every_moved_target_shares_is_written_to_each_and_audited(session, make) -> None:
    from content_queue.transitions import transition_many

    admin = make.user("admin")
    post = make.post(author=admin, accounts=[make.account() for _ in range(3)],
                     status="publishing")
    for target in post.targets:
        session.execute(update(PostTarget).where(PostTarget.id == target.id).values(
            last_error="The platform was slow.", error_code="timeout"))
    moves = [(t.id, {"last_error": None, "error_code": None, "platform_post_id": f"p-{n}"},
              {"n": n}) for n, t in enumerate(post.targets)]
    moved = transition_many(session, moves, Status.PUBLISHING, Status.PUBLISHED, now=NOW)
    assert moved == [t.id for t in post.targets]
    for n, target in enumerate(post.targets):
        session.refresh(target)
        assert (target.last_error, target.error_code, target.platform_post_id) == \
            (None, None, f"p-{n}")
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "post_target",
        AuditEvent.entity_id.in_([t.id for t in post.targets])).order_by(AuditEvent.entity_id)).all()
    assert [(e.action, e.details) for e in events] == [
        ("target.published", {"from": "publishing", "to": "published", "n": n}) for n in range(3)]
