"""Copies of posts and the look-out for repeats.

``duplicate_post`` starts a new draft from an old post (same text, variants, images, accounts
and campaign), so last year's NPSTW thank-you is a click away. ``same_text_warnings`` tells
the PIO — without refusing anything — that the very same text is already going out on the
same account within a day: platforms refuse exact duplicates (X answers 403) and followers
notice them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from content_queue.models import Post, PostMedia, PostTarget, PostVariant, SocialAccount, User
from content_queue.platforms import RULES
from content_queue.post_times import sync_post_time
from content_queue.services import get_post, require_author
from content_queue.states import Status
from content_queue.users import audit
from content_queue.variants import text_for_platform, text_for_target

#: A repeat this close in time (either side) is worth a warning.
REPEAT_WINDOW = timedelta(hours=24)
#: States in which a target is "already scheduled" (or on its way out, or out).
_ON_ITS_WAY = (Status.AWAITING_APPROVAL.value, Status.SCHEDULED.value, Status.HELD.value,
               Status.PUBLISHING.value, Status.PUBLISHED.value)
#: At most this many neighbouring targets are compared (a day on a handful of accounts).
_NEIGHBOURS = 500
_SPACE = re.compile(r"\s+")


def _same(a: str, b: str) -> bool:
    return _SPACE.sub(" ", a).strip().casefold() == _SPACE.sub(" ", b).strip().casefold()


def same_text_warnings(session: Session, agency_id: int, *, when: datetime,
                       texts: Mapping[int, str], accounts: Iterable[SocialAccount],
                       exclude_post_id: int | None = None) -> list[str]:
    """A sentence per account already carrying the same text within a day of ``when``.

    ``texts`` maps account id → the text that account will get.
    """
    by_id = {a.id: a for a in accounts}
    if not by_id:
        return []
    query = (
        select(PostTarget)
        .join(Post, Post.id == PostTarget.post_id)
        .where(Post.agency_id == agency_id, PostTarget.account_id.in_(list(by_id)),
               PostTarget.status.in_(_ON_ITS_WAY),
               PostTarget.scheduled_at >= when - REPEAT_WINDOW,
               PostTarget.scheduled_at <= when + REPEAT_WINDOW)
        .options(selectinload(PostTarget.post).selectinload(Post.variants),
                 selectinload(PostTarget.account))
        .order_by(PostTarget.scheduled_at)
        .limit(_NEIGHBOURS)
    )
    if exclude_post_id is not None:
        query = query.where(PostTarget.post_id != exclude_post_id)
    warnings: list[str] = []
    warned: set[int] = set()
    for target in session.scalars(query):
        wanted = texts.get(target.account_id)
        if wanted is None or target.account_id in warned:
            continue
        if _same(text_for_target(target.post, target), wanted):
            account = by_id[target.account_id]
            label = RULES[account.platform].label if account.platform in RULES else account.platform
            hours = abs((target.scheduled_at - when).total_seconds()) / 3600
            gap = "at the same time" if hours < 1 else f"{hours:.0f} hours apart"
            warnings.append(
                f"The same text is already {target.status.replace('_', ' ')} on {label} "
                f"@{account.handle} (post {target.post_id}), {gap}. Platforms may refuse an "
                "exact repeat; change the wording or the day if that is not what you meant.")
            warned.add(target.account_id)
    return warnings


def warnings_for_post(session: Session, post: Post) -> list[str]:
    """The repeat warnings of a post just queued (its own targets are not compared)."""
    targets = list(post.targets)
    if not targets:
        return []
    accounts = [t.account for t in targets]
    texts = {t.account_id: text_for_target(post, t) for t in targets}
    when = min(t.scheduled_at for t in targets)
    return same_text_warnings(session, post.agency_id, when=when, texts=texts, accounts=accounts,
                              exclude_post_id=post.id)


def _next_free_time(original: datetime | None, now: datetime) -> datetime:
    """The copy keeps the original's time while it is still ahead; otherwise the same clock
    time on the next day that is at least an hour away (the PIO changes it before submitting)."""
    if original is not None and original > now + timedelta(minutes=5):
        return original
    base = original or now
    while base < now + timedelta(hours=1):
        base += timedelta(days=1)
    return base


def duplicate_post(session: Session, *, actor: User, post_id: int, now: datetime) -> Post:
    """A new draft by ``actor`` with the post's text, variants, images, accounts and campaign."""
    require_author(actor)
    source = get_post(session, actor, post_id)
    accounts = [t.account for t in source.targets if t.account.status != "disabled"]
    when = _next_free_time(source.first_scheduled_at, now)
    copy = Post(agency_id=source.agency_id, author_id=actor.id, campaign_id=source.campaign_id,
                text=source.text, first_scheduled_at=when, created_at=now, updated_at=now)
    session.add(copy)
    session.flush()
    for attachment in source.attachments:
        session.add(PostMedia(post_id=copy.id, media_id=attachment.media_id,
                              position=attachment.position))
    platforms = {a.platform for a in accounts}
    for variant in source.variants:
        if variant.platform in platforms:
            session.add(PostVariant(agency_id=copy.agency_id, post_id=copy.id,
                                    platform=variant.platform, text=variant.text,
                                    created_at=now, updated_at=now))
    for account in dict.fromkeys(accounts):
        session.add(PostTarget(post_id=copy.id, account_id=account.id, status=Status.DRAFT.value,
                               scheduled_at=when, next_attempt_at=when, attempts=0,
                               created_at=now, updated_at=now))
    session.flush()
    session.refresh(copy)
    sync_post_time(copy)
    audit(session, "post.duplicated", actor_id=actor.id, entity_type="post", entity_id=copy.id,
          now=now, details={"source_post_id": source.id})
    session.flush()
    return copy


def texts_by_platform(post: Post) -> dict[str, str]:
    """What each of the post's platforms publishes (for pages that show the variants)."""
    return {t.account.platform: text_for_platform(post, t.account.platform) for t in post.targets}
