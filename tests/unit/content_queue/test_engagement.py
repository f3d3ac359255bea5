"""Engagement: which published posts are polled (recent ones on working accounts, one batch per
account), what a poll stores, and replies kept once however often they are fetched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from content_queue.engagement import (
    PollBatch,
    accounts_due_for_engagement,
    due_for_engagement,
    latest_engagement,
    record_engagement,
    record_replies,
    replies_for_post,
)
from content_queue.models import CommunityReply, EngagementSnapshot
from content_queue.ports import Metrics, Reply
from tests.unit.conftest import NOW


def _published(make, account, platform_post_id: str | None, *, ago: timedelta = timedelta(days=1)):
    post = make.post(author=make.user("pio"), accounts=[account], status="published",
                     at=NOW - ago, published_at=NOW - ago, platform_post_id=platform_post_id)
    return post.targets[0]


def _reply(reply_id: str, *, minutes: int = 0, author: str = "neighbor") -> Reply:
    return Reply(platform_reply_id=reply_id, platform_post_id="p1", author=author,
                 text="Thank you, dispatchers!", created_at=NOW + timedelta(minutes=minutes))


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_recent_published_posts_on_working_accounts_are_due_one_batch_per_account(
        session, make) -> None:
    first, second = make.account(), make.account("mastodon")
    a1 = _published(make, first, "a-1")
    a2 = _published(make, first, "a-2", ago=timedelta(days=29))
    b1 = _published(make, second, "b-1")

    batches = due_for_engagement(session, now=NOW)

    assert [(b.account_id, b.platform, b.targets) for b in batches] == [
        (first.id, "sandbox", {"a-1": a1.id, "a-2": a2.id}),
        (second.id, "mastodon", {"b-1": b1.id}),
    ]
    assert accounts_due_for_engagement(session, now=NOW) == [first.id, second.id]
    assert [b.account_id for b in due_for_engagement(session, now=NOW, account_id=second.id)] == \
        [second.id]


def test_old_unpublished_and_broken_account_posts_are_not_polled(session, make) -> None:
    working = make.account()
    _published(make, working, "too-old", ago=timedelta(days=31))
    _published(make, working, None)  # published, but the platform gave no id
    make.post(author=make.user("pio"), accounts=[working], status="scheduled")
    _published(make, make.account(status="reconnect_needed"), "needs-login")
    _published(make, make.account(status="disabled"), "turned-off")
    assert due_for_engagement(session, now=NOW) == []
    assert accounts_due_for_engagement(session, now=NOW) == []


def test_a_poll_stores_one_snapshot_per_known_post_and_the_latest_wins(session, make) -> None:
    target = _published(make, make.account(), "p1")
    batch = PollBatch(target.account_id, "sandbox", "", None, {"p1": target.id})
    stored = record_engagement(session, batch, [Metrics("p1", likes=3, replies=1),
                                                Metrics("unknown", likes=99)], now=NOW)
    record_engagement(session, batch, [Metrics("p1", likes=7, reposts=2, replies=4,
                                               impressions=120)],
                      now=NOW + timedelta(hours=1))
    session.flush()
    assert stored == 1
    assert _count(session, EngagementSnapshot) == 2
    latest = latest_engagement(session, target.id)
    assert (latest.likes, latest.reposts, latest.replies, latest.impressions) == (7, 2, 4, 120)


def test_replies_are_fetched_only_for_posts_whose_metrics_show_some() -> None:
    batch = PollBatch(1, "sandbox", "", None, {"p1": 10, "p2": 11})
    metrics = [Metrics("p1", replies=2), Metrics("p2", replies=0), Metrics("elsewhere", replies=5)]
    assert batch.with_reply_counts(metrics).with_replies == ("p1",)


def test_replies_seen_before_are_not_stored_again(session, make) -> None:
    target = _published(make, make.account(), "p1")
    first = record_replies(session, target.id, [_reply("r1"), _reply("r2"), _reply("r1")], now=NOW)
    session.flush()
    again = record_replies(session, target.id, [_reply("r2"), _reply("r3", minutes=5)],
                           now=NOW + timedelta(minutes=10))
    session.flush()
    assert (first, again) == (2, 1)
    ids = session.scalars(select(CommunityReply.platform_reply_id)
                          .order_by(CommunityReply.platform_reply_id)).all()
    assert ids == ["r1", "r2", "r3"]


def test_the_same_reply_id_on_another_post_is_another_reply(session, make) -> None:
    account = make.account()
    one, two = _published(make, account, "p1"), _published(make, account, "p2")
    assert record_replies(session, one.id, [_reply("r1")], now=NOW) == 1
    assert record_replies(session, two.id, [_reply("r1")], now=NOW) == 1
    session.flush()
    assert _count(session, CommunityReply) == 2


@pytest.mark.parametrize("length", [300, 301, 1000])
def test_a_reply_author_is_kept_to_300_characters(session, make, length) -> None:
    target = _published(make, make.account(), "p1")
    record_replies(session, target.id, [_reply("r1", author="a" * length)], now=NOW)
    session.flush()
    assert len(session.scalars(select(CommunityReply.author)).one()) == min(length, 300)


def test_a_post_s_replies_come_in_the_order_they_were_written(session, make) -> None:
    account = make.account()
    post = make.post(author=make.user("pio"), accounts=[account, make.account("mastodon")],
                     status="published", published_at=NOW, platform_post_id="p1")
    first, second = post.targets
    record_replies(session, second.id, [_reply("late", minutes=9)], now=NOW)
    record_replies(session, first.id, [_reply("early", minutes=1)], now=NOW)
    session.flush()
    assert [r.platform_reply_id for r in replies_for_post(session, post.id)] == ["early", "late"]
