"""Queueing a post: who waits for approval, and the refusals a PIO can meet before anything is
stored (text too long for a platform, a time already past, accounts that are not theirs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from content_queue.errors import Conflict, Forbidden, ValidationFailed
from content_queue.models import AuditEvent, Post, PostTarget
from content_queue.services import queue_post, submit_post
from tests.unit.conftest import NOW

LATER = NOW + timedelta(hours=2)


def _queue(session, actor, accounts, **overrides):
    args = dict(actor=actor, text="Winter storm tonight: stay off the roads.",
                account_ids=[a.id for a in accounts], scheduled_at=LATER, now=NOW)
    args.update(overrides)
    return queue_post(session, **args)


def _post_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Post))


def test_a_pio_s_post_awaits_approval_on_every_account(session, make) -> None:
    pio = make.user("pio")
    accounts = [make.account("sandbox"), make.account("mastodon")]
    post = _queue(session, pio, accounts)
    assert [t.status for t in post.targets] == ["awaiting_approval", "awaiting_approval"]
    assert {t.account_id for t in post.targets} == {a.id for a in accounts}
    assert all(t.scheduled_at == LATER and t.next_attempt_at == LATER for t in post.targets)
    assert post.approved_by_id is None


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_an_approver_s_own_post_is_scheduled_at_once_and_counts_as_approved(session, make,
                                                                            role) -> None:
    author = make.user(role)
    post = _queue(session, author, [make.account()])
    assert [t.status for t in post.targets] == ["scheduled"]
    assert (post.approved_by_id, post.approved_at) == (author.id, NOW)


def test_a_post_kept_as_a_draft_is_not_submitted(session, make) -> None:
    post = _queue(session, make.user("pio"), [make.account()], submit=False)
    assert [t.status for t in post.targets] == ["draft"]


def test_submitting_a_pio_s_draft_sends_it_for_approval(session, make) -> None:
    pio = make.user("pio")
    post = _queue(session, pio, [make.account()], submit=False)
    submit_post(session, actor=pio, post_id=post.id, now=NOW)
    assert [t.status for t in post.targets] == ["awaiting_approval"]
    with pytest.raises(Conflict) as err:
        submit_post(session, actor=pio, post_id=post.id, now=NOW)
    assert err.value.code == "nothing_to_submit"


def test_queueing_records_who_created_the_post_and_for_when(session, make) -> None:
    pio = make.user("pio")
    account = make.account()
    post = _queue(session, pio, [account])
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "post.created",
                                                     AuditEvent.entity_id == post.id)).one()
    assert event.actor_id == pio.id
    assert event.details == {"accounts": [account.id], "scheduled_at": LATER.isoformat()}


@pytest.mark.parametrize("platform,text,counted", [
    ("x", "a" * 281, "281 weighted characters"),
    ("bluesky", "a" * 301, "301 characters"),
    ("sandbox", "a" * 501, "501 characters"),
])
def test_text_too_long_for_a_platform_is_refused_naming_it_and_nothing_is_stored(
        session, make, platform, text, counted) -> None:
    with pytest.raises(ValidationFailed) as err:
        _queue(session, make.user("pio"), [make.account(platform)], text=text)
    assert err.value.code == "text_too_long"
    assert counted in err.value.message
    assert err.value.fields["text"]
    assert _post_count(session) == 0


def test_text_that_fits_one_platform_is_refused_when_another_chosen_one_is_stricter(
        session, make) -> None:
    accounts = [make.account("mastodon"), make.account("x")]
    with pytest.raises(ValidationFailed) as err:
        _queue(session, make.user("pio"), accounts, text="a" * 300)
    assert err.value.message.startswith("X")
    assert _post_count(session) == 0


def test_a_time_that_has_already_passed_is_refused_in_the_agency_s_time(session, make) -> None:
    with pytest.raises(ValidationFailed) as err:
        _queue(session, make.user("pio"), [make.account()],
               scheduled_at=NOW - timedelta(minutes=5))
    assert err.value.code == "time_in_past"
    assert "2027-04-11 08:55 CDT" in err.value.message
    assert _post_count(session) == 0


def test_a_time_a_few_seconds_ago_still_counts_as_now(session, make) -> None:
    post = _queue(session, make.user("pio"), [make.account()],
                  scheduled_at=NOW - timedelta(seconds=30))
    assert post.targets[0].scheduled_at == NOW - timedelta(seconds=30)


def test_a_time_without_a_zone_is_refused(session, make) -> None:
    with pytest.raises(ValidationFailed) as err:
        _queue(session, make.user("pio"), [make.account()], scheduled_at=LATER.replace(tzinfo=None))
    assert err.value.code == "invalid_time"


def test_a_viewer_cannot_queue_posts(session, make) -> None:
    with pytest.raises(Forbidden):
        _queue(session, make.user("viewer"), [make.account()])
    assert _post_count(session) == 0


def test_another_agency_s_account_is_unknown(session, make) -> None:
    elsewhere = make.account(agency=make.agency(new=True))
    with pytest.raises(ValidationFailed) as err:
        _queue(session, make.user("pio"), [elsewhere])
    assert err.value.code == "unknown_account"


def test_a_disabled_account_is_refused_by_handle(session, make) -> None:
    disabled = make.account(status="disabled")
    with pytest.raises(ValidationFailed) as err:
        _queue(session, make.user("pio"), [disabled])
    assert err.value.code == "account_disabled" and f"@{disabled.handle}" in err.value.message


def test_empty_text_and_no_accounts_are_refused(session, make) -> None:
    pio = make.user("pio")
    with pytest.raises(ValidationFailed) as empty:
        _queue(session, pio, [make.account()], text="   ")
    with pytest.raises(ValidationFailed) as none:
        _queue(session, pio, [])
    assert (empty.value.code, none.value.code) == ("text_empty", "no_accounts")
    assert session.scalar(select(func.count()).select_from(PostTarget)) == 0
