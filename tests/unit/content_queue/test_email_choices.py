"""Each person chooses which notifications also reach them by e-mail (issue 11): an event they
turned off is in the app only (its e-mail marked not needed, the agency webhook still sent),
and an emergency-looking reply, or anything addressed to the on-duty contact, is always
e-mailed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from content_queue.approvals import POST_APPROVED
from content_queue.email_choices import (CHOOSABLE, EMAIL_CHOICES, muted_events,
                                         set_email_choices)
from content_queue.errors import ValidationFailed
from content_queue.feedback import REPLY_EMERGENCY
from content_queue.models import AuditEvent, Notification
from content_queue.notification_delivery import IN_APP, finish_delivery, start_delivery
from content_queue.notifications import TARGET_FAILED, TARGET_HELD, notify
from tests.unit.conftest import NOW


def _one(session, user, event, **extra):
    [nid] = notify(session, event, agency_id=user.agency_id, subject="S", body="B", now=NOW,
                   recipients=[user.id], **extra)
    return nid


def test_every_event_is_e_mailed_until_the_person_turns_it_off(session, make):
    user = make.user("pio")
    assert muted_events(user) == frozenset()
    assert start_delivery(session, _one(session, user, TARGET_FAILED), now=NOW).send_email


def test_an_event_turned_off_is_in_the_app_only_and_its_email_marked_not_needed(session, make):
    user = make.user("admin")
    set_email_choices(session, user, CHOOSABLE - {TARGET_HELD}, now=NOW)
    held, failed = _one(session, user, TARGET_HELD), _one(session, user, TARGET_FAILED)
    quiet = start_delivery(session, held, now=NOW)
    assert not quiet.send_email and quiet.send_webhook  # the webhook is the agency's
    assert session.get(Notification, held).email_muted is True
    assert start_delivery(session, failed, now=NOW).send_email
    assert finish_delivery(session, held, now=NOW, error=None, final=False,
                           sent_any=False) == IN_APP
    row = session.get(Notification, held)
    assert row.read_at is None and row.user_id == user.id  # the in-app notice stays, unread


def test_a_muted_email_stays_not_needed_on_a_retry_after_the_choice_changes(session, make):
    user = make.user("admin")
    set_email_choices(session, user, CHOOSABLE - {TARGET_FAILED}, now=NOW)
    nid = _one(session, user, TARGET_FAILED)
    start_delivery(session, nid, now=NOW)
    finish_delivery(session, nid, now=NOW, error="webhook: HTTP 500", final=False, sent_any=False)
    set_email_choices(session, user, CHOOSABLE, now=NOW)
    again = start_delivery(session, nid, now=NOW)
    assert not again.send_email and again.send_webhook and again.attempts == 2


def test_an_emergency_reply_is_always_e_mailed(session, make):
    user = make.user("admin")
    set_email_choices(session, user, [], now=NOW)  # everything off
    assert muted_events(user) == CHOOSABLE
    assert REPLY_EMERGENCY not in CHOOSABLE
    assert start_delivery(session, _one(session, user, REPLY_EMERGENCY), now=NOW).send_email


def test_an_email_to_the_on_duty_address_is_never_suppressed(session, make):
    user = make.user("admin")
    set_email_choices(session, user, [], now=NOW)
    nid = _one(session, user, TARGET_FAILED)
    session.get(Notification, nid).email_to = "shift-desk@metro911.gov"
    delivery = start_delivery(session, nid, now=NOW)
    assert delivery.send_email and delivery.email == "shift-desk@metro911.gov"


def test_one_persons_choice_does_not_change_anothers(session, make):
    quiet, other = make.user("admin"), make.user("admin")
    set_email_choices(session, quiet, CHOOSABLE - {POST_APPROVED}, now=NOW)
    [a, b] = notify(session, POST_APPROVED, agency_id=quiet.agency_id, subject="S", body="B",
                    now=NOW, recipients=[quiet.id, other.id])
    assert not start_delivery(session, a, now=NOW).send_email
    assert start_delivery(session, b, now=NOW).send_email


def test_choices_are_stored_as_the_events_turned_off_and_audited(session, make):
    user = make.user("pio")
    set_email_choices(session, user, CHOOSABLE - {TARGET_HELD, POST_APPROVED}, now=NOW)
    assert json.loads(user.email_muted_events) == sorted([POST_APPROVED, TARGET_HELD])
    set_email_choices(session, user, CHOOSABLE, now=NOW)
    assert user.email_muted_events is None
    entries = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.email_choices_updated").order_by(AuditEvent.id)).all()
    assert len(entries) == 2 and entries[0].entity_id == user.id


def test_unknown_events_are_refused_and_unreadable_stored_choices_mean_all_on(session, make):
    user = make.user("pio")
    with pytest.raises(ValidationFailed, match="Choose from the events"):
        set_email_choices(session, user, ["nonsense"], now=NOW)
    user.email_muted_events = "not json"
    assert muted_events(user) == frozenset()
    user.email_muted_events = json.dumps(["target_failed", "gone_event"])
    assert muted_events(user) == {"target_failed"}


def test_the_choices_cover_every_event_the_product_raises_but_emergencies():
    from content_queue import approvals, notifications
    raised = {notifications.TARGET_FAILED, notifications.TARGET_UNCONFIRMED,
              notifications.TARGET_HELD, notifications.ACCOUNT_RECONNECT_NEEDED,
              notifications.SCHEDULER_STALLED, notifications.POST_AWAITING_APPROVAL,
              approvals.POST_APPROVED,
              approvals.POST_REJECTED, approvals.POST_COMMENTED}
    assert {event for event, _ in EMAIL_CHOICES} == raised
