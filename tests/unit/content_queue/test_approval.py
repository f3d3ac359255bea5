"""Approval: a second pair of eyes on every PIO post. Approving schedules it; nobody approves
their own post; sending it back returns it to the author as a draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.errors import Conflict, Forbidden, NotFound
from content_queue.models import AuditEvent
from content_queue.services import approve_post, reject_post
from tests.unit.conftest import NOW


@pytest.fixture
def waiting(make):
    """A PIO's post on two accounts, waiting for approval."""
    pio = make.user("pio")
    return make.post(author=pio, accounts=[make.account(), make.account("mastodon")],
                     status="awaiting_approval")


def _statuses(post) -> list[str]:
    return [t.status for t in post.targets]


def test_an_approver_approving_schedules_every_waiting_target(session, make, waiting) -> None:
    approver = make.user("approver")
    approve_post(session, actor=approver, post_id=waiting.id, now=NOW)
    assert _statuses(waiting) == ["scheduled", "scheduled"]
    assert (waiting.approved_by_id, waiting.approved_at) == (approver.id, NOW)
    actors = session.scalars(select(AuditEvent.actor_id)
                             .where(AuditEvent.action == "target.scheduled")).all()
    assert actors == [approver.id, approver.id]


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_nobody_approves_their_own_post(session, make, role) -> None:
    author = make.user(role)
    own = make.post(author=author, accounts=[make.account()], status="awaiting_approval")
    with pytest.raises(Forbidden) as err:
        approve_post(session, actor=author, post_id=own.id, now=NOW)
    assert err.value.code == "own_post"
    assert "own post" in err.value.message
    assert _statuses(own) == ["awaiting_approval"]
    assert own.approved_by_id is None


def test_pio_cannot_approve_own_post(session, make) -> None:
    pio = make.user("pio")
    own = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    with pytest.raises(Forbidden):
        approve_post(session, actor=pio, post_id=own.id, now=NOW)
    assert _statuses(own) == ["awaiting_approval"]


@pytest.mark.parametrize("role", ["pio", "viewer"])
def test_only_approvers_approve_other_people_s_posts(session, make, waiting, role) -> None:
    with pytest.raises(Forbidden) as err:
        approve_post(session, actor=make.user(role), post_id=waiting.id, now=NOW)
    assert "Only an approver or an admin" in err.value.message
    assert _statuses(waiting) == ["awaiting_approval", "awaiting_approval"]


def test_a_post_whose_time_has_passed_must_be_rescheduled_before_approval(session, make) -> None:
    late = make.post(author=make.user("pio"), accounts=[make.account()],
                     status="awaiting_approval", at=NOW - timedelta(minutes=10))
    with pytest.raises(Conflict) as err:
        approve_post(session, actor=make.user("approver"), post_id=late.id, now=NOW)
    assert err.value.code == "time_in_past"
    assert _statuses(late) == ["awaiting_approval"]


def test_approving_twice_is_a_conflict_not_a_second_approval(session, make, waiting) -> None:
    first, second = make.user("approver"), make.user("approver")
    approve_post(session, actor=first, post_id=waiting.id, now=NOW)
    with pytest.raises(Conflict) as err:
        approve_post(session, actor=second, post_id=waiting.id, now=NOW + timedelta(minutes=1))
    assert err.value.code == "nothing_to_approve"
    assert waiting.approved_by_id == first.id


def test_another_agency_s_post_is_not_found(session, make, waiting) -> None:
    outsider = make.user("approver", agency=make.agency(new=True))
    with pytest.raises(NotFound):
        approve_post(session, actor=outsider, post_id=waiting.id, now=NOW)
    with pytest.raises(NotFound):
        reject_post(session, actor=outsider, post_id=waiting.id, now=NOW)


def test_sending_back_returns_the_post_to_a_draft_with_the_reason(session, make, waiting) -> None:
    approver = make.user("approver")
    reject_post(session, actor=approver, post_id=waiting.id, now=NOW, reason="  Fix the date.  ")
    assert _statuses(waiting) == ["draft", "draft"]
    reasons = session.scalars(select(AuditEvent.details)
                              .where(AuditEvent.action == "target.draft")).all()
    assert [r["reason"] for r in reasons] == ["Fix the date.", "Fix the date."]


def test_sending_back_without_a_reason_says_why_anyway(session, make, waiting) -> None:
    reject_post(session, actor=make.user("approver"), post_id=waiting.id, now=NOW)
    reasons = session.scalars(select(AuditEvent.details)
                              .where(AuditEvent.action == "target.draft")).all()
    assert {r["reason"] for r in reasons} == {"sent back for changes"}


def test_a_pio_cannot_send_back_a_post(session, make, waiting) -> None:
    with pytest.raises(Forbidden):
        reject_post(session, actor=make.user("pio"), post_id=waiting.id, now=NOW)
    assert _statuses(waiting) == ["awaiting_approval", "awaiting_approval"]


def test_a_scheduled_post_cannot_be_sent_back(session, make) -> None:
    scheduled = make.post(author=make.user("pio"), accounts=[make.account()], status="scheduled")
    with pytest.raises(Conflict) as err:
        reject_post(session, actor=make.user("approver"), post_id=scheduled.id, now=NOW)
    assert err.value.code == "nothing_to_approve"
    assert _statuses(scheduled) == ["scheduled"]
