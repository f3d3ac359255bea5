"""Delivery bookkeeping for notifications: what a delivery attempt must send, what it sent, and
the signed JSON the agency webhook receives. The sending itself (SMTP, HTTP) is the worker's
(:mod:`workers.notify_delivery`); this module only reads and writes rows.

Each channel is stamped the moment it succeeds (``email_sent_at``, ``webhook_sent_at``), so a
retry after the webhook failed does not send the e-mail again. An e-mail the recipient turned
off (:mod:`content_queue.email_choices`) is marked not needed (``email_muted``) at the first
attempt and never sent; the in-app notice and the webhook are not affected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from content_queue.email_choices import email_wanted
from content_queue.models import Notification

#: delivery_state values
PENDING, DELIVERED, FAILED, IN_APP = "pending", "delivered", "failed", "in_app"
SIGNATURE_HEADER = "X-Tenfour-Signature"


@dataclass(frozen=True)
class Delivery:
    id: int
    event: str
    agency_id: int
    subject: str
    body: str
    post_id: int | None
    target_id: int | None
    account_id: int | None
    created_at: datetime
    email: str
    recipient_name: str
    send_email: bool
    send_webhook: bool
    attempts: int


def start_delivery(session: Session, notification_id: int, *, now: datetime) -> Delivery | None:
    """Count an attempt; None when there is nothing left to send."""
    row = session.get(Notification, notification_id)
    if row is None or row.delivery_state != PENDING:
        return None
    row.delivery_attempts += 1
    row.last_attempt_at = now
    user = row.user
    if row.email_sent_at is None and not row.email_muted and not email_wanted(row, user):
        row.email_muted = True  # the person turned this event off by e-mail: not needed
    return Delivery(
        id=row.id, event=row.event, agency_id=row.agency_id, subject=row.subject, body=row.body,
        post_id=row.post_id, target_id=row.target_id, account_id=row.account_id,
        created_at=row.created_at, email=(row.email_to or user.email) if user.active else "",
        recipient_name=user.display_name or user.email,
        send_email=row.email_sent_at is None and not row.email_muted,
        send_webhook=row.sends_webhook and row.webhook_sent_at is None,
        attempts=row.delivery_attempts)


def record_sent(session: Session, notification_id: int, channel: str, *, now: datetime) -> None:
    row = session.get(Notification, notification_id)
    if row is None:
        return
    if channel == "email":
        row.email_sent_at = now
    elif channel == "webhook":
        row.webhook_sent_at = now
    else:
        raise ValueError(f"unknown channel {channel!r}")


def finish_delivery(session: Session, notification_id: int, *, now: datetime,
                    error: str | None, final: bool, sent_any: bool) -> str:
    """Settle the row after an attempt; returns its delivery state."""
    row = session.get(Notification, notification_id)
    if row is None:
        return FAILED
    if error is None:
        row.delivery_state = DELIVERED if (sent_any or row.email_sent_at or row.webhook_sent_at) \
            else IN_APP
        row.delivered_at = now
        row.delivery_error = None
    else:
        row.delivery_error = error[:2000]
        if final:
            row.delivery_state = FAILED
    return row.delivery_state


def undelivered(session: Session, *, now: datetime, older_than: timedelta = timedelta(minutes=2),
                within: timedelta = timedelta(days=1), limit: int = 200) -> list[int]:
    """Pending rows whose hand-off to a worker was lost (created by a process that does not
    enqueue, or the broker was away), oldest first. A row attempted in the last 10 minutes is
    still in its retries and is left alone."""
    return list(session.scalars(
        select(Notification.id).where(
            Notification.delivery_state == PENDING,
            Notification.created_at <= now - older_than,
            Notification.created_at >= now - within,
            or_(Notification.last_attempt_at.is_(None),
                Notification.last_attempt_at <= now - timedelta(minutes=10)))
        .order_by(Notification.created_at, Notification.id).limit(limit)))


def notification_url(base_url: str, delivery: Delivery) -> str:
    """Where a person acts on it: the post's page, the accounts page, or the list."""
    if delivery.post_id is not None:
        return f"{base_url}/posts/{delivery.post_id}"
    if delivery.account_id is not None:
        return f"{base_url}/accounts"
    return f"{base_url}/notifications"


def webhook_body(delivery: Delivery, base_url: str) -> bytes:
    payload = {
        "event": delivery.event,
        "agency_id": delivery.agency_id,
        "subject": delivery.subject,
        "body": delivery.body,
        "post_id": delivery.post_id,
        "target_id": delivery.target_id,
        "account_id": delivery.account_id,
        "created_at": delivery.created_at.isoformat().replace("+00:00", "Z"),
        "url": notification_url(base_url, delivery),
        "notification_id": delivery.id,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
