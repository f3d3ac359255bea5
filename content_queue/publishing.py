"""Worker-side verbs for publishing: start an attempt, record its result or error.

The network call happens between :func:`start_attempt` and :func:`record_result` /
:func:`record_error`, outside any transaction. ``start_attempt`` stamps the target before the
call. A second delivery of the same task that finds a fresh stamp skips (that attempt may still
be calling); one that finds a stamp old enough for its worker to have died reconciles with the
platform instead of posting again, and an answer the look-up cannot give makes the target
``unconfirmed`` (see :mod:`content_queue.outcomes`). That is how a target is published
at most once even though Celery on Redis delivers at least once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from content_queue.accounts import mark_reconnect_needed
from content_queue.media import media_items
from content_queue.models import Agency, MediaAsset, Post, PostTarget, SocialAccount
from content_queue.ports import (
    AuthExpired,
    ConnectorError,
    MediaItem,
    Permanent,
    PublishResult,
    RateLimited,
    Transient,
    UnknownOutcome,
)
from content_queue.platforms import RULES
from content_queue.states import Status, TransitionConflict
from content_queue.transitions import transition, transition_many
from content_queue.variants import text_for_target


class Mode(str, enum.Enum):
    PUBLISH = "publish"  # first attempt at this claim: call the platform
    RECONCILE = "reconcile"  # an earlier attempt may have reached the platform: look first
    SKIP = "skip"  # nothing to do (already done, canceled, or not claimed)


@dataclass(frozen=True)
class PublishJob:
    target_id: int
    mode: Mode
    platform: str = ""
    handle: str = ""
    account_id: int = 0
    agency_id: int = 0
    credentials_encrypted: str = ""
    api_base_url: str | None = None
    text: str = ""
    idempotency_key: str = ""
    attempt_started_at: datetime | None = None
    account_status: str = "active"
    media: tuple[MediaItem, ...] = ()


def idempotency_key(target_id: int) -> str:
    return f"tenfour-target-{target_id}"


#: A stamp younger than this belongs to an attempt that may still be running (a worker's call is
#: hard-limited well below it); the composition root passes its configured value.
DEFAULT_PRESUMED_DEAD_AFTER = timedelta(seconds=360)


def start_attempt(session: Session, target_id: int, *, now: datetime,
                  media_url: Callable[[MediaAsset], str] | None = None,
                  presumed_dead_after: timedelta = DEFAULT_PRESUMED_DEAD_AFTER) -> PublishJob:
    """Stamp the attempt, or decide that this delivery must not call the platform.

    Exactly one delivery wins each stamp (a conditional UPDATE on the stamp's old value). A
    delivery that finds a fresh stamp skips: another one is calling the platform right now, and
    looking the post up while that call is in flight would find nothing and post it twice. A
    stamp older than ``presumed_dead_after`` belongs to a worker that died mid-call; the
    delivery that re-stamps it reconciles with the platform before posting anything.
    """
    target = session.get(PostTarget, target_id)
    if target is None or target.status != Status.PUBLISHING.value:
        return PublishJob(target_id, Mode.SKIP)
    earlier = target.attempt_started_at
    if earlier is not None and now - earlier < presumed_dead_after:
        return PublishJob(target_id, Mode.SKIP)
    if target_id not in restamp(session, [target_id], earlier, now):
        return PublishJob(target_id, Mode.SKIP)
    session.refresh(target)
    return _job(target, earlier, media_url)


def _job(target: PostTarget, earlier: datetime | None,
         media_url: Callable[[MediaAsset], str] | None) -> PublishJob:
    """What the worker needs to call the platform for a target this delivery has stamped."""
    account: SocialAccount = target.account
    post: Post = target.post
    # Reconcile when an earlier attempt may have reached the platform: a worker died mid-call
    # (an old stamp) or this is a retry after an unknown outcome.
    reconcile = earlier is not None or target.error_code == UnknownOutcome.code
    return PublishJob(
        target_id=target.id,
        mode=Mode.RECONCILE if reconcile else Mode.PUBLISH,
        platform=account.platform,
        handle=account.handle,
        account_id=account.id,
        agency_id=post.agency_id,
        credentials_encrypted=account.credentials_encrypted,
        api_base_url=account.api_base_url,
        text=text_for_target(post, target),  # issue 8: the platform's variant
        idempotency_key=idempotency_key(target.id),
        # The look-up window starts at the first attempt that may have reached the platform.
        attempt_started_at=earlier or target.attempt_started_at,
        account_status=account.status,
        media=media_items(post.media, media_url),
    )


@dataclass(frozen=True)
class AttemptsRead:
    """What :func:`read_attempts` found for a chunk, before any stamp: a job for each target
    never started (as it will be if this delivery wins its stamp), and the ids of the ones
    stamped before (they go through :func:`start_attempt` under the write lock)."""

    ids: tuple[int, ...]
    fresh: dict[int, PublishJob]
    stamped_before: tuple[int, ...]


def read_attempts(session: Session, target_ids: Sequence[int], *,
                  media_url: Callable[[MediaAsset], str] | None = None) -> AttemptsRead:
    """Read a chunk's targets, posts, accounts, variants and images in a few queries (a read
    transaction: on SQLite no write lock is held while the rows become jobs). The posts stay
    in the session for the guard's look (:func:`workers.guard.sensitive_refusals`)."""
    ids = tuple(dict.fromkeys(int(i) for i in target_ids))
    targets = {t.id: t for t in session.scalars(
        select(PostTarget).where(PostTarget.id.in_(ids))
        .options(joinedload(PostTarget.account),  # one row each: in the targets' query
                 joinedload(PostTarget.post).selectinload(Post.attachments),
                 joinedload(PostTarget.post).selectinload(Post.variants)))}
    # Kept for the session's length (its identity map holds an object only while something
    # refers to it): each target's text looks its agency's footer up.
    session.info["agencies"] = session.scalars(select(Agency).where(
        Agency.id.in_({t.post.agency_id for t in targets.values()}))).all()
    session.info["targets"] = targets  # kept for the session (the guard reads them next)
    publishing = {i: t for i, t in targets.items() if t.status == Status.PUBLISHING.value}
    return AttemptsRead(
        ids=ids,
        fresh={i: _job(t, None, media_url) for i, t in publishing.items()
               if t.attempt_started_at is None},
        stamped_before=tuple(i for i, t in publishing.items() if t.attempt_started_at is not None))


def stamp_attempts(session: Session, read: AttemptsRead, *, now: datetime,
                   media_url: Callable[[MediaAsset], str] | None = None,
                   presumed_dead_after: timedelta = DEFAULT_PRESUMED_DEAD_AFTER,
                   ) -> dict[int, PublishJob]:
    """:func:`start_attempt` for a chunk read by :func:`read_attempts`, in one (write)
    transaction: every never-started target is stamped with one conditional ``UPDATE … WHERE
    status = 'publishing' AND attempt_started_at IS NULL`` (the rows it returns are the ones
    this delivery won; one that was canceled, held or taken since the read is not among them).
    A target with an older stamp goes through :func:`start_attempt` on its own. Returns a job
    per id (``Mode.SKIP`` for the ones this delivery must leave alone)."""
    jobs = {i: PublishJob(i, Mode.SKIP) for i in read.ids}
    for i in restamp(session, sorted(read.fresh), None, now):
        jobs[i] = replace(read.fresh[i], attempt_started_at=now)
    for i in read.stamped_before:
        jobs[i] = start_attempt(session, i, now=now, media_url=media_url,
                                presumed_dead_after=presumed_dead_after)
    return jobs


def restamp(session: Session, target_ids: Sequence[int], earlier: datetime | None,
            now: datetime) -> set[int]:
    """Stamp the attempts of targets in ``publishing`` whose stamp is still ``earlier`` (None:
    never started) with ``now``, in one conditional ``UPDATE … RETURNING``; returns the ids this
    delivery won. Every stamp goes through here: a first attempt, a reconcile after a stamp
    presumed dead, and a chunk renewing the stamps of targets still waiting their turn behind
    slow calls (so the reaper never takes them for abandoned)."""
    if not target_ids:
        return set()
    stamp = PostTarget.attempt_started_at
    return set(session.scalars(
        update(PostTarget)
        .where(PostTarget.id.in_(list(target_ids)),
               PostTarget.status == Status.PUBLISHING.value,
               stamp.is_(None) if earlier is None else stamp == earlier)
        .values(attempt_started_at=now, updated_at=now)
        .returning(PostTarget.id)
        .execution_options(synchronize_session=False)))


def record_result(session: Session, target_id: int, result: PublishResult, *,
                  now: datetime) -> bool:
    target = session.get(PostTarget, target_id)
    if target is None or target.status != Status.PUBLISHING.value:
        return False
    try:
        transition(session, target, Status.PUBLISHED, actor_id=None, now=now,
                   values={"platform_post_id": result.platform_post_id,
                           "permalink": result.permalink,
                           "published_at": result.published_at,
                           "last_error": None, "error_code": None},
                   details={"platform_post_id": result.platform_post_id,
                            "permalink": result.permalink})
    except TransitionConflict:
        return False
    return True


def record_results(session: Session, results: Iterable[tuple[int, PublishResult]], *,
                   now: datetime) -> list[int]:
    """:func:`record_result` for a chunk: every target moved ``publishing → published`` in one
    transaction, with one multi-row audit insert. Returns the ids it moved (a target no longer
    in ``publishing`` is left as it is)."""
    return transition_many(session, [
        (target_id,
         {"platform_post_id": r.platform_post_id, "permalink": r.permalink,
          "published_at": r.published_at, "last_error": None, "error_code": None},
         {"platform_post_id": r.platform_post_id, "permalink": r.permalink})
        for target_id, r in results], Status.PUBLISHING, Status.PUBLISHED, now=now)


def backoff(attempts: int, base_seconds: float = 30.0) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 30 min (with the default base)."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 1800))


def record_error(session: Session, target_id: int, error: ConnectorError, *, now: datetime,
                 max_attempts: int, backoff_seconds: float = 30.0) -> Status | None:
    """Decide what a connector error means for the target: retry later, or fail for good."""
    target = session.get(PostTarget, target_id)
    if target is None or target.status != Status.PUBLISHING.value:
        return None
    account: SocialAccount = target.account
    label = RULES[account.platform].label if account.platform in RULES else account.platform
    message = f"{label} @{account.handle}: {error.message}"
    retry_at: datetime | None = None
    if isinstance(error, RateLimited):
        retry_at = max(error.retry_at or now + backoff(target.attempts, backoff_seconds), now)
        message += f" Will retry at {retry_at:%H:%M:%S} UTC."
    elif isinstance(error, (Transient, UnknownOutcome)) and target.attempts < max_attempts:
        retry_at = now + backoff(target.attempts, backoff_seconds)
        message += f" Will retry at {retry_at:%H:%M:%S} UTC (attempt {target.attempts} of {max_attempts})."
    elif isinstance(error, AuthExpired):
        mark_reconnect_needed(session, account, error.message, now=now)
        message = (f"{label} @{account.handle} needs reconnecting: {error.message} "
                   "An admin must reconnect the account, then retry this post.")
    elif isinstance(error, (Transient, UnknownOutcome)):
        message += f" Gave up after {target.attempts} attempts."

    values = {"last_error": message, "error_code": error.code}
    try:
        if retry_at is not None:
            values.update(next_attempt_at=retry_at, attempt_started_at=None)
            transition(session, target, Status.SCHEDULED, actor_id=None, now=now,
                       reason="retry", values=values, details={"error_code": error.code})
            return Status.SCHEDULED
        transition(session, target, Status.FAILED, actor_id=None, now=now, reason=error.code,
                   values=values, details={"error_code": error.code})
        return Status.FAILED
    except TransitionConflict:
        return None


def fail_without_call(session: Session, target_id: int, error: Permanent | AuthExpired, *,
                      now: datetime) -> Status | None:
    """Fail a target before any request (account needs reconnecting, rules broken)."""
    return record_error(session, target_id, error, now=now, max_attempts=0)
