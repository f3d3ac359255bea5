"""Engagement: what polling found (snapshots, replies), and which published posts are recent.

*When* each published target is polled (+1 h, +24 h, +7 d, +30 d after publishing) is decided
by :mod:`content_queue.engagement_schedule`, which hands the worker a :class:`PollBatch` per
account. :func:`due_for_engagement` lists every recent published target by account (for reads
that follow young posts closely, such as replies). Replies are fetched only for posts whose
latest metrics show any, so an account with quiet posts costs one request per poll.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.models import CommunityReply, EngagementSnapshot, PostTarget, SocialAccount
from content_queue.ports import Metrics, Reply
from content_queue.states import Status

ENGAGEMENT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class PollBatch:
    account_id: int
    platform: str
    credentials_encrypted: str
    api_base_url: str | None
    targets: dict[str, int]  # platform post id -> target id
    #: Platform post ids whose latest metrics show replies (only those are worth a call).
    with_replies: tuple[str, ...] = ()

    def with_reply_counts(self, metrics: Sequence[Metrics]) -> "PollBatch":
        ids = tuple(m.platform_post_id for m in metrics
                    if m.replies > 0 and m.platform_post_id in self.targets)
        return replace(self, with_replies=ids)


def _engagement_due(now: datetime, window: timedelta) -> tuple[Any, ...]:
    """Published targets younger than ``window`` on accounts that still work."""
    return (PostTarget.status == Status.PUBLISHED.value,
            PostTarget.published_at >= now - window,
            PostTarget.platform_post_id.is_not(None),
            SocialAccount.status == "active")


def accounts_due_for_engagement(session: Session, *, now: datetime,
                                window: timedelta = ENGAGEMENT_WINDOW) -> list[int]:
    return list(session.scalars(
        select(SocialAccount.id).distinct()
        .join(PostTarget, PostTarget.account_id == SocialAccount.id)
        .where(*_engagement_due(now, window))
        .order_by(SocialAccount.id)))


def due_for_engagement(session: Session, *, now: datetime,
                       window: timedelta = ENGAGEMENT_WINDOW,
                       account_id: int | None = None) -> list[PollBatch]:
    """Those targets grouped by account (one account's when given), for batched metric calls."""
    query = (
        select(PostTarget.id, PostTarget.platform_post_id, SocialAccount)
        .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
        .where(*_engagement_due(now, window))
        .order_by(SocialAccount.id, PostTarget.id)
    )
    if account_id is not None:
        query = query.where(SocialAccount.id == account_id)
    rows = session.execute(query).all()
    batches: dict[int, PollBatch] = {}
    for target_id, post_id, account in rows:
        batch = batches.get(account.id)
        if batch is None:
            batch = batches[account.id] = PollBatch(account.id, account.platform,
                                                   account.credentials_encrypted,
                                                   account.api_base_url, {})
        batch.targets[post_id] = target_id
    return list(batches.values())


def record_engagement(session: Session, batch: PollBatch, metrics: Sequence[Metrics], *,
                      now: datetime) -> int:
    count = 0
    for m in metrics:
        target_id = batch.targets.get(m.platform_post_id)
        if target_id is None:
            continue
        session.add(EngagementSnapshot(target_id=target_id, taken_at=now, likes=m.likes,
                                       reposts=m.reposts, replies=m.replies,
                                       impressions=m.impressions))
        count += 1
    return count


def latest_engagement(session: Session, target_id: int) -> EngagementSnapshot | None:
    return session.scalars(
        select(EngagementSnapshot).where(EngagementSnapshot.target_id == target_id)
        .order_by(EngagementSnapshot.taken_at.desc()).limit(1)
    ).first()


def record_replies(session: Session, target_id: int, replies: Sequence[Reply], *,
                   now: datetime) -> int:
    """Store replies not seen before; returns how many were new."""
    known = set(session.scalars(
        select(CommunityReply.platform_reply_id).where(CommunityReply.target_id == target_id)))
    new = 0
    for reply in replies:
        if reply.platform_reply_id in known:
            continue
        known.add(reply.platform_reply_id)
        session.add(CommunityReply(target_id=target_id, platform_reply_id=reply.platform_reply_id,
                                   author=reply.author[:300], text=reply.text,
                                   created_at=reply.created_at, fetched_at=now))
        new += 1
    return new


def replies_for_post(session: Session, post_id: int) -> list[CommunityReply]:
    return list(session.scalars(
        select(CommunityReply).join(PostTarget, PostTarget.id == CommunityReply.target_id)
        .where(PostTarget.post_id == post_id).order_by(CommunityReply.created_at)))
