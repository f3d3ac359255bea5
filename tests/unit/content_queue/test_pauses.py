"""Incident pauses on a real database: a pause holds what falls due on the accounts it covers,
within one tick; a resume sends the held targets on by shift, spaced publish_now or review;
an automatic resume happens at its time; every step is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.budgets import DEFAULT_BUDGETS, MIN_RELEASE_GAP, release_gap
from content_queue.errors import Conflict, Forbidden, ValidationFailed
from content_queue.models import AuditEvent, Pause, PostTarget
from content_queue.pauses import (
    REVIEW_LEAD,
    active_pauses,
    create_pause,
    hold_if_paused,
    resume_pause,
)
from content_queue.states import Status
from scheduler import tick
from tests.unit.conftest import NOW

DUE = NOW + timedelta(minutes=10)


def _target(make, author, account, at=DUE, status=Status.SCHEDULED, **values) -> PostTarget:
    return make.post(author=author, accounts=[account], status=status, at=at,
                     **values).targets[0]


def _status(session, target: PostTarget) -> str:
    session.expire_all()
    return session.get(PostTarget, target.id).status


def _actions(session, entity_type: str, entity_id: int) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)))


def test_whole_agency_pause_holds_every_due_target_with_its_reason(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    a, b = make.account(), make.account("x")
    t1, t2 = _target(make, admin, a), _target(make, admin, b)
    later = _target(make, admin, a, at=DUE + timedelta(hours=3))
    pause = create_pause(session, actor=make.user("approver"), agency_id=admin.agency_id,
                         reason="Line-of-duty death", now=NOW)
    session.commit()
    sent: list = []

    result = tick(rolled_back_db, DUE, sent.append)

    assert sent == [] and result.claimed == []
    assert sorted(result.held) == sorted([t1.id, t2.id])
    session.expire_all()
    held = session.get(PostTarget, t1.id)
    assert held.status == "held" and held.error_code == "paused"
    assert "Line-of-duty death" in held.last_error
    assert _status(session, later) == "scheduled"
    assert "target.held" in _actions(session, "post_target", t1.id)
    assert _actions(session, "pause", pause.id) == ["pause.created"]


def test_pause_for_some_accounts_lets_the_others_publish(session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    paused_account, other = make.account(), make.account()
    paused, free = _target(make, admin, paused_account), _target(make, admin, other)
    create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Major incident",
                 account_ids=[paused_account.id], now=NOW)
    session.commit()

    result = tick(rolled_back_db, DUE, lambda ids: None)

    assert result.held == [paused.id] and result.claimed == [free.id]


def test_pause_of_another_agency_holds_nothing_here(session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    target = _target(make, admin, make.account())
    elsewhere = make.user("admin", agency=make.agency(new=True))
    create_pause(session, actor=elsewhere, agency_id=elsewhere.agency_id, reason="Their incident",
                 now=NOW)
    session.commit()

    assert tick(rolled_back_db, DUE, lambda ids: None).claimed == [target.id]


def test_shift_moves_each_held_target_by_the_pause_length(session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    target = _target(make, admin, make.account())
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Incident",
                         now=NOW)
    session.commit()
    tick(rolled_back_db, DUE, lambda ids: None)
    resumed_at = NOW + timedelta(hours=2)

    result = resume_pause(session, actor=admin, pause_id=pause.id, held="shift",
                          now=resumed_at, budgets=DEFAULT_BUDGETS)

    session.expire_all()
    moved = session.get(PostTarget, target.id)
    assert result.released == [target.id]
    assert moved.status == "scheduled" and moved.last_error is None
    assert moved.scheduled_at == DUE + timedelta(hours=2)
    assert moved.next_attempt_at == DUE + timedelta(hours=2)
    assert active_pauses(session, admin.agency_id) == []
    assert session.get(Pause, pause.id).held_mode == "shift"
    assert _actions(session, "pause", pause.id) == ["pause.created", "pause.resumed"]


def test_review_sends_held_targets_back_for_approval_with_time_to_look(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    target = _target(make, admin, make.account())
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Incident",
                         now=NOW)
    session.commit()
    tick(rolled_back_db, DUE, lambda ids: None)
    resumed_at = DUE + timedelta(minutes=1)

    resume_pause(session, actor=admin, pause_id=pause.id, held="review", now=resumed_at,
                 budgets=DEFAULT_BUDGETS)

    session.expire_all()
    moved = session.get(PostTarget, target.id)
    assert moved.status == "awaiting_approval"
    assert moved.scheduled_at == resumed_at + REVIEW_LEAD


def test_publish_now_releases_held_targets_spaced_out_per_account(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    x, sandbox = make.account("x"), make.account()
    on_x = [_target(make, admin, x, at=DUE + timedelta(seconds=i)) for i in range(3)]
    on_sandbox = [_target(make, admin, sandbox, at=DUE + timedelta(seconds=i)) for i in range(2)]
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Incident",
                         now=NOW)
    session.commit()
    tick(rolled_back_db, DUE + timedelta(seconds=5), lambda ids: None)
    resumed_at = DUE + timedelta(minutes=30)

    resume_pause(session, actor=admin, pause_id=pause.id, held="publish_now", now=resumed_at,
                 budgets=DEFAULT_BUDGETS)

    session.expire_all()
    x_times = [session.get(PostTarget, t.id).next_attempt_at for t in on_x]
    x_gap = release_gap(DEFAULT_BUDGETS["x"])
    assert x_gap == timedelta(seconds=9)  # 15 minutes / 100 posts
    assert x_times == [resumed_at, resumed_at + x_gap, resumed_at + 2 * x_gap]
    sandbox_times = [session.get(PostTarget, t.id).next_attempt_at for t in on_sandbox]
    assert sandbox_times == [resumed_at, resumed_at + MIN_RELEASE_GAP]
    assert {session.get(PostTarget, t.id).status for t in on_x + on_sandbox} == {"scheduled"}
    # one tick later only the first of each account goes
    claimed = tick(rolled_back_db, resumed_at, lambda ids: None).claimed
    assert sorted(claimed) == sorted([on_x[0].id, on_sandbox[0].id])


def test_automatic_resume_at_its_time_shifts_the_held_targets(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    target = _target(make, admin, make.account())
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Vigil",
                         now=NOW, resume_at=NOW + timedelta(hours=1))
    session.commit()
    tick(rolled_back_db, DUE, lambda ids: None)
    assert _status(session, target) == "held"

    result = tick(rolled_back_db, NOW + timedelta(hours=1, seconds=1), lambda ids: None)

    assert result.resumed_pauses == [pause.id]
    session.expire_all()
    moved = session.get(PostTarget, target.id)
    assert moved.status == "scheduled"
    assert moved.scheduled_at == DUE + timedelta(hours=1, seconds=1)
    assert session.get(Pause, pause.id).held_mode == "shift"
    assert session.get(Pause, pause.id).resumed_by_id is None


def test_resuming_one_of_two_pauses_keeps_what_the_other_covers_held(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    a, b = make.account(), make.account()
    ta, tb = _target(make, admin, a), _target(make, admin, b)
    agency_wide = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="All",
                               now=NOW)
    create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Just a",
                 account_ids=[a.id], now=NOW)
    session.commit()
    tick(rolled_back_db, DUE, lambda ids: None)

    result = resume_pause(session, actor=admin, pause_id=agency_wide.id, held="shift",
                          now=DUE, budgets=DEFAULT_BUDGETS)

    assert result.released == [tb.id]
    assert _status(session, ta) == "held"


def test_worker_check_holds_a_target_already_claimed(session, make) -> None:
    admin = make.user("admin")
    target = _target(make, admin, make.account(), status=Status.PUBLISHING,
                     attempt_started_at=NOW)
    assert hold_if_paused(session, target.id, NOW) is None
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="Incident",
                         now=NOW)

    assert hold_if_paused(session, target.id, NOW) == pause

    held = session.get(PostTarget, target.id)
    assert held.status == "held" and held.attempt_started_at is None


def test_pio_and_viewer_cannot_pause_or_resume(session, make) -> None:
    admin = make.user("admin")
    for role in ("pio", "viewer"):
        with pytest.raises(Forbidden):
            create_pause(session, actor=make.user(role), agency_id=admin.agency_id,
                         reason="x", now=NOW)
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="x", now=NOW)
    with pytest.raises(Forbidden):
        resume_pause(session, actor=make.user("pio"), pause_id=pause.id, held="shift", now=NOW,
                     budgets=DEFAULT_BUDGETS)


@pytest.mark.parametrize("kwargs, code", [
    ({"reason": "  "}, "reason_required"),
    ({"reason": None}, "reason_required"),
    ({"reason": "x" * 501}, "reason_too_long"),
    ({"reason": "ok", "account_ids": [999999]}, "unknown_account"),
    ({"reason": "ok", "account_ids": ["1"]}, "unknown_account"),
    ({"reason": "ok", "account_ids": "1"}, "invalid_accounts"),
    ({"reason": "ok", "resume_at": NOW - timedelta(minutes=1)}, "resume_at_in_past"),
])
def test_pause_input_is_checked(session, make, kwargs, code) -> None:
    admin = make.user("admin")
    with pytest.raises(ValidationFailed) as refused:
        create_pause(session, actor=admin, agency_id=admin.agency_id, now=NOW, **kwargs)
    assert refused.value.code == code


def test_an_account_of_another_agency_cannot_be_paused(session, make) -> None:
    admin = make.user("admin")
    theirs = make.account(agency=make.agency(new=True))
    with pytest.raises(ValidationFailed) as refused:
        create_pause(session, actor=admin, agency_id=admin.agency_id, reason="x",
                     account_ids=[theirs.id], now=NOW)
    assert refused.value.code == "unknown_account"


def test_a_pause_is_resumed_once_and_only_with_a_known_mode(session, make) -> None:
    admin = make.user("admin")
    pause = create_pause(session, actor=admin, agency_id=admin.agency_id, reason="x", now=NOW)
    with pytest.raises(ValidationFailed):
        resume_pause(session, actor=admin, pause_id=pause.id, held="later", now=NOW,
                     budgets=DEFAULT_BUDGETS)
    resume_pause(session, actor=admin, pause_id=pause.id, held="shift", now=NOW,
                 budgets=DEFAULT_BUDGETS)
    with pytest.raises(Conflict):
        resume_pause(session, actor=admin, pause_id=pause.id, held="shift", now=NOW,
                     budgets=DEFAULT_BUDGETS)
