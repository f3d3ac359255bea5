"""Never silent: a failed, unconfirmed or held post and an account that needs reconnecting each
tell the post's author and the agency's admins once; a stalled scheduler is told once per
episode; the in-app list reads and marks only the user's own notices."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from content_queue.accounts import mark_reconnect_needed
from content_queue.models import Notification
from content_queue.notification_delivery import (
    DELIVERED,
    FAILED,
    IN_APP,
    finish_delivery,
    record_sent,
    sign,
    start_delivery,
    undelivered,
    webhook_body,
)
from content_queue.notifications import (
    ACCOUNT_RECONNECT_NEEDED,
    PENDING_KEY,
    TARGET_FAILED,
    list_notifications,
    mark_all_read,
    mark_read,
    notify,
    notify_scheduler_stalled,
    notify_target,
    take_pending,
    unread_count,
)
from content_queue.ports import Permanent
from content_queue.publishing import record_error
from tests.unit.conftest import NOW


def rows(session, **where):
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(session.scalars(query))


def test_notify_records_one_row_for_the_author_and_each_admin(session, make):
    author, admin1, admin2 = make.user("pio"), make.user("admin"), make.user("admin")
    make.user("approver")
    post = make.post(author=author, accounts=[make.account()], status="scheduled")
    ids = notify(session, "custom", agency_id=author.agency_id, subject="S", body="B",
                 now=NOW, post_id=post.id)
    found = rows(session)
    assert [r.id for r in found] == ids
    assert [r.user_id for r in found] == [author.id, admin1.id, admin2.id]
    assert len({r.group_key for r in found}) == 1
    assert [r.sends_webhook for r in found] == [True, False, False]
    assert all(r.delivery_state == "pending" for r in found)


def test_an_admin_who_wrote_the_post_is_notified_once(session, make):
    admin = make.user("admin")
    post = make.post(author=admin, accounts=[make.account()], status="scheduled")
    notify(session, "custom", agency_id=admin.agency_id, subject="S", body="B", now=NOW,
           post_id=post.id)
    assert [r.user_id for r in rows(session)] == [admin.id]


def test_admins_of_another_agency_and_deactivated_admins_hear_nothing(session, make):
    author = make.user("pio")
    other = make.user("admin", agency=make.agency(new=True))
    gone = make.user("admin")
    gone.active = False
    post = make.post(author=author, accounts=[make.account()], status="scheduled")
    notify(session, "custom", agency_id=author.agency_id, subject="S", body="B", now=NOW,
           post_id=post.id)
    assert other.id not in [r.user_id for r in rows(session)]
    assert [r.user_id for r in rows(session)] == [author.id]


def test_a_permanent_publish_error_notifies_the_author_with_the_reason(session, make):
    author, admin = make.user("pio"), make.user("admin")
    post = make.post(author=author, accounts=[make.account()], status="publishing",
                     attempts=1, claimed_at=NOW)
    target = post.targets[0]
    record_error(session, target.id, Permanent("the text is too long."), now=NOW,
                 max_attempts=5)
    found = rows(session, event=TARGET_FAILED)
    assert [r.user_id for r in found] == [author.id, admin.id]
    assert found[0].target_id == target.id and found[0].post_id == post.id
    assert f"Post #{post.id} failed" in found[0].subject
    assert "the text is too long." in found[0].body
    assert sorted(take_pending(session)) == [r.id for r in found]


def test_a_post_failing_on_several_accounts_tells_each_person_once(session, make):
    author = make.user("pio")
    post = make.post(author=author, accounts=[make.account(), make.account()],
                     status="publishing", attempts=1, claimed_at=NOW)
    for target in post.targets:
        record_error(session, target.id, Permanent("refused."), now=NOW, max_attempts=5)
    assert [r.user_id for r in rows(session, event=TARGET_FAILED)] == [author.id]


def test_a_retryable_error_does_not_notify(session, make):
    from content_queue.ports import Transient

    post = make.post(author=make.user("pio"), accounts=[make.account()], status="publishing",
                     attempts=1, claimed_at=NOW)
    record_error(session, post.targets[0].id, Transient("busy."), now=NOW, max_attempts=5)
    assert rows(session) == []


def test_unconfirmed_and_held_targets_notify_with_what_to_do(session, make):
    author = make.user("pio")
    post = make.post(author=author, accounts=[make.account()], status="scheduled")
    target = post.targets[0]
    target.status, target.last_error = "unconfirmed", "The platform did not answer."
    notify_target(session, target, now=NOW)
    target.status, target.last_error = "held", "Paused: line-of-duty death."
    notify_target(session, target, now=NOW)
    unconfirmed, held = rows(session)
    assert unconfirmed.event == "target_unconfirmed" and "it is there" in unconfirmed.body
    assert held.event == "target_held" and "line-of-duty death" in held.body


def test_an_account_marked_for_reconnecting_notifies_the_admins_once(session, make):
    make.user("pio")
    admin = make.user("admin")
    account = make.account("x")
    mark_reconnect_needed(session, account, "X refused the token.", now=NOW)
    mark_reconnect_needed(session, account, "X refused the token.", now=NOW)
    found = rows(session, event=ACCOUNT_RECONNECT_NEEDED)
    assert [r.user_id for r in found] == [admin.id]
    assert found[0].account_id == account.id and "needs reconnecting" in found[0].subject


def test_a_stalled_scheduler_is_notified_once_per_episode(session, make):
    admin = make.user("admin")
    due = NOW - timedelta(minutes=5)
    first = notify_scheduler_stalled(session, admin.agency_id, oldest_due=due, waiting=3,
                                     now=NOW)
    again = notify_scheduler_stalled(session, admin.agency_id, oldest_due=due, waiting=4,
                                     now=NOW + timedelta(minutes=1))
    # The scheduler recovered; later posts are stuck again: a new episode.
    later = notify_scheduler_stalled(session, admin.agency_id,
                                     oldest_due=NOW + timedelta(hours=1), waiting=1,
                                     now=NOW + timedelta(hours=1, minutes=5))
    assert len(first) == 1 and again == [] and len(later) == 1
    assert "3 posts are past due" in rows(session)[0].body


def test_the_list_is_newest_first_and_marks_only_the_users_own(session, make):
    me, other = make.user("admin"), make.user("admin")
    for minute in range(3):
        notify(session, "custom", agency_id=me.agency_id, subject=f"#{minute}", body="",
               now=NOW + timedelta(minutes=minute))
    page, total = list_notifications(session, me.id, page=1, per_page=2)
    assert total == 3 and [n.subject for n in page] == ["#2", "#1"]
    theirs = rows(session, user_id=other.id)[0]
    assert mark_read(session, me.id, theirs.id, now=NOW) is None
    assert mark_read(session, me.id, page[0].id, now=NOW).read_at == NOW
    assert unread_count(session, me.id) == 2
    assert mark_all_read(session, me.id, now=NOW) == 2
    assert unread_count(session, me.id) == 0 and unread_count(session, other.id) == 3


def test_a_delivery_sends_each_channel_once_and_settles(session, make):
    admin = make.user("admin")
    [nid] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="B",
                   now=NOW)
    first = start_delivery(session, nid, now=NOW)
    assert first.send_email and first.send_webhook and first.email == admin.email
    record_sent(session, nid, "email", now=NOW)
    assert finish_delivery(session, nid, now=NOW, error="webhook: HTTP 500", final=False,
                           sent_any=True) == "pending"
    second = start_delivery(session, nid, now=NOW)
    assert not second.send_email and second.send_webhook and second.attempts == 2
    assert finish_delivery(session, nid, now=NOW, error=None, final=False,
                           sent_any=True) == DELIVERED
    assert start_delivery(session, nid, now=NOW) is None


def test_a_delivery_with_no_channel_configured_is_in_app_only_and_a_last_failure_fails(
        session, make):
    admin = make.user("admin")
    a, b = (notify(session, "custom", agency_id=admin.agency_id, subject="S", body="B",
                   now=NOW)[0] for _ in range(2))
    start_delivery(session, a, now=NOW)
    assert finish_delivery(session, a, now=NOW, error=None, final=False, sent_any=False) == IN_APP
    start_delivery(session, b, now=NOW)
    assert finish_delivery(session, b, now=NOW, error="e-mail: refused", final=True,
                           sent_any=False) == FAILED


def test_lost_hand_offs_are_found_again_but_not_those_still_retrying(session, make):
    admin = make.user("admin")
    [old] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="", now=NOW)
    [retrying] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="",
                        now=NOW)
    start_delivery(session, retrying, now=NOW + timedelta(minutes=4))
    [fresh] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="",
                     now=NOW + timedelta(minutes=5))
    assert undelivered(session, now=NOW + timedelta(minutes=5)) == [old]
    assert fresh not in undelivered(session, now=NOW + timedelta(minutes=5))


def test_the_webhook_body_is_signed_with_hmac_sha256(session, make):
    import hashlib
    import hmac
    import json

    admin = make.user("admin")
    post = make.post(author=admin, accounts=[make.account()], status="scheduled")
    [nid] = notify(session, TARGET_FAILED, agency_id=admin.agency_id, subject="S", body="B",
                   now=NOW, post_id=post.id, target_id=post.targets[0].id)
    body = webhook_body(start_delivery(session, nid, now=NOW), "https://tenfour.example")
    payload = json.loads(body)
    assert payload["event"] == TARGET_FAILED and payload["post_id"] == post.id
    assert payload["url"] == f"https://tenfour.example/posts/{post.id}"
    assert payload["created_at"].endswith("Z")
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign(body, "s3cret") == f"sha256={expected}"
    assert PENDING_KEY in session.info


def test_a_pause_holding_due_posts_tells_each_author_once_per_post(session, make):
    from content_queue.pauses import create_pause, hold_paused_targets

    author, admin = make.user("pio"), make.user("admin")
    post = make.post(author=author, accounts=[make.account(), make.account()],
                     status="scheduled", at=NOW - timedelta(seconds=1))
    create_pause(session, actor=admin, agency_id=admin.agency_id,
                 reason="Line-of-duty death", now=NOW)
    held = hold_paused_targets(session, NOW)
    assert len(held) == 2
    found = rows(session, event="target_held")
    assert [r.user_id for r in found] == [author.id, admin.id]  # one per person, not per target
    assert found[0].post_id == post.id and "Line-of-duty death" in found[0].body
