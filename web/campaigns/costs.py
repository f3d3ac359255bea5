"""What the campaigns page, the compose page and the API all show about cost: the configured
per-post prices, and how many posts each campaign holds."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.models import Post
from web.common.state import get_state


def price_table() -> dict[str, float]:
    """The configured per-post prices, as the mapping ``content_queue.costs`` takes."""
    settings = get_state().settings
    return {"x_price_per_post": settings.x_price_per_post,
            "x_price_per_link_post": settings.x_price_per_link_post}


def count_campaign_posts(session: Session, campaign_ids: Iterable[int]) -> dict[int, int]:
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = session.execute(select(Post.campaign_id, func.count()).where(Post.campaign_id.in_(ids))
                           .group_by(Post.campaign_id))
    return {campaign_id: n for campaign_id, n in rows}
