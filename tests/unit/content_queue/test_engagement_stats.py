"""Engagement read back: the latest snapshot of each target counts (not the sum of its
snapshots), filters narrow it, views stay "not reported" (None) when no platform gives them,
top posts, weekday × hour in the agency's zone, suggestions with the posts they rest on, and a
campaign against the one before it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from content_queue import engagement_stats as stats
from content_queue.models import Campaign, EngagementSnapshot
from tests.unit.conftest import NOW

H, D = timedelta(hours=1), timedelta(days=1)


class World:
    def __init__(self, session, make) -> None:
        self.session, self.make = session, make
        self.author = make.user("pio")

    def campaign(self, name: str, starts_on: date | None = None) -> Campaign:
        row = Campaign(agency_id=self.author.agency_id, name=name, starts_on=starts_on,
                       created_at=NOW - 90 * D)
        self.session.add(row)
        self.session.flush()
        return row

    def published(self, account, *, at=NOW - D, text="Stay warm tonight.", campaign=None,
                  snapshots=((1, 1, 0, None),), author=None):
        """A published post with one snapshot per (likes, reposts, replies, views), an hour
        apart, the last one the latest."""
        post = self.make.post(author=author or self.author, accounts=[account], status="published",
                              at=at, published_at=at, platform_post_id=f"p{id(text)}",
                              text=text)
        post.campaign_id = campaign.id if campaign else None
        target = post.targets[0]
        for n, (likes, reposts, replies, views) in enumerate(snapshots):
            self.session.add(EngagementSnapshot(target_id=target.id, taken_at=at + (n + 1) * H,
                                                likes=likes, reposts=reposts, replies=replies,
                                                impressions=views))
        self.session.flush()
        return post


@pytest.fixture
def world(session, make) -> World:
    return World(session, make)


def test_the_latest_snapshot_counts_not_the_sum_of_all(session, world, make) -> None:
    world.published(make.account(), snapshots=((1, 0, 0, 10), (5, 1, 2, 80)))
    rows = stats.latest_rows(session, world.author.agency_id)
    assert [(r.likes, r.reposts, r.replies, r.views) for r in rows] == [(5, 1, 2, 80)]
    assert stats.count(rows).as_dict() == {"posts": 1, "likes": 5, "reposts": 1, "replies": 2,
                                           "views": 80}


def test_views_are_not_reported_when_no_platform_gives_them_and_summed_where_some_do(
        session, world, make) -> None:
    mastodon, sandbox = make.account("mastodon"), make.account()
    world.published(mastodon, text="a", snapshots=((4, 1, 1, None),))
    only_mastodon = stats.count(stats.latest_rows(session, world.author.agency_id))
    assert only_mastodon.views is None and only_mastodon.likes == 4

    world.published(sandbox, text="b", snapshots=((2, 0, 0, 0),))
    both = stats.latest_rows(session, world.author.agency_id)
    assert stats.count(both).views == 0  # a reported zero stays a zero
    groups = {g.key: g.counts.views for g in stats.by_platform(both)}
    assert groups == {"mastodon": None, "sandbox": 0}


def test_filters_narrow_by_range_campaign_account_and_platform(session, world, make) -> None:
    x, mastodon = make.account("x"), make.account("mastodon")
    spring = world.campaign("Spring")
    world.published(x, at=NOW - 10 * D, text="old", campaign=spring)
    world.published(x, at=NOW - D, text="new x")
    world.published(mastodon, at=NOW - 2 * D, text="new mastodon", campaign=spring)
    elsewhere = make.agency(new=True)
    world.published(make.account(agency=elsewhere), text="someone else's",
                    author=make.user("pio", agency=elsewhere))

    def texts(**kwargs) -> set[str]:
        return {r.text for r in stats.latest_rows(session, world.author.agency_id,
                                                  stats.Filters(**kwargs))}

    assert texts() == {"old", "new x", "new mastodon"}
    assert texts(start=NOW - 3 * D) == {"new x", "new mastodon"}
    assert texts(end=NOW - 2 * D) == {"old"}  # the end is exclusive
    assert texts(campaign_id=spring.id) == {"old", "new mastodon"}
    assert texts(account_id=x.id) == {"old", "new x"}
    assert texts(platform="mastodon") == {"new mastodon"}


def test_unpolled_targets_are_left_out(session, world, make) -> None:
    world.published(make.account(), snapshots=())
    assert stats.latest_rows(session, world.author.agency_id) == []


def test_top_posts_are_ordered_by_likes_reposts_and_replies_within_their_period(
        session, world, make) -> None:
    account = make.account()
    world.published(account, at=NOW - 20 * D, text="month star", snapshots=((90, 9, 9, None),))
    world.published(account, at=NOW - 2 * D, text="week small", snapshots=((3, 0, 0, None),))
    world.published(account, at=NOW - 3 * D, text="week big", snapshots=((10, 5, 1, None),))
    rows = stats.latest_rows(session, world.author.agency_id)
    week_from, month_from = stats.week_and_month_before(None, NOW)
    assert [p.text for p in stats.top_posts(rows, since=week_from)] == ["week big", "week small"]
    month = stats.top_posts(rows, since=month_from)
    assert [p.text for p in month] == ["month star", "week big", "week small"]
    assert month[0].counts.engagement == 108


def test_by_campaign_groups_posts_without_one_under_no_campaign(session, world, make) -> None:
    account = make.account()
    winter = world.campaign("Winter <safety>")
    world.published(account, text="a", campaign=winter, snapshots=((5, 0, 0, None),))
    world.published(account, text="b", snapshots=((1, 0, 0, None),))
    groups = stats.by_campaign(stats.latest_rows(session, world.author.agency_id))
    assert [(g.label, g.counts.likes) for g in groups] == [("Winter <safety>", 5),
                                                          (stats.NO_CAMPAIGN, 1)]


def test_weekday_and_hour_are_the_agency_s_own(session, world, make) -> None:
    # NOW is Sunday 14:00 UTC = 09:00 in Chicago (CDT).
    world.published(make.account(), at=NOW, snapshots=((4, 0, 0, None),))
    cells = stats.weekday_hour(stats.latest_rows(session, world.author.agency_id),
                               "America/Chicago")
    assert [(c.weekday, c.hour, c.posts, c.per_post) for c in cells] == [(6, 9, 1, 4.0)]


def test_a_suggested_time_rests_on_enough_posts_and_says_how_many(session, world, make) -> None:
    account = make.account()
    for weeks, likes in ((1, 30), (2, 20), (3, 40)):  # three Sundays at 09:00 Chicago: strong
        world.published(account, at=NOW - weeks * 7 * D, text=f"sun{weeks}",
                        snapshots=((likes, 0, 0, None),))
    world.published(account, at=NOW - 7 * D + 3 * H, text="lonely star",
                    snapshots=((500, 0, 0, None),))  # one post only: not a suggestion
    for weeks in (1, 2):
        world.published(account, at=NOW - weeks * 7 * D - D, text=f"sat{weeks}",
                        snapshots=((5, 0, 0, None),))
    (suggestion,) = stats.suggested_times(stats.latest_rows(session, world.author.agency_id),
                                          "America/Chicago")
    assert suggestion.account_id == account.id and suggestion.posts == 6
    assert [(c.weekday, c.hour, c.posts, c.per_post) for c in suggestion.times] == [
        (6, 9, 3, 30.0), (5, 9, 2, 5.0)]


def test_a_campaign_is_compared_with_the_one_that_started_before_it(session, world, make) -> None:
    account = make.account()
    first = world.campaign("First", date(2027, 1, 1))
    second = world.campaign("Second", date(2027, 2, 1))
    third = world.campaign("Third", date(2027, 3, 1))
    world.published(account, at=NOW - 60 * D, text="f", campaign=first,
                    snapshots=((1, 0, 0, None),))
    world.published(account, at=NOW - 40 * D, text="s", campaign=second,
                    snapshots=((7, 1, 0, 30),))
    world.published(account, at=NOW - D, text="t", campaign=third, snapshots=((9, 0, 2, 50),))

    current, before = stats.compare_campaigns(session, world.author.agency_id, third.id,
                                              stats.Filters(start=NOW - 2 * D))
    assert (current.name, current.counts.likes, current.counts.replies) == ("Third", 9, 2)
    assert (before.name, before.counts.likes, before.counts.views) == ("Second", 7, 30)
    assert stats.compare_campaigns(session, world.author.agency_id, first.id)[1] is None
    rows = stats.latest_rows(session, world.author.agency_id)
    assert stats.latest_campaign_with_engagement(session, world.author.agency_id, rows) == third.id


def test_local_days_become_a_utc_range_that_includes_the_last_day() -> None:
    start, end = stats.local_day_range(date(2027, 4, 1), date(2027, 4, 30), "America/Chicago")
    assert start.isoformat() == "2027-04-01T05:00:00+00:00"
    assert end.isoformat() == "2027-05-01T05:00:00+00:00"
