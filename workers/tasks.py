"""Thin Celery tasks: take an id, call one function, let it decide.

Declared with ``shared_task`` so they bind to the app :func:`workers.app.create_celery` built in
this process; importing this module reads no settings.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Sequence

from celery import current_app, shared_task

from workers.engagement import poll_account, poll_engagement_batches
from workers.feedback_jobs import poll_account_replies, reply_poll_accounts
from workers.jobs import (
    accounts_to_check,
    check_account,
    publish_many,
    publish_one,
    reap_stuck_targets,
)
from workers.notify_delivery import MAX_RETRIES, DeliveryFailed, deliver, retry_countdown
from workers.queues import PUBLISH_QUEUE
from workers.runtime import get_runtime

log = logging.getLogger("tenfour.worker")


@shared_task(name="tenfour.publish_target")
def publish_target(target_id: int, due_at: str | None = None) -> str:
    due = datetime.fromisoformat(due_at) if due_at else None
    return publish_one(get_runtime(), target_id, due_at=due)


@shared_task(name="tenfour.publish_targets")
def publish_targets(items: list) -> list[str]:
    """A chunk of claimed targets, ``[[target_id, due_at_iso_or_null], ...]``, published in the
    order they are due (see :func:`enqueue_publish`)."""
    return publish_many(get_runtime(), [
        (int(target_id), datetime.fromisoformat(due) if due else None)
        for target_id, due in items])


@shared_task(name="tenfour.poll_engagement")
def poll_engagement() -> int:
    accounts = poll_engagement_batches(get_runtime())
    for account_id in accounts:
        poll_account_engagement.delay(account_id)
    return len(accounts)


@shared_task(name="tenfour.poll_account_engagement")
def poll_account_engagement(account_id: int) -> int:
    return poll_account(get_runtime(), account_id)


@shared_task(name="tenfour.poll_replies")
def poll_replies() -> int:
    """issue 9: replies on young posts, one task per account (see workers.feedback_jobs)."""
    accounts = reply_poll_accounts(get_runtime())
    for account_id in accounts:
        poll_one_account_replies.delay(account_id)
    return len(accounts)


@shared_task(name="tenfour.poll_account_replies")
def poll_one_account_replies(account_id: int) -> int:
    return poll_account_replies(get_runtime(), account_id)


@shared_task(name="tenfour.reap_stuck")
def reap_stuck() -> list[int]:
    return reap_stuck_targets(get_runtime(), enqueue_publish, backlog=publish_backlog)


@shared_task(name="tenfour.check_accounts")
def check_accounts() -> int:
    ids = accounts_to_check(get_runtime())
    for account_id in ids:
        check_one_account.delay(account_id)
    return len(ids)


@shared_task(name="tenfour.check_account")
def check_one_account(account_id: int) -> str:
    return check_account(get_runtime(), account_id)


#: At most this many targets in one publish message, all due within CHUNK_WINDOW of the first
#: (a chunk's accounts publish side by side, each account's posts one after another). Each
#: message costs a stamping and a results transaction, whatever its size: with two worker
#: processes on SQLite's one write lock, a burst of 10,000 went 57-61% of the ceiling with
#: chunks of 16, 77-80% with 32 and 80-84% with 64 (bench/burst.py --worker-processes 2).
PUBLISH_CHUNK = 64
#: At most this many of one account's targets in one message: an account's posts go out one
#: after another, so a platform that stops answering (5 s for each connect timeout) holds a
#: message no longer than it did with chunks of 16, far inside the task's time limit.
PER_ACCOUNT_IN_CHUNK = 16
CHUNK_WINDOW = timedelta(milliseconds=250)
#: A message due this far ahead waits in the worker's timer (a Celery ETA, never more than
#: MAX_ETA ahead: far inside Redis' visibility timeout), not in a pool thread.
MIN_ETA = timedelta(milliseconds=20)
MAX_ETA = timedelta(seconds=2)
#: A chunk starts this long before its first target is due: its stamping transaction and the
#: guard's last look (tens of milliseconds on SQLite under load) are done by then, and the
#: worker waits the rest. Starting at the due instant made every first target that late.
PREPARE_LEAD = timedelta(milliseconds=200)


def _due(target) -> datetime | None:
    return getattr(target, "due_at", None)


def publish_chunks(target_ids: Sequence[int]) -> list[list[int]]:
    """Split claimed ids into publish messages, in the order they are due (then by id): at most
    ``PUBLISH_CHUNK`` each, each due within ``CHUNK_WINDOW`` of its first, and at most
    ``PER_ACCOUNT_IN_CHUNK`` of one account (when the id says its account). Fewer, fuller
    messages are what makes a worker fast: each costs a few transactions, whatever its size
    (on 2 CPUs, a message per target held a steady 83 posts/s to 25)."""
    ordered = sorted(target_ids, key=lambda t: (_due(t) is not None, _due(t) or 0, int(t)))
    chunks: list[list[int]] = []
    per_account: list[dict[int, int]] = []
    first = 0  # chunks before this one no longer cover the targets still to place
    room: dict[int | None, int] = {}  # per account: the first chunk that may still take it
    for target in ordered:
        while first < len(chunks) and not _same_window(chunks[first][0], target):
            first += 1
        account = getattr(target, "account_id", None)
        i = max(first, room.get(account, first))
        while i < len(chunks) and (len(chunks[i]) >= PUBLISH_CHUNK or (
                account is not None and per_account[i].get(account, 0) >= PER_ACCOUNT_IN_CHUNK)):
            i += 1
        if i == len(chunks):
            chunks.append([])
            per_account.append({})
        chunks[i].append(target)
        if account is not None:
            per_account[i][account] = per_account[i].get(account, 0) + 1
        room[account] = i
    return chunks


def _same_window(first, target) -> bool:
    start, due = _due(first), _due(target)
    if start is None or due is None:
        return start is None and due is None
    return due - start <= CHUNK_WINDOW


def chunk_eta(chunk: Sequence[int], now: datetime) -> datetime | None:
    """When the worker should start a message: ``PREPARE_LEAD`` before its first target's due
    instant, if that is a little (``MIN_ETA`` to ``MAX_ETA``) ahead; otherwise at once."""
    dues = [d for d in map(_due, chunk) if d is not None]
    if not dues:
        return None
    start = min(dues) - PREPARE_LEAD
    return start if MIN_ETA < start - now <= MAX_ETA else None


def publish_backlog() -> int:
    """Messages waiting in the publish queue (not yet taken by a worker)."""
    with current_app.connection_for_read() as conn:
        return conn.default_channel.queue_declare(queue=PUBLISH_QUEUE).message_count


def enqueue_publish(target_ids: Sequence[int]) -> None:
    """Send the claimed targets to the workers in chunks, over one broker connection.

    The scheduler hands ids on as soon as a claim commits (up to ``CLAIM_BATCH_SIZE``; a full
    claim makes the loop claim again at once). Each id carries its target's due instant when
    the claim was made ahead (see ``scheduler.DueTarget``). A message per chunk of up to
    ``PUBLISH_CHUNK`` targets due together, not one per target: a burst of 10,000 is 157
    messages, each stamped, checked and recorded in a few transactions, its accounts calling
    their platforms side by side (see :func:`workers.jobs.publish_many`). A message claimed ahead carries its first target's due
    instant as a short ETA, so it waits in the worker's timer, not in a publishing thread, and
    the worker waits the last fraction of a second for each target itself. A killed worker
    hands its chunk back whole; each target's stamp decides, on its own, whether the
    redelivery posts, skips or reconciles it.
    """
    now = datetime.now(timezone.utc)
    with current_app.producer_or_acquire() as producer:
        for chunk in publish_chunks(target_ids):
            publish_targets.apply_async(([
                (int(t), _due(t).isoformat() if _due(t) else None) for t in chunk],),
                producer=producer, eta=chunk_eta(chunk, now))


@shared_task(name="tenfour.deliver_notification", bind=True, max_retries=MAX_RETRIES)
def deliver_notification(self, notification_id: int) -> str:
    try:
        return deliver(get_runtime(), notification_id,
                       final=self.request.retries >= self.max_retries)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries))


def enqueue_notifications(notification_ids: Sequence[int]) -> None:
    """Hand new notifications to the workers (called after the commit that recorded them).
    A broker outage is logged, not raised: the rows are saved and the scheduler's watch sends
    them again (content_queue.notification_delivery.undelivered)."""
    try:
        with current_app.producer_or_acquire() as producer:
            for notification_id in notification_ids:
                deliver_notification.apply_async((int(notification_id),), producer=producer)
    except Exception as exc:  # noqa: BLE001 - any broker error: the watch re-sends
        log.warning("could not hand on %d notifications (%s: %s); they are sent later",
                    len(notification_ids), type(exc).__name__, exc)
