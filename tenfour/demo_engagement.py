"""Demo history for the engagement dashboard: eight weeks of clearly marked "[Demo]" posts on the
demo sandbox accounts, published in the past, with the snapshots the poll schedule would have
taken (+1 h, +24 h, +7 d, +30 d), so the dashboard has something to chart in the first five
minutes of `tenfour run`. The counts come from the simulator's own growth curve.

Idempotent: nothing is added once the demo campaigns exist. The demo posts' schedule rows are
marked done, so the poll never asks the simulator about posts it never saw.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.engagement_schedule import DEFAULT_OFFSETS
from content_queue.models import (
    Campaign,
    EngagementPoll,
    EngagementSnapshot,
    Post,
    PostTarget,
    SocialAccount,
    User,
)
from content_queue.timeutil import local_to_utc, utc_to_local
from simulator.engagement import metrics_for

CAMPAIGNS = (
    ("[Demo] Winter weather safety", 56, "Past demo campaign: staying safe in winter storms."),
    ("[Demo] Text-to-911 awareness", 27, "Demo campaign: when and how to text 911."),
)
#: (weekday 0 = Monday, local hour, account index, how well that slot does)
SLOTS = ((1, 10, 0, 1.6), (3, 12, 0, 1.2), (5, 19, 0, 0.6), (0, 8, 1, 0.8), (2, 15, 1, 1.3))
TEXTS = (
    "Know your location: street names, mile markers or landmarks help us send help faster.",
    "Can't talk? In our county you can text 911. Call if you can, text if you can't.",
    "Meet the team: our overnight dispatchers keep the lights on for the whole county.",
    "Keep your porch light on at night so crews can find your house.",
    "Thank you to everyone who toured the center at our open house!",
    "Winter storm tonight: stay off the roads if you can and check on your neighbours.",
    "We're hiring telecommunicators. Join the calm voices on the other end of the line.",
)
WEEKS = 8


def _campaign_for(published: datetime, now: datetime, campaigns: list[Campaign]) -> Campaign:
    return campaigns[1] if published >= now - timedelta(days=CAMPAIGNS[1][1]) else campaigns[0]


def seed_engagement_history(session: Session, *, agency_id: int, tz_name: str, author: User,
                            accounts: list[SocialAccount], now: datetime) -> Iterator[str]:
    names = [name for name, _, _ in CAMPAIGNS]
    if session.scalar(select(Campaign.id).where(Campaign.agency_id == agency_id,
                                                Campaign.name.in_(names))) is not None:
        return
    if not accounts:
        return
    campaigns = []
    for name, days_ago, description in CAMPAIGNS:
        campaign = Campaign(agency_id=agency_id, name=name, description=description,
                            starts_on=(now - timedelta(days=days_ago)).date(),
                            created_by_id=author.id, created_at=now - timedelta(days=days_ago))
        session.add(campaign)
        campaigns.append(campaign)
    session.flush()
    today = utc_to_local(now, tz_name).date()
    made = 0
    for week in range(WEEKS, 0, -1):
        for n, (weekday, hour, account_index, factor) in enumerate(SLOTS):
            day = today - timedelta(days=7 * week) + timedelta(days=weekday - today.weekday())
            published = local_to_utc(datetime.combine(day, datetime.min.time())
                                     .replace(hour=hour), tz_name, fold=0)
            if published > now - timedelta(hours=50):  # older than any live poll follows
                continue
            account = accounts[account_index % len(accounts)]
            text = f"[Demo] {TEXTS[(week * len(SLOTS) + n) % len(TEXTS)]}"
            campaign = _campaign_for(published, now, campaigns)
            post = Post(agency_id=agency_id, author_id=author.id, campaign_id=campaign.id,
                        text=text, approved_by_id=author.id, approved_at=published,
                        created_at=published - timedelta(days=1),
                        updated_at=published, first_scheduled_at=published)
            session.add(post)
            session.flush()
            platform_id = f"demo-{post.id}"
            target = PostTarget(post_id=post.id, account_id=account.id, status="published",
                                scheduled_at=published, next_attempt_at=published, attempts=1,
                                platform_post_id=platform_id, published_at=published,
                                created_at=post.created_at, updated_at=published)
            session.add(target)
            session.flush()
            taken = 0
            for offset in DEFAULT_OFFSETS:
                at = published + offset
                if at > now:
                    break
                m = metrics_for(platform_id, offset.total_seconds())
                session.add(EngagementSnapshot(
                    target_id=target.id, taken_at=at, likes=int(m.likes * factor),
                    reposts=int(m.reposts * factor), replies=m.replies,
                    impressions=int(m.views * factor)))
                taken += 1
            # The schedule of a demo post is done: the simulator never saw it.
            session.add(EngagementPoll(target_id=target.id, agency_id=agency_id,
                                       account_id=account.id, published_at=published,
                                       next_poll_at=None, polls_done=taken, failures=0,
                                       last_polled_at=published + DEFAULT_OFFSETS[taken - 1]
                                       if taken else None))
            made += 1
    session.flush()
    yield (f"Seeded {made} [Demo] published posts with engagement history (two demo "
           "campaigns) for the engagement dashboard.")
