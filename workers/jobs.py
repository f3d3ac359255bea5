"""What the tasks do, as plain functions of a :class:`Runtime` (testable without Celery)."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from datetime import datetime, timedelta, timezone
from dataclasses import replace
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.accounts import mark_reconnect_needed, store_refreshed_credentials
from content_queue.engagement_schedule import DEFAULT_OFFSETS, schedule_targets
from content_queue.models import SocialAccount
from content_queue.pauses import any_pause_active, hold_if_paused, pause_for_target
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
    PublishResult,
    RateLimited,
    UnknownOutcome,
)
from content_queue.publishing import (
    Mode,
    PublishJob,
    fail_without_call,
    record_error,
    record_results,
    read_attempts,
    restamp,
    stamp_attempts,
)
from scheduler.tick import find_stuck, mark_handed_on
from workers.guard import refuse_sensitive, sensitive_refusals  # issue 10 guard
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def engagement_offsets(rt: Runtime) -> tuple[timedelta, ...]:
    """When published targets are polled for engagement (ENGAGEMENT_POLL_AFTER)."""
    return tuple(getattr(rt.settings, "engagement_poll_after", None) or DEFAULT_OFFSETS)


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
    return publish_many(rt, [(target_id, due_at)])[0]


#: Results a chunk keeps before writing them (or this many seconds after the first one): a
#: whole chunk's (``workers.tasks.PUBLISH_CHUNK``), so a burst's chunk writes its results once.
FLUSH_EVERY = 64
FLUSH_AFTER_SECONDS = 0.5
#: A chunk renews the stamps of its unsent targets when they are this share of
#: STUCK_RUNNING_AFTER_SECONDS old, long before the reaper would take them for abandoned.
RESTAMP_SHARE = 0.25


def publish_many(rt: Runtime, items: Sequence[tuple[int, datetime | None]]) -> list[str]:
    """Publish a chunk of claimed targets, each at most once, in the order they are due.

    A read transaction gathers what the chunk needs (:func:`content_queue.publishing.
    read_attempts`) and asks the guard about it; one short write transaction then stamps the
    chunk (:func:`content_queue.publishing.stamp_attempts`) and fails the targets the guard
    refuses or whose account needs reconnecting (on SQLite the write lock is one per database:
    it is held for the stamps, not for building the jobs). The platform calls follow, each
    waiting for its due instant and checking for an incident pause right before: one
    account's one after another, different accounts side by side on the runtime's call pool.
    The results are written together, a few at a time.
    Returns what happened to each item, in the given order.
    """
    items = [(int(i), d) for i, d in items]
    due_of: dict[int, datetime | None] = {}
    for target_id, due in items:  # an id given twice waits for the later instant: never early
        known = due_of.get(target_id)
        due_of[target_id] = due if known is None else max(known, due or known)
    ids = list(due_of)
    settings = rt.settings
    stamped_at = utcnow()
    outcomes: dict[int, str] = {}
    with rt.db.session_scope(write=False) as session:
        read = read_attempts(session, ids, media_url=rt.public_media_url)
        refusals = sensitive_refusals(session, [
            i for i, job in read.fresh.items()
            if job.mode is Mode.PUBLISH and job.account_status != "reconnect_needed"])
    with rt.db.session_scope() as session:
        jobs = stamp_attempts(session, read, now=stamped_at, media_url=rt.public_media_url,
                              presumed_dead_after=timedelta(
                                  seconds=settings.stuck_running_after_seconds))
        for job in jobs.values():
            if job.mode is Mode.SKIP:
                log.info("publish skipped: target not in publishing, or another delivery has "
                         "it", extra={"target_id": job.target_id})
                outcomes[job.target_id] = "skipped"
        live = sorted((j for j in jobs.values() if j.mode is not Mode.SKIP),
                      key=lambda j: (_sort_key(due_of[j.target_id]), j.target_id))
        live = _fail_before_call(session, live, refusals, outcomes, now=stamped_at)
    groups: dict[int, list[PublishJob]] = {}
    for job in live:  # an account's posts go out one after another, accounts side by side
        groups.setdefault(job.account_id, []).append(job)
    # With accounts side by side, the call pool's threads only call platforms: this thread
    # writes their results, so a pool thread never waits for the database (or for another
    # thread's write turn) while a due post waits for a pool thread.
    batch = _Results(rt, writes_on_add=len(groups) <= 1)
    try:
        if len(groups) <= 1:
            for jobs_of_account in groups.values():
                _in_turn(rt, jobs_of_account, due_of, stamped_at, batch, outcomes)
        else:
            futures = []
            # Each account's turn goes to the call pool when its first post is due, not before:
            # the chunk was stamped ahead of time, and a pool thread asleep until then is one
            # another chunk's due post cannot have.
            for jobs_of_account in sorted(groups.values(),
                                          key=lambda js: _sort_key(due_of[js[0].target_id])):
                wait_until_due(due_of[jobs_of_account[0].target_id],
                               sleep=batch.sleep_writing)
                futures.append(rt.call_pool.submit(_in_turn, rt, jobs_of_account, due_of,
                                                   stamped_at, batch, outcomes))
            pending = set(futures)
            while pending:  # every account's turn ends before the last results are written
                _done, pending = wait(pending, timeout=batch.seconds_until_due(),
                                      return_when=FIRST_COMPLETED)
                batch.flush_if_due()
            for future in futures:
                future.result()  # the first error, if any, once the rest is recorded
    finally:
        batch.flush()  # what reached the platform is recorded even if another account failed
    return [outcomes.get(i, "skipped") for i, _ in items]


def _in_turn(rt: Runtime, live: list[PublishJob], due_of: dict[int, datetime | None],
             stamped_at: datetime, batch: "_Results", outcomes: dict[int, str]) -> None:
    """One account's stamped targets of a chunk, one after another in the order they are due:
    each waits for its instant, is held if a pause now covers it, then goes to the platform.
    Stamps of the ones still waiting are renewed when the wait grows long. Once the platform
    rate-limits the account, the chunk's other first attempts for it wait for the same reset
    without a call (a burst on one account is one 429, not a storm of them); once it refuses
    the account's token, they fail without sending the refused token again."""
    restamp_after = rt.settings.stuck_running_after_seconds * RESTAMP_SHARE
    credentials: dict[int, str] = {}
    position = 0
    while position < len(live):
        if (utcnow() - stamped_at).total_seconds() > restamp_after:
            batch.flush()
            rest = live[position:]
            earlier, stamped_at = stamped_at, utcnow()
            with rt.db.session_scope() as session:  # every live target carries one stamp
                kept = restamp(session, [j.target_id for j in rest], earlier, stamped_at)
            for job in rest:
                if job.target_id not in kept:
                    outcomes[job.target_id] = "skipped"
            live = live[:position] + [j for j in rest if j.target_id in kept]
            continue
        job = live[position]
        position += 1
        job = replace(job, credentials_encrypted=credentials.get(job.account_id,
                                                                 job.credentials_encrypted))
        fields = {"target_id": job.target_id, "platform": job.platform,
                  "account_id": job.account_id}
        wait_until_due(due_of[job.target_id])
        if job.mode is Mode.PUBLISH and held_by_pause(rt, job.target_id, fields):
            outcomes[job.target_id] = "held"
            continue
        connector, outcome, result, error = _call(rt, job, fields)
        if isinstance(error, (RateLimited, AuthExpired)):
            rest = live[position:]
            _settle_without_call(rt, [j for j in rest if j.mode is Mode.PUBLISH], error, outcomes)
            # A reconcile still looks first: an earlier attempt may have reached the platform.
            live = live[:position] + [j for j in rest if j.mode is not Mode.PUBLISH]
        if getattr(connector, "refreshed_credentials", None):
            batch.flush()  # the renewed tokens are saved before the account's next post
            with rt.db.session_scope() as session:
                save_refreshed_credentials(rt, session, job.account_id, connector)
                account = session.get(SocialAccount, job.account_id)
                if account is not None:
                    credentials[job.account_id] = account.credentials_encrypted
        outcomes[job.target_id] = outcome
        if result is not None:
            batch.add(job, result, outcome, fields)


def _settle_without_call(rt: Runtime, jobs: list[PublishJob],
                         error: RateLimited | AuthExpired, outcomes: dict[int, str]) -> None:
    """What the platform just told of the account settles its other stamped first attempts,
    without a call each (nothing of them was sent): after a 429 they wait for the reset it
    named; after a refused token they fail as on a disconnected account, which now needs
    reconnecting."""
    if not jobs:
        return
    with rt.db.session_scope() as session:
        now = utcnow()
        for job in jobs:  # written as the call itself would have had it, in its words
            _record_error(rt, session, job.target_id, error, now)
            outcomes[job.target_id] = f"error:{error.code}"
    log.warning("%s: %d more of this account's posts settled without a call", error.code,
                len(jobs), extra={"account_id": jobs[0].account_id,
                                  "platform": jobs[0].platform})


def _record_error(rt: Runtime, session: Session, target_id: int, error: ConnectorError,
                  now: datetime):
    """What a platform's error means for a target, with this installation's retry rules."""
    return record_error(session, target_id, error, now=now,
                        max_attempts=rt.settings.publish_max_attempts,
                        backoff_seconds=rt.settings.retry_backoff_seconds)


def _sort_key(due: datetime | None) -> datetime:
    return due or datetime.min.replace(tzinfo=timezone.utc)


class _Results:
    """Published results not yet written: written together in one transaction, once
    ``FLUSH_EVERY`` are waiting or the first has waited ``FLUSH_AFTER_SECONDS``.

    ``writes_on_add``: :meth:`add` writes them when they are due (one account's turn, run on
    the chunk's own thread); otherwise the chunk's thread calls :meth:`flush_if_due` while the
    call pool publishes."""

    def __init__(self, rt: Runtime, *, writes_on_add: bool = True) -> None:
        self.rt = rt
        self.writes_on_add = writes_on_add
        self.pending: list[tuple[PublishJob, PublishResult, str, dict]] = []
        self.since = 0.0
        self.lock = threading.Lock()  # a chunk's accounts publish side by side

    def add(self, job: PublishJob, result: PublishResult, outcome: str, fields: dict) -> None:
        with self.lock:
            if not self.pending:
                self.since = time.monotonic()
            self.pending.append((job, result, outcome, fields))
        if self.writes_on_add:
            self.flush_if_due()

    def _wait_left(self) -> float:
        """How long the waiting results may still wait: 0 once they are due (call with the
        lock held); the whole span when none wait."""
        if not self.pending:
            return FLUSH_AFTER_SECONDS
        if len(self.pending) >= FLUSH_EVERY:
            return 0.0
        return max(0.0, FLUSH_AFTER_SECONDS - (time.monotonic() - self.since))

    def seconds_until_due(self) -> float:
        with self.lock:
            return self._wait_left()

    def sleep_writing(self, seconds: float) -> None:
        """Sleep (on the chunk's thread), writing the waiting results if they fall due."""
        time.sleep(min(seconds, self.seconds_until_due()))
        self.flush_if_due()

    def flush_if_due(self) -> None:
        with self.lock:
            due = bool(self.pending) and self._wait_left() == 0.0
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, []
        if not pending:
            return
        with self.rt.db.session_scope() as session:
            now = utcnow()
            moved = set(record_results(session, [(job.target_id, result)
                                                 for job, result, _, _ in pending], now=now))
            schedule_targets(session, [
                (job.target_id, job.account_id, result.published_at, job.agency_id)
                for job, result, _, _ in pending if job.target_id in moved],
                now=now, offsets=engagement_offsets(self.rt))
        for _job, result, _outcome, fields in pending:
            log.info("published %s", result.permalink, extra=fields)


def _fail_before_call(session: Session, jobs: list[PublishJob], refusals: dict[int, str],
                      outcomes: dict[int, str], *, now: datetime) -> list[PublishJob]:
    """Fail, without calling the platform and in the transaction that stamped them, the
    targets whose account needs reconnecting and those the sensitive-information guard refused
    (issue 10: ``refusals``, asked in the read before); returns the rest."""
    rest = []
    for job in jobs:
        if job.account_status == "reconnect_needed":
            fail_without_call(session, job.target_id, AuthExpired(
                "the account was disconnected by the platform."), now=now)
            outcomes[job.target_id] = "failed"
        else:
            rest.append(job)
    refused = refuse_sensitive(session, {  # refusals hold first attempts only
        j.target_id: refusals[j.target_id] for j in rest if j.target_id in refusals}, now=now)
    for target_id in refused:
        outcomes[target_id] = "failed"
    return [j for j in rest if j.target_id not in refused]


def _call(rt: Runtime, job: PublishJob, fields: dict
          ) -> tuple[PlatformConnector | None, str, PublishResult | None,
                     ConnectorError | None]:
    """Call the platform for one stamped target (looking it up first when reconciling).

    Returns the connector, what happened, the result to record when it is on the platform,
    and the platform's error when there was one; every outcome but a result (an error,
    unconfirmed) is written here."""
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
                return connector, _unconfirmed(rt, job, connector, fields,
                                               "an earlier attempt ended without an answer "
                                               f"from the platform, and {problem}."), None, None
        if result is None:
            try:
                result = connector.publish(request)
            except UnknownOutcome as error:
                lookup, problem = look_up(connector, job)
                if lookup.verdict is Verdict.FOUND:
                    result = lookup.result
                elif problem:
                    return connector, _unconfirmed(
                        rt, job, connector, fields,
                        f"the call ended without an answer ({error.message.rstrip('.')}), "
                        f"and {problem}."), None, None
                else:
                    raise  # the look-up saw every post since: not there, so retry later
    except ConnectorError as error:
        with rt.db.session_scope() as session:
            save_refreshed_credentials(rt, session, job.account_id, connector)
            outcome = _record_error(rt, session, job.target_id, error, utcnow())
        log.warning("publish error %s: %s", error.code, error.message,
                    extra={**fields, "outcome": str(outcome)})
        return None, f"error:{error.code}", None, error
    return connector, ("reconciled" if job.mode is Mode.RECONCILE else "published"), result, None


#: How long a look at the pauses table is trusted by this process's other threads. A pause
#: reaches the worker's last check within this (a tick is 0.25 s), and a burst does not read
#: the pauses table once per post.
NOTHING_PAUSED_FOR_SECONDS = 0.05
#: While one thread reads the pauses table again, the others go on with the answer before
#: if it is at most this old (a read takes milliseconds): none of them waits for the read.
STALE_WHILE_READING_SECONDS = 0.2
#: When this process last looked, and whether it found nothing paused anywhere.
_last_look: tuple[float, bool] = (-1.0, False)
#: One thread reads at a time; the others take the last answer instead of all reading at once
#: when the window ends.
_pause_look = threading.Lock()


def _nothing_paused(rt: Runtime) -> bool:
    """No pause is active anywhere, as read within the last NOTHING_PAUSED_FOR_SECONDS (or
    STALE_WHILE_READING_SECONDS, while another thread reads it again)."""
    global _last_look
    looked_at, nothing = _last_look
    if time.monotonic() - looked_at < NOTHING_PAUSED_FOR_SECONDS:
        return nothing
    if not _pause_look.acquire(blocking=False):
        if time.monotonic() - looked_at < STALE_WHILE_READING_SECONDS:
            return nothing
        _pause_look.acquire()
    try:
        looked_at, nothing = _last_look
        now = time.monotonic()
        if now - looked_at < NOTHING_PAUSED_FOR_SECONDS:
            return nothing  # read by another thread meanwhile
        with rt.db.session_scope(write=False) as session:
            nothing = not any_pause_active(session)
        _last_look = (now, nothing)
        return nothing
    finally:
        _pause_look.release()


def held_by_pause(rt: Runtime, target_id: int, fields: dict) -> bool:
    """The last look before the platform call: a pause started after the claim holds the
    target too. Only a first attempt is held (a reconcile must look at the platform first).
    A read (or none, when another thread found nothing paused a moment ago), and a write only
    when a pause covers the target."""
    if _nothing_paused(rt):
        return False
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


def reap_stuck_targets(rt: Runtime, enqueue: Callable[[Sequence[int]], None], *,
                       backlog: Callable[[], int] | None = None) -> list[int]:
    """Hand on again targets whose publish task was lost (see scheduler.find_stuck): the
    enqueue failed after the claim committed, Redis lost the message (a restart), or the worker
    died. A duplicate message is harmless: the delivery that does not win the stamp skips.

    ``backlog`` (the publish queue's length): while messages still wait there, targets never
    started are not taken for lost, only stale attempts are: a burst of 10,000 takes longer
    than ``STUCK_AFTER_SECONDS`` to drain, and re-sending its tail made the workers stamp-check
    a few thousand duplicates. Once the queue is empty (or its length cannot be read), a
    target still unsent is re-sent as before."""
    now = utcnow()
    unsent = True
    if backlog is not None:
        try:
            unsent = backlog() == 0
        except Exception as exc:  # the broker is away: look for everything, as before
            log.info("publish queue length unknown (%s); reaping unsent targets too",
                     type(exc).__name__)
    with rt.db.session_scope(write=False) as session:
        ids = find_stuck(session, now,
                         unsent_after=timedelta(seconds=rt.settings.stuck_after_seconds),
                         running_after=timedelta(seconds=rt.settings.stuck_running_after_seconds),
                         unsent=unsent)
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
