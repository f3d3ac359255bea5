"""What the tasks do, as plain functions of a :class:`Runtime` (testable without Celery)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

from sqlalchemy import select

from content_queue.accounts import mark_reconnect_needed, store_refreshed_credentials
from content_queue.engagement import (
    PollBatch,
    accounts_due_for_engagement,
    due_for_engagement,
    record_engagement,
    record_replies,
)
from content_queue.models import SocialAccount
from content_queue.ports import (
    AuthExpired,
    ConnectorError,
    PlatformConnector,
    PublishRequest,
    PublishResult,
    UnknownOutcome,
)
from content_queue.publishing import (
    Mode,
    PublishJob,
    fail_without_call,
    record_error,
    record_result,
    start_attempt,
)
from scheduler import find_stuck
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def publish_one(rt: Runtime, target_id: int) -> str:
    """Publish one claimed target at most once; returns what happened, for logs and tests."""
    with rt.db.session_scope() as session:
        job = start_attempt(session, target_id, now=utcnow(), media_url=rt.public_media_url)
    fields = {"target_id": target_id, "platform": job.platform, "account_id": job.account_id}
    if job.mode is Mode.SKIP:
        log.info("publish skipped: target not in publishing", extra=fields)
        return "skipped"
    if job.account_status == "reconnect_needed":
        with rt.db.session_scope() as session:
            fail_without_call(session, target_id, AuthExpired(
                "the account was disconnected by the platform."), now=utcnow())
        return "failed"
    connector = None
    try:
        connector = rt.connector(job.platform, job.handle, job.credentials_encrypted,
                                 job.api_base_url)
        request = PublishRequest(text=job.text, media=job.media,
                                 idempotency_key=job.idempotency_key)
        result = None
        if job.mode is Mode.RECONCILE:
            result = find_published(connector, job)
        if result is None:
            try:
                result = connector.publish(request)
            except UnknownOutcome:
                result = find_published(connector, job)
                if result is None:
                    raise
    except ConnectorError as error:
        with rt.db.session_scope() as session:
            save_refreshed_credentials(rt, session, job.account_id, connector)
            outcome = record_error(session, target_id, error, now=utcnow(),
                                   max_attempts=rt.settings.publish_max_attempts)
        log.warning("publish error %s: %s", error.code, error.message,
                    extra={**fields, "outcome": str(outcome)})
        return f"error:{error.code}"
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, job.account_id, connector)
        record_result(session, target_id, result, now=utcnow())
    log.info("published %s", result.permalink, extra=fields)
    return "reconciled" if job.mode is Mode.RECONCILE else "published"


def save_refreshed_credentials(rt: Runtime, session, account_id: int,
                               connector: PlatformConnector | None) -> None:
    fresh = getattr(connector, "refreshed_credentials", None)
    if fresh:
        store_refreshed_credentials(session, rt.cipher, account_id, fresh, now=utcnow())


def find_published(connector: PlatformConnector, job: PublishJob) -> PublishResult | None:
    """Look for this target's text among the account's recent posts (after an unknown outcome)."""
    since = (job.attempt_started_at or utcnow()) - timedelta(minutes=10)
    wanted = job.text.strip()
    for post in connector.recent_posts(since=since, limit=50):
        if post.text.strip() == wanted:
            return PublishResult(post.platform_post_id, post.permalink, post.created_at)
    return None


def poll_engagement_batches(rt: Runtime) -> list[int]:
    """Accounts with published posts worth polling."""
    with rt.db.session_scope(write=False) as session:
        return accounts_due_for_engagement(session, now=utcnow())


def poll_account(rt: Runtime, account_id: int) -> int:
    """Fetch metrics for an account's recent posts in one batched call; store a snapshot each."""
    with rt.db.session_scope(write=False) as session:
        batch = next(iter(due_for_engagement(session, now=utcnow(), account_id=account_id)),
                     None)
        account = session.get(SocialAccount, account_id)
        handle = account.handle if account else ""
    if batch is None:
        return 0
    connector = rt.connector(batch.platform, handle, batch.credentials_encrypted,
                             batch.api_base_url)
    try:
        metrics = connector.fetch_metrics(list(batch.targets))
        batch = batch.with_reply_counts(metrics)
    except ConnectorError as error:
        log.warning("engagement poll failed: %s", error.message, extra={"account_id": account_id})
        if isinstance(error, AuthExpired):
            with rt.db.session_scope() as session:
                mark_reconnect_needed(session, session.get(SocialAccount, account_id),
                                      error.message, now=utcnow())
        return 0
    replies = fetch_recent_replies(connector, batch)
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, account_id, connector)
        for target_id, found in replies.items():
            record_replies(session, target_id, found, now=utcnow())
        return record_engagement(session, batch, metrics, now=utcnow())


def fetch_recent_replies(connector: PlatformConnector, batch: PollBatch) -> dict[int, list]:
    """Replies to the account's posts that had any (one call per such post; a failure on one
    post skips it until the next poll instead of losing the metrics already fetched)."""
    found: dict[int, list] = {}
    for post_id in batch.with_replies:
        try:
            found[batch.targets[post_id]] = connector.fetch_replies(post_id)
        except ConnectorError as error:
            log.warning("replies not fetched: %s", error.message,
                        extra={"target_id": batch.targets[post_id]})
    return found


def reap_stuck_targets(rt: Runtime, enqueue: Callable[[Sequence[int]], None]) -> list[int]:
    """Hand on again targets whose publish task was lost (see scheduler.find_stuck)."""
    with rt.db.session_scope(write=False) as session:
        ids = find_stuck(session, utcnow(),
                         unsent_after=timedelta(seconds=rt.settings.stuck_after_seconds),
                         running_after=timedelta(seconds=360))
    if ids:
        log.warning("re-enqueueing %d stuck targets", len(ids), extra={"target_ids": ids})
        enqueue(ids)
    return ids


def accounts_to_check(rt: Runtime) -> list[int]:
    with rt.db.session_scope(write=False) as session:
        return list(session.scalars(
            select(SocialAccount.id).where(SocialAccount.status == "active")
            .order_by(SocialAccount.id)))


def check_account(rt: Runtime, account_id: int) -> str:
    """Ask the platform whether the account's credentials still work, so an account that needs
    reconnecting is flagged before a post fails on it (and renewable tokens get renewed)."""
    with rt.db.session_scope(write=False) as session:
        account = session.get(SocialAccount, account_id)
        if account is None or account.status != "active":
            return "skipped"
        platform, handle = account.platform, account.handle
        encrypted, base = account.credentials_encrypted, account.api_base_url
    connector = rt.connector(platform, handle, encrypted, base)
    try:
        info = connector.verify()
    except AuthExpired as error:
        with rt.db.session_scope() as session:
            mark_reconnect_needed(session, session.get(SocialAccount, account_id),
                                  error.message, now=utcnow())
        return "reconnect_needed"
    except ConnectorError as error:
        log.warning("account check inconclusive: %s", error.message,
                    extra={"account_id": account_id, "platform": platform})
        return "unknown"
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, account_id, connector)
        account = session.get(SocialAccount, account_id)
        if info.token_expires_at:
            account.token_expires_at = info.token_expires_at
    return "ok"
