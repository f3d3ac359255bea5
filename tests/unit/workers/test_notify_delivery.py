"""The worker's side of notifications: an attempt sends only what is configured and not yet
sent, a failing channel retries (short countdowns, no long ETAs) and the last attempt gives
up with the reason; the claim watch raises "scheduled posts are not going out" once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.delivery_settings import channel_settings, refuse_inside_network
from content_queue.models import Notification
from content_queue.notifications import notify
from tests.unit.conftest import NOW
from workers import notify_delivery
from workers.notify_delivery import (
    DeliveryFailed,
    WebhookRefused,
    deliver,
    retry_countdown,
    watch_claiming,
)


@dataclass
class FakeSettings:
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "tenfour@localhost"
    smtp_starttls: bool = False
    webhook_url: str = ""
    webhook_secret: str = "s"
    public_base_url: str = "https://tenfour.example"
    scheduler_stall_seconds: float = 180.0
    agency_delivery_allowed_hosts: tuple[str, ...] = ()


@dataclass
class FakeRuntime:
    db: object
    settings: FakeSettings


def _row(session, nid) -> Notification:
    session.expire_all()
    return session.get(Notification, nid)


def test_retries_back_off_from_a_second_to_at_most_two_minutes():
    assert [retry_countdown(n) for n in range(5)] == [1, 2, 4, 8, 16]
    assert retry_countdown(20) == 120


def test_with_nothing_configured_a_notification_stays_in_the_app_only(
        session, make, rolled_back_db):
    admin = make.user("admin")
    [nid] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="B", now=NOW)
    session.commit()
    assert deliver(FakeRuntime(rolled_back_db, FakeSettings()), nid, final=False) == "in_app"
    assert deliver(FakeRuntime(rolled_back_db, FakeSettings()), nid, final=False) == "skipped"


def test_a_refused_webhook_retries_and_the_last_attempt_gives_up_with_the_reason(
        session, make, rolled_back_db, monkeypatch):
    admin = make.user("admin")
    [nid] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="B", now=NOW)
    session.commit()
    calls = []

    def refuse(settings, delivery):
        calls.append(delivery.id)
        raise WebhookRefused("the webhook answered HTTP 500")

    monkeypatch.setattr(notify_delivery, "post_webhook", refuse)
    rt = FakeRuntime(rolled_back_db, FakeSettings(webhook_url="https://hooks.example/t"))
    with pytest.raises(DeliveryFailed, match="HTTP 500"):
        deliver(rt, nid, final=False)
    assert _row(session, nid).delivery_state == "pending"
    assert deliver(rt, nid, final=True) == "failed"
    row = _row(session, nid)
    assert row.delivery_attempts == 2 and "HTTP 500" in row.delivery_error
    assert calls == [nid, nid]


def test_a_sent_email_is_not_sent_again_when_the_webhook_is_retried(
        session, make, rolled_back_db, monkeypatch):
    admin = make.user("admin")
    [nid] = notify(session, "custom", agency_id=admin.agency_id, subject="S", body="B", now=NOW)
    session.commit()
    sent, hooks = [], iter([WebhookRefused("HTTP 502"), None])

    def hook(settings, delivery):
        outcome = next(hooks)
        if outcome:
            raise outcome

    monkeypatch.setattr(notify_delivery, "send_email", lambda s, d: sent.append(d.email))
    monkeypatch.setattr(notify_delivery, "post_webhook", hook)
    rt = FakeRuntime(rolled_back_db, FakeSettings(smtp_host="smtp.example",
                                                  webhook_url="https://hooks.example/t"))
    with pytest.raises(DeliveryFailed):
        deliver(rt, nid, final=False)
    assert deliver(rt, nid, final=False) == "delivered"
    assert sent == [admin.email]


def test_due_posts_left_unclaimed_raise_one_notice_per_episode(session, make, rolled_back_db):
    admin = make.user("admin")
    make.post(author=admin, accounts=[make.account()], status="scheduled",
              at=NOW - timedelta(minutes=10))
    session.commit()
    rt = FakeRuntime(rolled_back_db, FakeSettings())
    first = watch_claiming(rt, now=NOW)
    again = watch_claiming(rt, now=NOW + timedelta(seconds=30))
    assert len(first) == 1 and again == []
    session.expire_all()
    notice = session.scalars(select(Notification).where(Notification.id == first[0])).one()
    assert notice.event == "scheduler_stalled" and notice.user_id == admin.id


def test_an_agency_server_inside_the_network_is_not_contacted(session, make, rolled_back_db,
                                                              monkeypatch):
    """Saved when it was allowed (or when its name still resolved elsewhere): checked again at
    the send, and the channel fails with the reason instead."""
    admin = make.user("admin")
    agency = make.agency()
    agency.smtp_host, agency.smtp_from = "127.0.0.1", "alerts@metro911.gov"
    agency.webhook_url = "http://10.0.0.7/hook"
    nid = notify(session, "target_failed", agency_id=admin.agency_id, subject="s", body="b",
                 now=NOW, recipients=[admin.id])[0]
    session.commit()
    contacted = []
    monkeypatch.setattr(notify_delivery, "send_email", lambda s, d: contacted.append("email"))
    monkeypatch.setattr(notify_delivery, "post_webhook", lambda s, d: contacted.append("hook"))
    rt = FakeRuntime(rolled_back_db, FakeSettings())
    assert deliver(rt, nid, final=True) == "failed"
    assert contacted == []
    row = session.get(Notification, nid)
    session.refresh(row)
    assert "email: 127.0.0.1 is an address inside the network" in row.delivery_error
    assert "webhook: 10.0.0.7 is an address inside the network" in row.delivery_error
    allowed = FakeRuntime(rolled_back_db, FakeSettings(
        agency_delivery_allowed_hosts=("127.0.0.1", "10.0.0.7")))
    assert refuse_inside_network(
        channel_settings(agency, allowed.settings, lambda: None),
        allowed.settings.agency_delivery_allowed_hosts)[1] is None
