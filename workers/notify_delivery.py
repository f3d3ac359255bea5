"""Sending notifications (e-mail over SMTP, the agency webhook over HTTP) and the watches that
raise them when nothing else would: due posts nobody claims, deliveries whose hand-off was lost.

Each notification goes through its agency's own SMTP server and webhook when the agency set
them, else the installation's (:mod:`content_queue.delivery_settings`). A delivery attempt
sends each configured channel that has not yet succeeded for the row; any
failure makes the task retry with backoff (:func:`retry_countdown`), and the last attempt
settles the row as ``failed`` with the reason. Sending is outside any transaction.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from dataclasses import replace
from typing import Callable, Sequence

from content_queue.crypto import CredentialsUnreadable
from content_queue.delivery_settings import (ChannelSettings, channel_settings,
                                             refuse_inside_network)
from content_queue.models import Agency
from content_queue.notification_delivery import (
    SIGNATURE_HEADER,
    Delivery,
    finish_delivery,
    notification_url,
    record_sent,
    sign,
    start_delivery,
    undelivered,
    webhook_body,
)
from content_queue.notifications import notify_scheduler_stalled
from scheduler.watch import overdue_by_agency
from workers.runtime import Runtime

log = logging.getLogger("tenfour.notify")

MAX_RETRIES = 5
SEND_TIMEOUT = 10.0


class DeliveryFailed(Exception):
    """A channel failed this time; the task retries."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def retry_countdown(retries: int) -> int:
    """1, 2, 4, 8, 16 s … at most 2 minutes (no long ETAs on Redis: see workers.app)."""
    return min(2 ** retries, 120)


def deliver(rt: Runtime, notification_id: int, *, final: bool) -> str:
    """One delivery attempt; raises :class:`DeliveryFailed` when a channel failed and this is
    not the ``final`` attempt. Returns the row's delivery state."""
    with rt.db.session_scope() as session:
        delivery = start_delivery(session, notification_id, now=utcnow())
        if delivery is not None:
            settings, unreadable = _agency_settings(rt, session, delivery.agency_id)
    if delivery is None:
        return "skipped"
    # outside the transaction: this may resolve names
    settings, inside = refuse_inside_network(settings, rt.settings.agency_delivery_allowed_hosts)
    fields = {"notification_id": notification_id, "event": delivery.event,
              "target_id": delivery.target_id, "account_id": delivery.account_id}
    errors: list[str] = [e for e in (unreadable, inside) if e]
    sent_any = False
    channels: list[tuple[str, Callable[[], None]]] = []
    if delivery.send_email and settings.smtp_host and delivery.email:
        channels.append(("email", lambda: send_email(settings, delivery)))
    if delivery.send_webhook and settings.webhook_url:
        channels.append(("webhook", lambda: post_webhook(settings, delivery)))
    for channel, send in channels:
        try:
            send()
        except (smtplib.SMTPException, OSError, WebhookRefused) as exc:
            errors.append(f"{channel}: {exc}")
            continue
        sent_any = True
        with rt.db.session_scope() as session:
            record_sent(session, notification_id, channel, now=utcnow())
    error = "; ".join(errors) or None
    with rt.db.session_scope() as session:
        state = finish_delivery(session, notification_id, now=utcnow(), error=error,
                                final=final, sent_any=sent_any)
    if error and not final:
        log.warning("notification delivery failed, will retry: %s", error, extra=fields)
        raise DeliveryFailed(error)
    if error:
        log.error("notification delivery gave up: %s", error, extra=fields)
    return state


def _agency_settings(rt: Runtime, session, agency_id: int) -> tuple[ChannelSettings, str | None]:
    """The agency's own SMTP server and webhook, or the installation's
    (:func:`content_queue.delivery_settings.channel_settings`). A secret no configured key opens
    (a key dropped before ``tenfour keys rotate``) is a delivery error naming it, and nothing is
    sent through the installation's settings instead: that would send one agency's alerts
    through a server it did not choose."""
    agency = session.get(Agency, agency_id)
    try:
        return channel_settings(agency, rt.settings, lambda: rt.cipher), None
    except CredentialsUnreadable:
        return (replace(channel_settings(None, rt.settings, lambda: rt.cipher),
                        smtp_host="", webhook_url=""),
                "settings: the agency's SMTP password or webhook secret cannot be decrypted "
                "with the configured keys; an admin must enter it again")


def send_email(settings: ChannelSettings, delivery: Delivery) -> None:
    message = EmailMessage()
    message["Subject"] = f"[Tenfour] {delivery.subject}"
    message["From"] = settings.smtp_from
    message["To"] = delivery.email
    message.set_content(f"{delivery.body}\n\n{notification_url(settings.public_base_url, delivery)}"
                        "\n\n— Tenfour (you get this as the post's author or an admin)\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SEND_TIMEOUT) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


class WebhookRefused(Exception):
    """The webhook answered with a status other than 2xx."""


def post_webhook(settings: ChannelSettings, delivery: Delivery) -> None:
    body = webhook_body(delivery, settings.public_base_url)
    headers = {"Content-Type": "application/json", "User-Agent": "Tenfour-Webhook/1",
               "X-Tenfour-Event": delivery.event}
    if settings.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(body, settings.webhook_secret)
    request = urllib.request.Request(settings.webhook_url, data=body, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise WebhookRefused(f"the webhook answered HTTP {exc.code}") from None


# --- watches (run periodically by the scheduler loop) -----------------------------------------


def watch_claiming(rt: Runtime, *, now: datetime | None = None) -> list[int]:
    """Notify each agency whose due posts have waited past SCHEDULER_STALL_SECONDS unclaimed
    (once per episode); returns the notification ids (handed on after the commit)."""
    now = now or utcnow()
    older_than = timedelta(seconds=rt.settings.scheduler_stall_seconds)
    with rt.db.session_scope(write=False) as session:
        overdue = overdue_by_agency(session, now, older_than=older_than)
    ids: list[int] = []
    if overdue:
        with rt.db.session_scope() as session:
            for agency_id, oldest, waiting in overdue:
                found = notify_scheduler_stalled(session, agency_id, oldest_due=oldest,
                                                 waiting=waiting, now=now)
                if found:
                    log.error("%d due posts are not being claimed; the oldest is from %s",
                              waiting, oldest.isoformat(), extra={"agency_id": agency_id})
                ids.extend(found)
    return ids


def resend_undelivered(rt: Runtime, enqueue: Callable[[Sequence[int]], None]) -> list[int]:
    """Hand on again pending deliveries whose message never reached a worker."""
    with rt.db.session_scope(write=False) as session:
        ids = undelivered(session, now=utcnow())
    if ids:
        log.warning("re-sending %d undelivered notifications", len(ids))
        enqueue(ids)
    return ids
