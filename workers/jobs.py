"""What the tasks do, as plain functions of a :class:`Runtime` (testable without Celery)."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

from sqlalchemy import select

from content_queue.accounts import mark_reconnect_needed, store_refreshed_credentials
from content_queue.models import SocialAccount
from content_queue.pauses import hold_if_paused, pause_for_target
from content_queue.outcomes import (
    LOOKUP_LIMIT,
    Lookup,
    Verdict,
    judge_lookup,
    lookup_since,
    mark_unconfirmed,
)
from content_queue.ports import (
    AuthExpired,
    ConnectorError,
    PlatformConnector,
    PublishRequest,
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
from scheduler.tick import find_stuck, mark_handed_on
from workers.guard import refused_by_guard  # issue 10 guard
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def wait_until_due(due_at: datetime | None, *, clock: Callable[[], datetime] | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait out the last fraction of a second before a target's time.

    The scheduler claims about a second ahead and says when each target is due; waiting here
    (not with a Celery ETA) keeps the message short-lived, well inside Redis' visibility
    timeout, and a post never goes out before its time.
    """
    if due_at is None:
        return
    clock = clock or utcnow
    if due_at.microsecond % 1000:  # platforms stamp posts to the millisecond: round up to it
        due_at += timedelta(microseconds=1000 - due_at.microsecond % 1000)
    while (left := (due_at - clock()).total_seconds()) > 0:
        sleep(min(left, 1.0))


def publish_one(rt: Runtime, target_id: int, *, due_at: datetime | None = None) -> str:
    """Publish one claimed target at most once; returns what happened, for logs and tests.

    ``due_at`` (from a claim made ahead of time) is waited for right before the platform call.
    """
    with rt.db.session_scope() as session:
        job = start_attempt(session, target_id, now=utcnow(), media_url=rt.public_media_url,
                            presumed_dead_after=timedelta(
                                seconds=rt.settings.stuck_running_after_seconds))
    fields = {"target_id": target_id, "platform": job.platform, "account_id": job.account_id}
    if job.mode is Mode.SKIP:
        log.info("publish skipped: target not in publishing, or another delivery has it",
                 extra=fields)
        return "skipped"
    if job.account_status == "reconnect_needed":
        with rt.db.session_scope() as session:
            fail_without_call(session, target_id, AuthExpired(
                "the account was disconnected by the platform."), now=utcnow())
        return "failed"
    if job.mode is Mode.PUBLISH and refused_by_guard(rt, target_id):  # issue 10 guard
        return "failed"
    wait_until_due(due_at)
    if job.mode is Mode.PUBLISH and held_by_pause(rt, target_id, fields):
        return "held"
    connector = None
    try:
        connector = rt.connector(job.platform, job.handle, job.credentials_encrypted,
                                 job.api_base_url)
        request = PublishRequest(text=job.text, media=job.media,
                                 idempotency_key=job.idempotency_key)
        result = None
        if job.mode is Mode.RECONCILE:
            lookup, problem = look_up(connector, job)
            if lookup.verdict is Verdict.FOUND:
                result = lookup.result
            elif problem:
                return _unconfirmed(rt, job, connector, fields,
                                    "an earlier attempt ended without an answer from the "
                                    f"platform, and {problem}.")
        if result is None:
            try:
                result = connector.publish(request)
            except UnknownOutcome as error:
                lookup, problem = look_up(connector, job)
                if lookup.verdict is Verdict.FOUND:
                    result = lookup.result
                elif problem:
                    return _unconfirmed(rt, job, connector, fields,
                                        f"the call ended without an answer "
                                        f"({error.message.rstrip('.')}), and {problem}.")
                else:
                    raise  # the look-up saw every post since: not there, so retry later
    except ConnectorError as error:
        with rt.db.session_scope() as session:
            save_refreshed_credentials(rt, session, job.account_id, connector)
            outcome = record_error(session, target_id, error, now=utcnow(),
                                   max_attempts=rt.settings.publish_max_attempts,
                                   backoff_seconds=rt.settings.retry_backoff_seconds)
        log.warning("publish error %s: %s", error.code, error.message,
                    extra={**fields, "outcome": str(outcome)})
        return f"error:{error.code}"
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, job.account_id, connector)
        record_result(session, target_id, result, now=utcnow())
    log.info("published %s", result.permalink, extra=fields)
    return "reconciled" if job.mode is Mode.RECONCILE else "published"


def held_by_pause(rt: Runtime, target_id: int, fields: dict) -> bool:
    """The last look before the platform call: a pause started after the claim holds the
    target too. Only a first attempt is held (a reconcile must look at the platform first).
    A read, and a write only when a pause covers the target."""
    with rt.db.session_scope(write=False) as session:
        if pause_for_target(session, target_id) is None:
            return False
    with rt.db.session_scope() as session:
        pause = hold_if_paused(session, target_id, utcnow())
    if pause is None:
        return False
    log.info("held by incident pause %s", pause.id, extra={**fields, "pause_id": pause.id})
    return True


def _unconfirmed(rt: Runtime, job: PublishJob, connector: PlatformConnector | None,
                 fields: dict, cause: str) -> str:
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, job.account_id, connector)
        mark_unconfirmed(session, job.target_id, cause=cause, now=utcnow())
    log.warning("publish outcome unconfirmed: %s", cause, extra=fields)
    return "unconfirmed"


def save_refreshed_credentials(rt: Runtime, session, account_id: int,
                               connector: PlatformConnector | None) -> None:
    fresh = getattr(connector, "refreshed_credentials", None)
    if fresh:
        store_refreshed_credentials(session, rt.cipher, account_id, fresh, now=utcnow())


def look_up(connector: PlatformConnector, job: PublishJob) -> tuple[Lookup, str]:
    """Look for this target's text among the account's recent posts after an unknown outcome.

    Returns the verdict and, when it is not conclusive, why (in words for the PIO's message).
    """
    started = job.attempt_started_at or utcnow()
    try:
        posts = connector.recent_posts(since=lookup_since(started), limit=LOOKUP_LIMIT)
    except NotImplementedError:
        return Lookup(Verdict.INCONCLUSIVE), "this platform offers no way to look it up"
    except ConnectorError as error:
        return (Lookup(Verdict.INCONCLUSIVE),
                f"looking it up among the account's recent posts failed too "
                f"({error.message.rstrip('.')})")
    lookup = judge_lookup(posts, text=job.text, attempt_started_at=started)
    if lookup.verdict is Verdict.INCONCLUSIVE:
        return lookup, ("the account has posted too often since then for its recent posts to "
                        "show whether this one is among them")
    return lookup, ""


def reap_stuck_targets(rt: Runtime, enqueue: Callable[[Sequence[int]], None]) -> list[int]:
    """Hand on again targets whose publish task was lost (see scheduler.find_stuck): the
    enqueue failed after the claim committed, Redis lost the message (a restart), or the worker
    died. A duplicate message is harmless: the delivery that does not win the stamp skips."""
    now = utcnow()
    with rt.db.session_scope(write=False) as session:
        ids = find_stuck(session, now,
                         unsent_after=timedelta(seconds=rt.settings.stuck_after_seconds),
                         running_after=timedelta(seconds=rt.settings.stuck_running_after_seconds))
    if ids:
        log.warning("re-enqueueing %d stuck targets", len(ids), extra={"target_ids": ids})
        enqueue(ids)
        with rt.db.session_scope() as session:
            mark_handed_on(session, ids, now)
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
