"""The shift briefing's content: the week's highlighted replies (never hidden ones) and the
week's top posts by their latest snapshot. Shown by web/briefing on a dispatch-floor screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.feedback import WallEntry, WallFilter, wall_query
from content_queue.models import CommunityReply, EngagementSnapshot, Post, PostTarget, SocialAccount

BRIEFING_PERIOD = timedelta(days=7)


def briefing_highlights(session: Session, agency_id: int, *, now: datetime,
                        limit: int = 8) -> list[WallEntry]:
    """The week's highlighted replies (hidden ones never reach a floor screen)."""
    query = wall_query(agency_id, WallFilter(highlighted=True)).where(
        CommunityReply.highlighted_at >= now - BRIEFING_PERIOD)
    rows = session.execute(query.order_by(CommunityReply.highlighted_at.desc())
                           .limit(limit)).all()
    return [WallEntry(*row) for row in rows]


@dataclass(frozen=True)
class TopPost:
    post_id: int
    text: str
    engagement: int
    platforms: list[str]


def top_posts(session: Session, agency_id: int, *, now: datetime,
              limit: int = 3) -> list[TopPost]:
    """The week's posts by their targets' latest snapshot (likes + reposts + replies)."""
    latest = (select(EngagementSnapshot.target_id,
                     func.max(EngagementSnapshot.taken_at).label("taken_at"))
              .group_by(EngagementSnapshot.target_id).subquery())
    rows = session.execute(
        select(Post.id, Post.text, SocialAccount.platform,
               EngagementSnapshot.likes + EngagementSnapshot.reposts + EngagementSnapshot.replies)
        .join(PostTarget, PostTarget.post_id == Post.id)
        .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
        .join(latest, latest.c.target_id == PostTarget.id)
        .join(EngagementSnapshot, (EngagementSnapshot.target_id == latest.c.target_id)
              & (EngagementSnapshot.taken_at == latest.c.taken_at))
        .where(Post.agency_id == agency_id,
               PostTarget.published_at >= now - BRIEFING_PERIOD)).all()
    by_post: dict[int, TopPost] = {}
    for post_id, text, platform, total in rows:
        current = by_post.get(post_id)
        if current is None:
            by_post[post_id] = TopPost(post_id, text, int(total or 0), [platform])
        else:
            by_post[post_id] = TopPost(post_id, text, current.engagement + int(total or 0),
                                       sorted({*current.platforms, platform}))
    ranked = sorted(by_post.values(), key=lambda p: (-p.engagement, -p.post_id))
    return [p for p in ranked if p.engagement > 0][:limit]
