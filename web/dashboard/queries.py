"""The dashboard's read-only lists: what is coming up, what went out, what waits for an
approver, which accounts must be reconnected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from content_queue.models import Post, PostTarget, SocialAccount
from content_queue.states import Status


@dataclass(frozen=True)
class PostGroup:
    """One post and those of its targets a dashboard list is about (one line per post)."""

    post: Post
    targets: list[PostTarget]
    when: datetime


def _grouped(session: Session, agency_id: int, status: Status, column, descending: bool,
             limit: int) -> list[PostGroup]:
    order = (column.desc() if descending else column.asc(), PostTarget.id)
    # The list's posts first, from light (post, time) rows off the status index; then only
    # those posts' targets as objects. Loading the 8 x ``limit`` candidate targets with their
    # posts and accounts, to keep ``limit`` posts of them, was 40% of the dashboard's time.
    when: dict[int, datetime] = {}
    for post_id, at in session.execute(
            select(PostTarget.post_id, column)
            .join(Post, Post.id == PostTarget.post_id)
            .where(Post.agency_id == agency_id, PostTarget.status == status.value)
            .order_by(*order)
            .limit(limit * 8)):
        if post_id not in when:
            if len(when) == limit:
                break
            when[post_id] = at
    if not when:
        return []
    groups: dict[int, PostGroup] = {}
    for target in session.scalars(
            select(PostTarget)
            .where(PostTarget.post_id.in_(list(when)), PostTarget.status == status.value)
            .options(joinedload(PostTarget.post), joinedload(PostTarget.account))
            .order_by(*order)):
        group = groups.get(target.post_id)
        if group is None:
            group = groups[target.post_id] = PostGroup(target.post, [], when[target.post_id])
        group.targets.append(target)
    return [groups[post_id] for post_id in when if post_id in groups]


def next_scheduled(session: Session, agency_id: int, limit: int = 6) -> list[PostGroup]:
    return _grouped(session, agency_id, Status.SCHEDULED, PostTarget.scheduled_at, False, limit)


def recently_published(session: Session, agency_id: int, limit: int = 6) -> list[PostGroup]:
    return _grouped(session, agency_id, Status.PUBLISHED, PostTarget.published_at, True, limit)


def awaiting_approval(session: Session, agency_id: int, limit: int = 10) -> list[Post]:
    # The waiting posts' ids first (a covering index read): given the agency condition in the
    # same statement, SQLite scanned every post of the agency instead.
    waiting = list(session.scalars(select(PostTarget.post_id).distinct().where(
        PostTarget.status == Status.AWAITING_APPROVAL.value)))
    if not waiting:
        return []
    return list(session.scalars(
        select(Post)
        .where(Post.agency_id == agency_id, Post.id.in_(waiting))
        .options(selectinload(Post.targets).joinedload(PostTarget.account),
                 joinedload(Post.author))
        .order_by(Post.created_at, Post.id)
        .limit(limit)
    ))


def accounts_needing_reconnection(session: Session, agency_id: int) -> list[SocialAccount]:
    return list(session.scalars(
        select(SocialAccount)
        .where(SocialAccount.agency_id == agency_id, SocialAccount.status == "reconnect_needed")
        .order_by(SocialAccount.platform, SocialAccount.handle)
    ))
