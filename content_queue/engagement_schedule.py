"""The engagement poll schedule: each published target's metrics are read at fixed moments after
it went out (``ENGAGEMENT_POLL_AFTER``, by default +1 h, +24 h, +7 d and +30 d), not on every
tick, so a month of posts costs a handful of reads each and stays inside every platform's read
limits.

Each target has one :class:`~content_queue.models.EngagementPoll` row saying when it is next
due. The poll (``workers.engagement``) runs in three steps, each its own transaction:

1. :func:`schedule_new_targets` gives recently published targets their row;
2. :func:`claim_due` takes one account's due targets (pushing ``next_poll_at`` a lease ahead, so
   a second delivery of the task finds nothing, and a dead worker's claim comes due again), and
   the worker reads their metrics in the platform's batches;
3. :func:`record_polled` stores a snapshot per target and moves it to its next checkpoint, or
   :func:`record_failed_poll` counts the failure and retries later with backoff. Neither ever
   changes the target's status: a post stays published whatever its metrics reads do.

A poll that is late (the system was down) answers every checkpoint it is late for at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_queue.engagement import PollBatch, record_engagement
from content_queue.models import EngagementPoll, Post, PostTarget, SocialAccount
from content_queue.ports import Metrics
from content_queue.states import Status

DEFAULT_POLL_AFTER = "1h,24h,7d,30d"
#: A claim that is not answered within this long (the worker died) comes due again.
CLAIM_LEASE = timedelta(minutes=10)
#: The first retry after a failed poll; each further failure doubles it, up to RETRY_MAX.
RETRY_FIRST = timedelta(minutes=5)
RETRY_MAX = timedelta(hours=6)
#: After this many failures in a row a checkpoint is given up (the next one still comes).
MAX_FAILURES = 8
#: Targets published longer ago than the last checkpoint plus this are not scheduled any more.
LATE_GRACE = timedelta(days=1)
#: At most this many targets are claimed by one task; the rest stay due for the next tick
#: (ENGAGEMENT_POLL_SECONDS later). Per platform, what one task may read inside its read limits:
#: X one GET /2/tweets of 100 ids (15 reads per 15 min per user), Graph two batches of 50 ids,
#: Mastodon one batch of 40 (or 40 single reads on an instance without the batch: well under 300
#: requests per 5 min), Bluesky ten getPosts of 25.
CLAIM_LIMIT = 500
PLATFORM_CLAIM_LIMITS = {"x": 100, "facebook": 100, "instagram": 100, "mastodon": 40,
                         "bluesky": 250}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"^(\d{1,6})\s*([smhdw])$")


class PollScheduleError(ValueError):
    """ENGAGEMENT_POLL_AFTER cannot be read."""


def parse_poll_after(text: str | None) -> tuple[timedelta, ...]:
    """``"1h,24h,7d,30d"`` as ascending offsets after publishing; a clear error otherwise."""
    raw = DEFAULT_POLL_AFTER if text is None or not text.strip() else text
    offsets: list[timedelta] = []
    for part in raw.split(","):
        match = _PART.match(part.strip().lower())
        if not match:
            raise PollScheduleError(
                f"ENGAGEMENT_POLL_AFTER={raw!r}: {part.strip()!r} is not a time after publishing; "
                "write a comma-separated list of numbers with a unit s, m, h, d or w "
                f"(the default is {DEFAULT_POLL_AFTER}).")
        value = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
        if value <= timedelta(0):
            raise PollScheduleError(f"ENGAGEMENT_POLL_AFTER={raw!r}: {part.strip()!r} is not after "
                                    "publishing; every time must be more than zero.")
        if offsets and value <= offsets[-1]:
            raise PollScheduleError(f"ENGAGEMENT_POLL_AFTER={raw!r}: the times must grow from "
                                    f"left to right ({part.strip()!r} is not after the one "
                                    "before it).")
        offsets.append(value)
    if len(offsets) > 20:
        raise PollScheduleError(f"ENGAGEMENT_POLL_AFTER={raw!r}: at most 20 poll times.")
    return tuple(offsets)


DEFAULT_OFFSETS = parse_poll_after(DEFAULT_POLL_AFTER)


def checkpoints(published_at: datetime, offsets: Sequence[timedelta]) -> list[datetime]:
    return [published_at + offset for offset in offsets]


def next_poll(published_at: datetime, offsets: Sequence[timedelta],
              after: datetime) -> datetime | None:
    """The first checkpoint strictly after ``after`` (``None``: the schedule is done)."""
    return next((at for at in checkpoints(published_at, offsets) if at > after), None)


def first_poll(published_at: datetime, offsets: Sequence[timedelta],
               now: datetime) -> datetime | None:
    """When a newly scheduled target is first due: its first checkpoint, or at once (the latest
    checkpoint it has passed) when it is scheduled late; ``None`` when it is too old."""
    passed = [at for at in checkpoints(published_at, offsets) if at <= now]
    if not passed:
        return published_at + offsets[0]
    if passed[-1] == published_at + offsets[-1] and now > passed[-1] + LATE_GRACE:
        return None
    return passed[-1]


def retry_delay(failures: int) -> timedelta:
    return min(RETRY_FIRST * (2 ** max(0, failures - 1)), RETRY_MAX)


def _pollable(now: datetime) -> tuple:
    return (EngagementPoll.next_poll_at.is_not(None), EngagementPoll.next_poll_at <= now,
            SocialAccount.status == "active")


def _unscheduled(now: datetime, offsets: Sequence[timedelta]):
    return (select(PostTarget.id, PostTarget.account_id, PostTarget.published_at, Post.agency_id)
            .join(Post, Post.id == PostTarget.post_id)
            .outerjoin(EngagementPoll, EngagementPoll.target_id == PostTarget.id)
            .where(PostTarget.status == Status.PUBLISHED.value,
                   PostTarget.published_at >= now - offsets[-1] - LATE_GRACE,
                   PostTarget.platform_post_id.is_not(None),
                   EngagementPoll.target_id.is_(None)))


def has_unscheduled_targets(session: Session, *, now: datetime,
                            offsets: Sequence[timedelta] = DEFAULT_OFFSETS) -> bool:
    """A read, so an idle poll tick takes no write lock."""
    return session.execute(_unscheduled(now, offsets).limit(1)).first() is not None


#: Targets given their schedule row per statement (and per transaction in the worker): a
#: burst's thousands of newly published targets never hold the write lock for long.
SCHEDULE_BATCH = 500


def schedule_new_targets(session: Session, *, now: datetime,
                         offsets: Sequence[timedelta] = DEFAULT_OFFSETS) -> int:
    """Give recently published targets (with a platform id) their schedule row."""
    made, after_id = 0, 0
    while after_id is not None:
        count, after_id = schedule_some_targets(session, now=now, offsets=offsets,
                                                after_id=after_id)
        made += count
    return made


def schedule_targets(session: Session, published: Sequence[tuple[int, int, datetime, int]], *,
                     now: datetime, offsets: Sequence[timedelta] = DEFAULT_OFFSETS) -> int:
    """Schedule just-published targets, given as ``(target_id, account_id, published_at,
    agency_id)`` (what the worker already holds: no read), in the transaction that recorded
    them; a target that already has its row keeps it. The periodic
    :func:`schedule_new_targets` then has nothing to do after a burst, instead of writing
    thousands of rows at once while posts are being stamped."""
    return _insert_schedule(session, published, now=now, offsets=offsets)


def _insert_schedule(session: Session, rows, *, now: datetime,
                     offsets: Sequence[timedelta]) -> int:
    values = []
    for target_id, account_id, published_at, agency_id in rows:
        due = first_poll(published_at, offsets, now)
        if due is not None:
            values.append({"target_id": target_id, "agency_id": agency_id,
                           "account_id": account_id, "published_at": published_at,
                           "next_poll_at": due, "polls_done": 0, "failures": 0})
    if values:  # Core, no ORM bulk step; a row another process made meanwhile is kept
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(EngagementPoll.__table__)
                        .on_conflict_do_nothing(index_elements=["target_id"]), values)
    return len(values)


def schedule_some_targets(session: Session, *, now: datetime,
                          offsets: Sequence[timedelta] = DEFAULT_OFFSETS, after_id: int = 0,
                          limit: int = SCHEDULE_BATCH) -> tuple[int, int | None]:
    """Schedule up to ``limit`` of the unscheduled targets with an id above ``after_id``, in
    one multi-row insert. Returns how many rows were made and the id to go on after (``None``
    when there are no more). Targets too old for any checkpoint are passed over."""
    rows = session.execute(_unscheduled(now, offsets).where(PostTarget.id > after_id)
                           .order_by(PostTarget.id).limit(limit)).all()
    made = _insert_schedule(session, rows, now=now, offsets=offsets)
    return made, (rows[-1][0] if len(rows) == limit else None)


def accounts_due(session: Session, *, now: datetime) -> list[int]:
    """Working accounts with at least one target due for a poll."""
    return list(session.scalars(
        select(EngagementPoll.account_id).distinct()
        .join(SocialAccount, SocialAccount.id == EngagementPoll.account_id)
        .where(*_pollable(now)).order_by(EngagementPoll.account_id)))


def due_targets(session: Session, *, now: datetime, account_id: int | None = None) -> list[int]:
    """Ids of the targets due for a poll (one account's when given), oldest due first."""
    query = (select(EngagementPoll.target_id)
             .join(SocialAccount, SocialAccount.id == EngagementPoll.account_id)
             .where(*_pollable(now)).order_by(EngagementPoll.next_poll_at,
                                                EngagementPoll.target_id))
    if account_id is not None:
        query = query.where(EngagementPoll.account_id == account_id)
    return list(session.scalars(query))


def claim_due(session: Session, account_id: int, *, now: datetime,
              limit: int = CLAIM_LIMIT) -> PollBatch | None:
    """Claim one account's due targets for a poll: one batch of platform post ids.

    Targets no longer published (or without a platform id) leave the schedule here."""
    account = session.get(SocialAccount, account_id)
    if account is None:
        return None
    limit = min(limit, PLATFORM_CLAIM_LIMITS.get(account.platform, limit))
    rows = session.execute(
        select(EngagementPoll, PostTarget.platform_post_id, PostTarget.status, SocialAccount)
        .join(SocialAccount, SocialAccount.id == EngagementPoll.account_id)
        .join(PostTarget, PostTarget.id == EngagementPoll.target_id)
        .where(EngagementPoll.account_id == account_id, *_pollable(now))
        .order_by(EngagementPoll.next_poll_at, EngagementPoll.target_id)
        .limit(limit).with_for_update(skip_locked=True, of=EngagementPoll)).all()
    batch: PollBatch | None = None
    claimed: list[int] = []
    for poll, platform_post_id, status, account in rows:
        if status != Status.PUBLISHED.value or not platform_post_id:
            poll.next_poll_at = None
            poll.last_error = "The post is no longer published; its engagement is not polled."
            continue
        if batch is None:
            batch = PollBatch(account.id, account.platform, account.credentials_encrypted,
                              account.api_base_url, {})
        batch.targets[platform_post_id] = poll.target_id
        claimed.append(poll.target_id)
    if claimed:
        session.execute(update(EngagementPoll).where(EngagementPoll.target_id.in_(claimed))
                        .values(next_poll_at=now + CLAIM_LEASE))
    session.flush()
    return batch


@dataclass(frozen=True)
class PollOutcome:
    stored: int
    missing: tuple[int, ...]  # target ids the platform did not return


def record_polled(session: Session, batch: PollBatch, metrics: Sequence[Metrics], *,
                  now: datetime, offsets: Sequence[timedelta] = DEFAULT_OFFSETS) -> PollOutcome:
    """Store what a poll found (a snapshot per target; views ``None`` when the platform does
    not report them) and move each target on to its next checkpoint. A target the platform
    did not return (deleted there, or hidden) counts as a failed poll of that target."""
    stored = record_engagement(session, batch, metrics, now=now)
    answered = {batch.targets[m.platform_post_id] for m in metrics
                if m.platform_post_id in batch.targets}
    polls = {p.target_id: p for p in session.scalars(
        select(EngagementPoll).where(EngagementPoll.target_id.in_(list(batch.targets.values()))))}
    for target_id in answered:
        poll = polls.get(target_id)
        if poll is None:
            continue
        passed = sum(1 for at in checkpoints(poll.published_at, offsets) if at <= now)
        poll.polls_done = max(poll.polls_done, passed)
        poll.next_poll_at = next_poll(poll.published_at, offsets, now)
        poll.failures = 0
        poll.last_polled_at = now
        poll.last_error = None
    missing = tuple(sorted(set(batch.targets.values()) - answered))
    if missing:
        record_failed_poll(session, missing, "The platform did not return this post (it may "
                           "have been deleted there).", now=now, offsets=offsets)
    session.flush()
    return PollOutcome(stored, missing)


def record_failed_poll(session: Session, target_ids: Iterable[int], message: str, *,
                       now: datetime, retry_at: datetime | None = None,
                       offsets: Sequence[timedelta] = DEFAULT_OFFSETS) -> None:
    """Count a failed poll and try again later (after ``retry_at`` when the platform said when,
    else with backoff); after :data:`MAX_FAILURES` in a row the checkpoint is given up and the
    next one is waited for. The target itself is never touched."""
    ids = list(target_ids)
    if not ids:
        return
    for poll in session.scalars(select(EngagementPoll).where(EngagementPoll.target_id.in_(ids))):
        poll.failures += 1
        poll.last_error = message[:2000]
        if poll.failures >= MAX_FAILURES:
            poll.failures = 0
            poll.next_poll_at = next_poll(poll.published_at, offsets, now)
            continue
        later = now + retry_delay(poll.failures)
        poll.next_poll_at = max(later, retry_at) if retry_at else later
    session.flush()


def poll_state(session: Session, target_ids: Sequence[int]) -> dict[int, EngagementPoll]:
    """Each target's schedule row (for the post and dashboard pages)."""
    if not target_ids:
        return {}
    return {p.target_id: p for p in session.scalars(
        select(EngagementPoll).where(and_(EngagementPoll.target_id.in_(list(target_ids)))))}
