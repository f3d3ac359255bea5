"""The approval rule (issue 8): who needs a second person, nobody approves their own post, and
every move into ``scheduled`` — whichever verb asks for it — passes the rule and the time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from content_queue.approval_rules import (FIRST_ENTRIES, RE_ENTRIES, ApprovalRequired,
                                          approval_stands, needs_approval)
from content_queue.errors import Conflict, Forbidden
from content_queue.models import AuditEvent, PostTarget
from content_queue.services import (approve_post, queue_post, reject_post, reschedule_post,
                                    retry_target, submit_post)
from content_queue.states import ALLOWED, Status
from content_queue.transitions import transition
from scheduler.tick import expire_unapproved
from tests.unit.conftest import NOW

LATER = NOW + timedelta(hours=3)

#: Every status the table lets into ``scheduled``, derived from the table…
INTO_SCHEDULED = sorted(s.value for s, moves in ALLOWED.items() if Status.SCHEDULED in moves)
#: …and, by hand, what the rule was written for: a wrong table fails here.
EXPECTED_INTO_SCHEDULED = sorted(["draft", "awaiting_approval", "expired",   # first entries
                                  "publishing", "failed", "held", "unconfirmed"])  # re-entries


def _statuses(post) -> list[str]:
    return [t.status for t in post.targets]


def _force(session, target, status: str) -> None:
    session.execute(update(PostTarget).where(PostTarget.id == target.id).values(status=status))
    session.refresh(target)


def test_the_ways_into_scheduled_are_exactly_the_seven_the_rule_covers() -> None:
    assert INTO_SCHEDULED == EXPECTED_INTO_SCHEDULED
    assert {s.value for s in FIRST_ENTRIES} | {s.value for s in RE_ENTRIES} == set(INTO_SCHEDULED)
    assert not FIRST_ENTRIES & RE_ENTRIES


# --- the guarded move itself, for every way in ---------------------------------------------

@pytest.mark.parametrize("source", INTO_SCHEDULED)
def test_every_way_into_scheduled_with_an_approval_and_a_future_time_is_allowed(
        session, make, source) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    post = make.post(author=pio, accounts=[make.account()], status=source, at=LATER)
    post.approved_by_id, post.approved_at = approver.id, NOW
    [target] = post.targets
    transition(session, target, Status.SCHEDULED, actor_id=approver.id, now=NOW,
               values={"next_attempt_at": LATER})
    assert target.status == "scheduled"


@pytest.mark.parametrize("source", INTO_SCHEDULED)
def test_every_way_into_scheduled_without_an_approval_is_refused_unless_it_was_out_before(
        session, make, source) -> None:
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account()], status=source, at=LATER)
    [target] = post.targets
    if Status(source) in FIRST_ENTRIES:
        with pytest.raises(ApprovalRequired) as err:
            transition(session, target, Status.SCHEDULED, actor_id=None, now=NOW)
        assert err.value.code == "approval_required"
        session.refresh(target)
        assert target.status == source
    else:
        # a retry, resume or "post it again": it was scheduled (approved) before, and an edit
        # that withdraws the approval moves it to awaiting_approval (tested below)
        transition(session, target, Status.SCHEDULED, actor_id=None, now=NOW,
                   values={"next_attempt_at": NOW})
        assert target.status == "scheduled"


@pytest.mark.parametrize("source", INTO_SCHEDULED)
def test_every_way_into_scheduled_refuses_a_time_that_has_passed(session, make, source) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    past = NOW - timedelta(seconds=72)  # the draft, 72 s past its time
    post = make.post(author=pio, accounts=[make.account()], status=source, at=past)
    post.approved_by_id, post.approved_at = approver.id, NOW
    [target] = post.targets
    with pytest.raises(Conflict) as err:
        transition(session, target, Status.SCHEDULED, actor_id=approver.id, now=NOW)
    assert err.value.code == "time_in_past"
    session.refresh(target)
    assert target.status == source


@pytest.mark.parametrize("source", INTO_SCHEDULED)
def test_an_author_s_own_approval_counts_only_while_their_posts_need_none(session, make,
                                                                          source) -> None:
    approver = make.user("approver")
    post = make.post(author=approver, accounts=[make.account()], status=source, at=LATER)
    post.approved_by_id, post.approved_at = approver.id, NOW
    assert approval_stands(post)
    approver.agency.second_person_required = True
    assert not approval_stands(post)
    [target] = post.targets
    if Status(source) in FIRST_ENTRIES:
        with pytest.raises(ApprovalRequired):
            transition(session, target, Status.SCHEDULED, actor_id=approver.id, now=NOW)
    else:
        transition(session, target, Status.SCHEDULED, actor_id=approver.id, now=NOW,
                   values={"next_attempt_at": NOW})
        assert target.status == "scheduled"


# --- the rules ----------------------------------------------------------------------------

def test_who_needs_approval_follows_the_agency_s_two_settings(make) -> None:
    agency = make.agency()
    pio, approver, admin = make.user("pio"), make.user("approver"), make.user("admin")
    assert (needs_approval(pio, agency), needs_approval(approver, agency),
            needs_approval(admin, agency)) == (True, False, False)
    agency.pio_posts_need_approval = False
    assert not needs_approval(pio, agency)
    agency.second_person_required = True
    assert all(needs_approval(u, agency) for u in (pio, approver, admin))


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_nobody_approves_their_own_post_even_when_a_second_person_is_required(
        session, make, role) -> None:
    make.agency().second_person_required = True
    author = make.user(role)
    post = queue_post(session, actor=author, text="Own post", account_ids=[make.account().id],
                      scheduled_at=LATER, now=NOW)
    assert _statuses(post) == ["awaiting_approval"]
    assert post.approved_by_id is None
    with pytest.raises(Forbidden) as err:
        approve_post(session, actor=author, post_id=post.id, now=NOW)
    assert err.value.code == "own_post"
    other = make.user("approver")
    approve_post(session, actor=other, post_id=post.id, now=NOW)
    assert _statuses(post) == ["scheduled"]
    assert post.approved_by_id == other.id


def test_without_the_second_person_rule_an_approver_s_own_post_is_scheduled_and_recorded(
        session, make) -> None:
    approver = make.user("approver")
    post = queue_post(session, actor=approver, text="Own post",
                      account_ids=[make.account().id], scheduled_at=LATER, now=NOW)
    assert _statuses(post) == ["scheduled"]
    assert (post.approved_by_id, post.approved_at) == (approver.id, NOW)


def test_when_pio_posts_need_no_approval_a_pio_s_post_is_scheduled(session, make) -> None:
    make.agency().pio_posts_need_approval = False
    pio = make.user("pio")
    post = queue_post(session, actor=pio, text="Fine", account_ids=[make.account().id],
                      scheduled_at=LATER, now=NOW)
    assert _statuses(post) == ["scheduled"]
    assert post.approved_by_id == pio.id


# --- the verbs that used to skip the rule -------------------------------------------------

def test_an_approver_pressing_submit_on_a_pio_s_draft_sends_it_for_approval(session,
                                                                             make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    draft = make.post(author=pio, accounts=[make.account()], status="draft", at=LATER)
    submit_post(session, actor=approver, post_id=draft.id, now=NOW)
    assert _statuses(draft) == ["awaiting_approval"]
    assert draft.approved_by_id is None


def test_a_draft_whose_time_has_passed_is_refused_on_submit(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    late = make.post(author=pio, accounts=[make.account()], status="draft",
                     at=NOW - timedelta(seconds=72))
    for actor in (approver, pio):
        with pytest.raises(Conflict) as err:
            submit_post(session, actor=actor, post_id=late.id, now=NOW)
        assert err.value.code == "time_in_past"
    assert _statuses(late) == ["draft"]


def test_an_approver_s_own_late_draft_is_refused_too(session, make) -> None:
    approver = make.user("approver")
    late = make.post(author=approver, accounts=[make.account()], status="draft",
                     at=NOW - timedelta(seconds=72))
    with pytest.raises(Conflict):
        submit_post(session, actor=approver, post_id=late.id, now=NOW)
    assert _statuses(late) == ["draft"]


def test_rescheduling_a_waiting_pio_post_keeps_it_waiting(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    waiting = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    reschedule_post(session, actor=approver, post_id=waiting.id, scheduled_at=LATER, now=NOW)
    assert _statuses(waiting) == ["awaiting_approval"]
    assert waiting.approved_by_id is None
    assert waiting.targets[0].scheduled_at == LATER


def test_a_pio_rescheduling_their_own_failed_post_sends_it_for_approval(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    failed = make.post(author=pio, accounts=[make.account()], status="failed",
                       at=NOW - timedelta(hours=1), last_error="Refused", error_code="permanent")
    failed.approved_by_id, failed.approved_at = approver.id, NOW - timedelta(hours=2)
    reschedule_post(session, actor=pio, post_id=failed.id, scheduled_at=LATER, now=NOW)
    assert _statuses(failed) == ["awaiting_approval"]
    assert failed.approved_at is None


def test_an_approver_rescheduling_an_approved_failed_post_schedules_it(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    failed = make.post(author=pio, accounts=[make.account()], status="failed",
                       at=NOW - timedelta(hours=1))
    failed.approved_by_id, failed.approved_at = approver.id, NOW - timedelta(hours=2)
    reschedule_post(session, actor=approver, post_id=failed.id, scheduled_at=LATER, now=NOW)
    assert _statuses(failed) == ["scheduled"]


def test_an_approver_rescheduling_a_pio_s_expired_post_sends_it_for_approval(session,
                                                                              make) -> None:
    pio = make.user("pio")
    expired = make.post(author=pio, accounts=[make.account()], status="expired",
                        at=NOW - timedelta(hours=1))
    reschedule_post(session, actor=make.user("approver"), post_id=expired.id,
                    scheduled_at=LATER, now=NOW)
    assert _statuses(expired) == ["awaiting_approval"]


def test_a_retry_of_a_failed_post_is_due_now(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    failed = make.post(author=pio, accounts=[make.account()], status="failed",
                       at=NOW - timedelta(hours=1))
    failed.approved_by_id, failed.approved_at = approver.id, NOW - timedelta(hours=2)
    target = retry_target(session, actor=approver, target_id=failed.targets[0].id, now=NOW)
    assert (target.status, target.next_attempt_at) == ("scheduled", NOW)


def test_approving_records_the_approver_before_the_move(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    waiting = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    approve_post(session, actor=approver, post_id=waiting.id, now=NOW)
    assert _statuses(waiting) == ["scheduled"]
    assert waiting.approved_by_id == approver.id
    actors = session.scalars(select(AuditEvent.actor_id)
                             .where(AuditEvent.action == "target.scheduled")).all()
    assert actors == [approver.id]


def test_sending_back_clears_the_approval(session, make) -> None:
    pio, approver = make.user("pio"), make.user("approver")
    waiting = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    waiting.approved_by_id, waiting.approved_at = approver.id, NOW
    reject_post(session, actor=approver, post_id=waiting.id, now=NOW, reason="No")
    assert _statuses(waiting) == ["draft"]
    assert waiting.approved_at is None


def test_a_post_not_approved_by_its_time_expires(session, make) -> None:
    pio = make.user("pio")
    late = make.post(author=pio, accounts=[make.account()], status="awaiting_approval",
                     at=NOW - timedelta(minutes=1))
    on_time = make.post(author=pio, accounts=[make.account()], status="awaiting_approval",
                        at=LATER)
    expire_unapproved(session, NOW)
    session.refresh(late.targets[0])
    session.refresh(on_time.targets[0])
    assert _statuses(late) == ["expired"]
    assert _statuses(on_time) == ["awaiting_approval"]
    with pytest.raises(Conflict):
        approve_post(session, actor=make.user("approver"), post_id=late.id, now=NOW)
