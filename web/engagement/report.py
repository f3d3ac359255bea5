"""What the engagement dashboard shows, built once per request: the charts and, for each chart,
the table with the same numbers. The page renders those tables and the CSV export writes them,
so the export is exactly what is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from flask import url_for
from markupsafe import Markup
from sqlalchemy.orm import Session

from content_queue import engagement_stats as stats
from content_queue.models import User
from content_queue.timeutil import utc_to_local
from web.common.formatting import platform_label
from web.engagement import charts
from web.engagement.filters import Chosen

NOT_REPORTED = "not reported"
OVER_TIME_LINES = 5
METRICS = ("likes", "reposts", "replies", "views")


@dataclass(frozen=True)
class Link:
    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    key: str  # the CSV export's ?table= name
    caption: str
    headers: Sequence[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    intro: str
    chart: Markup | None
    table: Table
    extra: Any = None


def shown(value: Any) -> Any:
    """``None`` (a platform that does not report it) reads "not reported", never 0."""
    return NOT_REPORTED if value is None else value


def _local(moment: datetime, tz_name: str) -> str:
    return utc_to_local(moment, tz_name).strftime("%Y-%m-%d %H:%M")


def _post_link(post_id: int, text: str) -> Link:
    return Link(charts.short(text, 60), url_for("engagement.post", post_id=post_id))


def _hours(since: datetime, at: datetime) -> float:
    return max(0.0, (at - since).total_seconds() / 3600)


def _age(hours: float) -> str:
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} d"


def _counts_row(counts: stats.Counts) -> list[Any]:
    return [counts.posts, counts.likes, counts.reposts, counts.replies, shown(counts.views)]


COUNT_HEADERS = ("Posts", "Likes", "Reposts", "Replies", "Views")


@dataclass
class Report:
    chosen: Chosen
    totals: stats.Counts
    sections: list[Section]

    def table(self, key: str) -> Table | None:
        return next((s.table for s in self.sections if s.table.key == key), None)


def build_report(session: Session, actor: User, chosen: Chosen, *, now: datetime,
                 slots: dict[int, list[str]] | None = None) -> Report:
    """``slots``: each account's posting slots; ``None`` when the install has none."""
    tz = actor.agency.timezone
    rows = stats.latest_rows(session, actor.agency_id, chosen.filters)
    totals = stats.count(rows)
    sections = [
        _over_time(session, rows, tz),
        _by_platform(rows),
        _by_campaign(rows),
        *_top(rows, chosen, now, tz),
        _weekday_hour(rows, tz),
        _suggestions(rows, tz, slots),
    ]
    comparison = _comparison(session, actor, chosen, rows)
    if comparison is not None:
        sections.append(comparison)
    sections.append(_all_posts(rows, tz))
    return Report(chosen, totals, sections)


def _over_time(session: Session, rows: Sequence[stats.TargetRow], tz: str) -> Section:
    chosen_rows = sorted(rows, key=lambda r: (-r.engagement, -r.published_at.timestamp()))
    chosen_rows = chosen_rows[:OVER_TIME_LINES]
    points = stats.snapshots_for(session, [r.target_id for r in chosen_rows])
    series, table = [], Table("over_time", "Engagement over time: every snapshot of the posts "
                              "charted", ("Post", "Account", "Snapshot at", "Since publishing",
                                          "Likes", "Reposts", "Replies", "Views"))
    for row in chosen_rows:
        name = f"{charts.short(row.text, 30)} · {platform_label(row.platform)} @{row.handle}"
        line = [(_hours(row.published_at, p.at), float(p.engagement)) for p in points[row.target_id]]
        series.append((name, line))
        for p in points[row.target_id]:
            table.rows.append([_post_link(row.post_id, row.text),
                               f"{platform_label(row.platform)} @{row.handle}", _local(p.at, tz),
                               _age(_hours(row.published_at, p.at)), p.likes, p.reposts,
                               p.replies, shown(p.views)])
    chart = charts.line_chart(
        "chart-over-time", "Engagement over time of the most engaged posts",
        "Likes, reposts and replies together, at each snapshot after publishing (log time "
        f"scale), for the {len(series)} most engaged posts in the range.", series)
    return Section("over_time", "Engagement over time",
                   "Likes + reposts + replies at each poll (+1 h, +24 h, +7 d, +30 d) of the most "
                   "engaged posts.", chart, table)


def _group_section(key: str, title: str, label_header: str, groups: Sequence[stats.Group],
                   label, intro: str) -> Section:
    items = [(label(g), float(g.counts.engagement)) for g in groups]
    chart = charts.bar_chart(f"chart-{key}", f"{title}: likes, reposts and replies",
                             f"One bar per {label_header.lower()}: likes + reposts + replies.",
                             items)
    table = Table(key, title, (label_header, *COUNT_HEADERS, "Engagement", "Per post"))
    for g in groups:
        table.rows.append([label(g), *_counts_row(g.counts), g.counts.engagement,
                           round(g.counts.per_post, 1)])
    return Section(key, title, intro, chart, table)


def _by_platform(rows) -> Section:
    return _group_section("by_platform", "Totals per platform", "Platform",
                          stats.by_platform(rows), lambda g: platform_label(g.key),
                          "Views are \"not reported\" where a platform does not give them "
                          "(Mastodon, Bluesky).")


def _by_campaign(rows) -> Section:
    return _group_section("by_campaign", "Totals per campaign", "Campaign",
                          stats.by_campaign(rows), lambda g: g.label,
                          "Posts outside any campaign are counted under \"No campaign\".")


def _top(rows, chosen: Chosen, now: datetime, tz: str) -> list[Section]:
    week_from, month_from = stats.week_and_month_before(chosen.filters.end, now)
    out = []
    for key, title, since in (("top_week", "Top posts of the week", week_from),
                              ("top_month", "Top posts of the month", month_from)):
        top = stats.top_posts(rows, since=since)
        chart = charts.bar_chart(f"chart-{key}", title,
                                 "One bar per post: likes + reposts + replies on every account.",
                                 [(charts.short(p.text, 30), float(p.counts.engagement))
                                  for p in top[:5]])
        table = Table(key, title, ("Post", "Published", "Platforms", "Likes", "Reposts",
                                   "Replies", "Views", "Engagement"))
        for p in top:
            table.rows.append([_post_link(p.post_id, p.text), _local(p.published_at, tz),
                               ", ".join(platform_label(x) for x in p.platforms),
                               p.counts.likes, p.counts.reposts, p.counts.replies,
                               shown(p.counts.views), p.counts.engagement])
        out.append(Section(key, title, f"Published since {_local(since, tz)}, most engaged "
                           "first.", chart, table))
    return out


def _weekday_hour(rows, tz: str) -> Section:
    cells = stats.weekday_hour(rows, tz)
    chart = charts.heatmap("chart-weekday-hour", "Engagement per post by weekday and hour",
                           "A grid of weekdays by hours of the day (agency time); a darker "
                           "cell drew more engagement per post published then.",
                           stats.WEEKDAYS, {(c.weekday, c.hour): (c.posts, c.per_post)
                                            for c in cells})
    table = Table("weekday_hour", "Engagement per post by weekday and hour published",
                  ("Weekday", "Hour", "Posts", "Engagement per post"))
    for c in cells:
        table.rows.append([stats.WEEKDAYS[c.weekday], f"{c.hour:02d}:00", c.posts,
                           round(c.per_post, 1)])
    return Section("weekday_hour", "When does the community answer?",
                   "Likes + reposts + replies per post, by when the post went out.", chart, table)


def _suggestions(rows, tz: str, slots: dict[int, list[str]] | None) -> Section:
    suggestions = stats.suggested_times(rows, tz)
    table = Table("suggested_times", "Suggested posting times per account",
                  ("Account", "Suggested time", "Engagement per post", "Rests on posts",
                   "Account's posts looked at", "Posting slots"))
    for s in suggestions:
        account = f"{platform_label(s.platform)} @{s.handle}"
        own_slots = ("not available" if slots is None
                     else ", ".join(slots.get(s.account_id, [])) or "none set")
        if not s.times:
            table.rows.append([account, f"not enough history yet (needs "
                               f"{stats.MIN_POSTS_FOR_SUGGESTION} posts at the same weekday "
                               "and hour)", "", 0, s.posts, own_slots])
        for cell in s.times:
            table.rows.append([account, f"{stats.WEEKDAYS[cell.weekday]} {cell.hour:02d}:00",
                               round(cell.per_post, 1), cell.posts, s.posts, own_slots])
    return Section("suggested_times", "Suggested posting times",
                   "From this agency's own history: the weekdays and hours whose posts drew the "
                   f"most engagement per post, each resting on at least "
                   f"{stats.MIN_POSTS_FOR_SUGGESTION} posts.", None, table,
                   extra=suggestions)


def _comparison(session: Session, actor: User, chosen: Chosen, rows) -> Section | None:
    campaign_id = chosen.campaign_id or stats.latest_campaign_with_engagement(
        session, actor.agency_id, rows)
    if campaign_id is None:
        return None
    current, before = stats.compare_campaigns(session, actor.agency_id, campaign_id,
                                              chosen.filters)
    compared = [current] + ([before] if before else [])
    series = [(c.name, [float(c.counts.likes), float(c.counts.reposts),
                        float(c.counts.replies)]) for c in compared]
    chart = charts.grouped_bar_chart(
        "chart-campaigns", f"{current.name} compared with "
        f"{before.name if before else 'no earlier campaign'}",
        "Grouped bars of likes, reposts and replies per campaign (views are in the table).",
        ["Likes", "Reposts", "Replies"], series)
    table = Table("campaign_comparison", "A campaign compared with the previous one",
                  ("Campaign", *COUNT_HEADERS, "Engagement", "Per post"))
    for c in compared:
        table.rows.append([c.name, *_counts_row(c.counts), c.counts.engagement,
                           round(c.counts.per_post, 1)])
    intro = (f"The whole of “{current.name}” against “{before.name}”, the campaign before it."
             if before else f"“{current.name}” is the agency's first campaign: nothing to "
             "compare it with yet.")
    return Section("campaign_comparison", "Campaign compared with the previous one", intro,
                   chart, table)


def _all_posts(rows, tz: str) -> Section:
    table = Table("posts", "Every published post in the range (latest snapshot)",
                  ("Post", "Account", "Campaign", "Published", "Snapshot at", "Likes",
                   "Reposts", "Replies", "Views"))
    for r in rows:
        table.rows.append([_post_link(r.post_id, r.text),
                           f"{platform_label(r.platform)} @{r.handle}",
                           r.campaign_name or stats.NO_CAMPAIGN, _local(r.published_at, tz),
                           _local(r.taken_at, tz), r.likes, r.reposts, r.replies,
                           shown(r.views)])
    return Section("posts", "Every post", "The latest snapshot of each published post in the "
                   "range, newest first.", None, table)
