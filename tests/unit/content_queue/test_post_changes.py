"""Changing a post after it was queued: rescheduling (a PIO's new time needs approval again),
canceling what has not gone out, and a supervisor's retry of a failed target."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import AuditEvent
from content_queue.services import cancel_post, reschedule_post, retry_target
from tests.unit.conftest import NOW

NEW_TIME = NOW + timedelta(days=1)


def _statuses(post) -> list[str]:
    return [t.status for t in post.targets]


def test_a_pio_moving_a_scheduled_post_sends_it_back_for_approval(session, make) -> None:
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account()], status="scheduled")
    reschedule_post(session, actor=pio, post_id=post.id, scheduled_at=NEW_TIME, now=NOW)
    [target] = post.targets
    assert target.status == "awaiting_approval"
    assert (target.scheduled_at, target.next_attempt_at) == (NEW_TIME, NEW_TIME)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "post.rescheduled")).one()
    assert event.details == {"scheduled_at": NEW_TIME.isoformat()}


def test_an_approver_moving_a_scheduled_post_keeps_it_scheduled(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="scheduled")
    approver = make.user("approver")
    post.approved_by_id, post.approved_at = approver.id, NOW  # scheduled: it was approved
    reschedule_post(session, actor=approver, post_id=post.id,
                    scheduled_at=NEW_TIME, now=NOW)
    assert _statuses(post) == ["scheduled"]
    assert post.targets[0].scheduled_at == NEW_TIME


def test_an_expired_post_rescheduled_by_its_pio_waits_for_approval_again(session, make) -> None:
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account()], status="expired",
                     at=NOW - timedelta(hours=1), last_error="Not approved before its time.",
                     error_code="expired")
    reschedule_post(session, actor=pio, post_id=post.id, scheduled_at=NEW_TIME, now=NOW)
    [target] = post.targets
    assert target.status == "awaiting_approval"
    assert (target.last_error, target.error_code) == (None, None)


def test_rescheduling_into_the_past_is_refused_and_changes_nothing(session, make) -> None:
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account()], status="scheduled")
    with pytest.raises(ValidationFailed) as err:
        reschedule_post(session, actor=pio, post_id=post.id,
                        scheduled_at=NOW - timedelta(hours=1), now=NOW)
    assert err.value.code == "time_in_past"
    assert _statuses(post) == ["scheduled"]
    assert post.targets[0].scheduled_at == NOW + timedelta(hours=1)


def test_a_published_post_cannot_be_rescheduled(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="published")
    with pytest.raises(Conflict) as err:
        reschedule_post(session, actor=make.user("approver"), post_id=post.id,
                        scheduled_at=NEW_TIME, now=NOW)
    assert err.value.code == "not_reschedulable"


def test_a_pio_cannot_reschedule_someone_else_s_post(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="scheduled")
    with pytest.raises(Forbidden):
        reschedule_post(session, actor=make.user("pio"), post_id=post.id,
                        scheduled_at=NEW_TIME, now=NOW)
    assert _statuses(post) == ["scheduled"]


def test_canceling_stops_every_target_not_yet_sent(session, make) -> None:
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account(), make.account("mastodon")],
                     status="scheduled")
    cancel_post(session, actor=pio, post_id=post.id, now=NOW)
    assert _statuses(post) == ["canceled", "canceled"]


def test_canceling_one_target_leaves_the_others(session, make) -> None:
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account(), make.account("mastodon")],
                     status="awaiting_approval")
    first, second = post.targets
    cancel_post(session, actor=pio, post_id=post.id, now=NOW, target_ids=[second.id])
    assert (first.status, second.status) == ("awaiting_approval", "canceled")


@pytest.mark.parametrize("status", ["publishing", "published", "canceled"])
def test_what_is_going_out_or_gone_cannot_be_canceled(session, make, status) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status=status)
    with pytest.raises(Conflict) as err:
        cancel_post(session, actor=make.user("admin"), post_id=post.id, now=NOW)
    assert err.value.code == "not_cancelable"
    assert _statuses(post) == [status]


def test_a_viewer_cannot_cancel(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="scheduled")
    with pytest.raises(Forbidden):
        cancel_post(session, actor=make.user("viewer"), post_id=post.id, now=NOW)
    assert _statuses(post) == ["scheduled"]


def test_a_supervisor_s_retry_makes_a_failed_target_due_now(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="failed",
                     error_code="permanent", last_error="Refused.")
    [target] = post.targets
    retry_target(session, actor=make.user("approver"), target_id=target.id, now=NOW)
    assert target.status == "scheduled"
    assert (target.next_attempt_at, target.error_code) == (NOW, None)


def test_only_a_failed_target_can_be_retried_and_only_by_an_approver(session, make) -> None:
    pio = make.user("pio")
    failed = make.post(author=pio, accounts=[make.account()], status="failed").targets[0]
    scheduled = make.post(author=pio, accounts=[make.account()], status="scheduled").targets[0]
    with pytest.raises(Forbidden):
        retry_target(session, actor=pio, target_id=failed.id, now=NOW)
    with pytest.raises(Conflict) as err:
        retry_target(session, actor=make.user("admin"), target_id=scheduled.id, now=NOW)
    assert err.value.code == "not_failed"
    with pytest.raises(NotFound):
        retry_target(session, actor=make.user("admin"), target_id=failed.id + 1000, now=NOW)
    assert failed.status == "failed"
