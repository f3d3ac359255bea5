"""Engagement read back for people: totals, per platform and campaign, top posts, when the
community answers (weekday × hour), suggested posting times, a campaign against the one before.

Everything starts from each published target's latest snapshot (one query); the grouping is
done here in Python, in the agency's own time zone, which keeps it the same on SQLite and
PostgreSQL. An agency has hundreds of posts a year, not millions.

Views are ``None`` — "not reported" — where no platform in a group reports them (Mastodon,
Bluesky), never 0; a sum of views covers only the targets that report them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.models import Campaign, EngagementSnapshot, Post, PostTarget, SocialAccount
from content_queue.states import Status
from content_queue.timeutil import utc_to_local, zone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: A suggested posting time rests on at least this many posts in that weekday and hour.
MIN_POSTS_FOR_SUGGESTION = 2
SUGGESTIONS_PER_ACCOUNT = 3
TOP_POSTS = 10
NO_CAMPAIGN = "No campaign"


@dataclass(frozen=True)
class Filters:
    """What the dashboard and the API narrow by. ``start``/``end`` are UTC instants
    (``end`` exclusive) on the targets' publishing time."""

    start: datetime | None = None
    end: datetime | None = None
    campaign_id: int | None = None
    account_id: int | None = None
    platform: str | None = None


@dataclass(frozen=True)
class TargetRow:
    """One published target with its latest snapshot."""

    target_id: int
    post_id: int
    text: str
    campaign_id: int | None
    campaign_name: str | None
    account_id: int
    handle: str
    platform: str
    published_at: datetime
    taken_at: datetime
    likes: int
    reposts: int
    replies: int
    views: int | None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


@dataclass
class Counts:
    """Sums over some targets; ``views`` stays ``None`` unless one of them reports views."""

    posts: int = 0
    targets: int = 0
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    views: int | None = None
    _post_ids: set = field(default_factory=set, repr=False)

    def add(self, row: TargetRow) -> None:
        self.targets += 1
        if row.post_id not in self._post_ids:
            self._post_ids.add(row.post_id)
            self.posts += 1
        self.likes += row.likes
        self.reposts += row.reposts
        self.replies += row.replies
        if row.views is not None:
            self.views = (self.views or 0) + row.views

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies

    @property
    def per_post(self) -> float:
        return self.engagement / self.posts if self.posts else 0.0

    def as_dict(self) -> dict:
        return {"posts": self.posts, "likes": self.likes, "reposts": self.reposts,
                "replies": self.replies, "views": self.views}


def count(rows: Iterable[TargetRow]) -> Counts:
    total = Counts()
    for row in rows:
        total.add(row)
    return total


def latest_rows(session: Session, agency_id: int, filters: Filters = Filters()) -> list[TargetRow]:
    """Each published target of the agency (within ``filters``) with its latest snapshot;
    targets not polled yet are left out. Newest first."""
    ranked = (select(EngagementSnapshot.id.label("sid"), EngagementSnapshot.target_id,
                     func.row_number().over(partition_by=EngagementSnapshot.target_id,
                                            order_by=(EngagementSnapshot.taken_at.desc(),
                                                      EngagementSnapshot.id.desc()))
                     .label("rank"))
              .subquery())
    query = (
        select(PostTarget.id, Post.id, Post.text, Post.campaign_id, Campaign.name,
               SocialAccount.id, SocialAccount.handle, SocialAccount.platform,
               PostTarget.published_at, EngagementSnapshot.taken_at, EngagementSnapshot.likes,
               EngagementSnapshot.reposts, EngagementSnapshot.replies,
               EngagementSnapshot.impressions)
        .join(Post, Post.id == PostTarget.post_id)
        .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
        .outerjoin(Campaign, Campaign.id == Post.campaign_id)
        .join(ranked, (ranked.c.target_id == PostTarget.id) & (ranked.c.rank == 1))
        .join(EngagementSnapshot, EngagementSnapshot.id == ranked.c.sid)
        .where(Post.agency_id == agency_id, PostTarget.status == Status.PUBLISHED.value,
               PostTarget.published_at.is_not(None))
        .order_by(PostTarget.published_at.desc(), PostTarget.id.desc())
    )
    if filters.start is not None:
        query = query.where(PostTarget.published_at >= filters.start)
    if filters.end is not None:
        query = query.where(PostTarget.published_at < filters.end)
    if filters.campaign_id is not None:
        query = query.where(Post.campaign_id == filters.campaign_id)
    if filters.account_id is not None:
        query = query.where(PostTarget.account_id == filters.account_id)
    if filters.platform is not None:
        query = query.where(SocialAccount.platform == filters.platform)
    return [TargetRow(*row) for row in session.execute(query).all()]


# --- groupings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: object
    label: str
    counts: Counts


def by_platform(rows: Sequence[TargetRow]) -> list[Group]:
    groups: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        groups[row.platform].add(row)
    return sorted((Group(name, name, c) for name, c in groups.items()),
                  key=lambda g: (-g.counts.engagement, g.key))


def by_campaign(rows: Sequence[TargetRow]) -> list[Group]:
    groups: dict[int | None, Counts] = defaultdict(Counts)
    names: dict[int | None, str] = {}
    for row in rows:
        groups[row.campaign_id].add(row)
        names[row.campaign_id] = row.campaign_name or NO_CAMPAIGN
    return sorted((Group(key, names[key], c) for key, c in groups.items()),
                  key=lambda g: (-g.counts.engagement, g.label))


@dataclass(frozen=True)
class TopPost:
    post_id: int
    text: str
    published_at: datetime
    platforms: tuple[str, ...]
    counts: Counts


def top_posts(rows: Sequence[TargetRow], *, since: datetime | None = None,
              limit: int = TOP_POSTS) -> list[TopPost]:
    """Posts (all their targets together) by likes + reposts + replies, most first."""
    groups: dict[int, list[TargetRow]] = defaultdict(list)
    for row in rows:
        if since is None or row.published_at >= since:
            groups[row.post_id].append(row)
    posts = [TopPost(post_id, group[0].text, min(r.published_at for r in group),
                     tuple(sorted({r.platform for r in group})), count(group))
             for post_id, group in groups.items()]
    posts.sort(key=lambda p: (-p.counts.engagement, -p.published_at.timestamp(), p.post_id))
    return posts[:limit]


@dataclass(frozen=True)
class Cell:
    weekday: int  # 0 = Monday
    hour: int
    posts: int
    per_post: float


def weekday_hour(rows: Sequence[TargetRow], tz_name: str) -> list[Cell]:
    """Engagement per post by the weekday and hour (agency time) it was published at."""
    groups: dict[tuple[int, int], Counts] = defaultdict(Counts)
    for row in rows:
        local = utc_to_local(row.published_at, tz_name)
        groups[(local.weekday(), local.hour)].add(row)
    return [Cell(day, hour, c.posts, c.per_post)
            for (day, hour), c in sorted(groups.items())]


@dataclass(frozen=True)
class Suggestion:
    account_id: int
    handle: str
    platform: str
    posts: int  # posts of the account the suggestion looked at
    times: tuple[Cell, ...]  # best first, each resting on >= MIN_POSTS_FOR_SUGGESTION posts


def suggested_times(rows: Sequence[TargetRow], tz_name: str, *,
                    min_posts: int = MIN_POSTS_FOR_SUGGESTION,
                    limit: int = SUGGESTIONS_PER_ACCOUNT) -> list[Suggestion]:
    """Per account, the weekdays and hours whose posts drew the most engagement per post in
    the agency's own history (each with the number of posts it rests on)."""
    per_account: dict[int, list[TargetRow]] = defaultdict(list)
    for row in rows:
        per_account[row.account_id].append(row)
    out: list[Suggestion] = []
    for account_id, group in per_account.items():
        cells = [c for c in weekday_hour(group, tz_name) if c.posts >= min_posts]
        cells.sort(key=lambda c: (-c.per_post, -c.posts, c.weekday, c.hour))
        out.append(Suggestion(account_id, group[0].handle, group[0].platform,
                              len({r.post_id for r in group}), tuple(cells[:limit])))
    return sorted(out, key=lambda s: (s.platform, s.handle))


# --- over time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    at: datetime
    likes: int
    reposts: int
    replies: int
    views: int | None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


def snapshots_for(session: Session, target_ids: Sequence[int]) -> dict[int, list[Point]]:
    """Every stored snapshot of these targets, oldest first."""
    out: dict[int, list[Point]] = {t: [] for t in target_ids}
    if not target_ids:
        return out
    for snap in session.scalars(
            select(EngagementSnapshot).where(EngagementSnapshot.target_id.in_(list(target_ids)))
            .order_by(EngagementSnapshot.target_id, EngagementSnapshot.taken_at,
                      EngagementSnapshot.id)):
        out[snap.target_id].append(Point(snap.taken_at, snap.likes, snap.reposts, snap.replies,
                                         snap.impressions))
    return out


# --- campaigns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignTotals:
    campaign_id: int
    name: str
    counts: Counts


def _campaign_order(campaign: Campaign) -> tuple:
    start = campaign.starts_on or campaign.created_at.date()
    return (start, campaign.id)


def previous_campaign(session: Session, agency_id: int, campaign_id: int) -> Campaign | None:
    """The agency's campaign that started last before this one (by start date, else the day it
    was created)."""
    campaigns = list(session.scalars(select(Campaign).where(Campaign.agency_id == agency_id)))
    current = next((c for c in campaigns if c.id == campaign_id), None)
    if current is None:
        return None
    earlier = [c for c in campaigns if _campaign_order(c) < _campaign_order(current)]
    return max(earlier, key=_campaign_order, default=None)


def latest_campaign_with_engagement(session: Session, agency_id: int,
                                    rows: Sequence[TargetRow]) -> int | None:
    ids = {r.campaign_id for r in rows if r.campaign_id is not None}
    if not ids:
        return None
    campaigns = list(session.scalars(select(Campaign).where(Campaign.id.in_(ids))))
    return max(campaigns, key=_campaign_order).id


def compare_campaigns(session: Session, agency_id: int, campaign_id: int,
                      filters: Filters = Filters()) -> tuple[CampaignTotals, CampaignTotals | None]:
    """A whole campaign (whatever the date range) against the one before it, on the same
    accounts and platforms."""
    def totals(campaign: Campaign) -> CampaignTotals:
        scoped = Filters(campaign_id=campaign.id, account_id=filters.account_id,
                         platform=filters.platform)
        return CampaignTotals(campaign.id, campaign.name,
                              count(latest_rows(session, agency_id, scoped)))

    current = session.get(Campaign, campaign_id)
    if current is None or current.agency_id != agency_id:
        raise LookupError(campaign_id)
    before = previous_campaign(session, agency_id, campaign_id)
    return totals(current), (totals(before) if before is not None else None)


def local_day_range(first: date | None, last: date | None,
                    tz_name: str) -> tuple[datetime | None, datetime | None]:
    """Agency-local days ``first``..``last`` (both included) as a UTC [start, end) range."""
    tz = zone(tz_name)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()).replace(tzinfo=tz).astimezone(timezone.utc)

    return (midnight(first) if first else None,
            midnight(last + timedelta(days=1)) if last else None)


def week_and_month_before(end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """Where "top posts of the week / month" start: 7 and 30 days before the range's end."""
    anchor = min(end, now) if end is not None else now
    return anchor - timedelta(days=7), anchor - timedelta(days=30)

