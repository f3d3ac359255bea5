"""Posting budgets: the platforms' published limits, configurable, applied at claim time so a
burst waits its window (with the reason) instead of drawing 429s."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content_queue.budgets import (
    DEFAULT_BUDGETS,
    Budget,
    Window,
    parse_budgets,
    plan,
)
from content_queue.models import PostTarget
from content_queue.states import Status
from scheduler import tick
from tests.unit.conftest import NOW


def test_defaults_follow_the_platforms_published_limits() -> None:
    assert DEFAULT_BUDGETS["x"] == Budget((Window(100, 900),))
    assert DEFAULT_BUDGETS["instagram"] == Budget((Window(50, 86400),))
    # Bluesky: 5,000 points an hour, 35,000 a day, 3 points a post
    assert DEFAULT_BUDGETS["bluesky"] == Budget((Window(1666, 3600), Window(11666, 86400)))
    assert DEFAULT_BUDGETS["mastodon"] == Budget((Window(300, 300),))
    assert DEFAULT_BUDGETS["sandbox"].unlimited


def test_setting_overrides_some_platforms_and_keeps_the_rest() -> None:
    budgets = parse_budgets("x=10/1m, bluesky=1666/1h+11666/24h ,sandbox=none,instagram=5/2d")
    assert budgets["x"] == Budget((Window(10, 60),))
    assert budgets["bluesky"] == DEFAULT_BUDGETS["bluesky"]
    assert budgets["instagram"] == Budget((Window(5, 172800),))
    assert budgets["mastodon"] == DEFAULT_BUDGETS["mastodon"]
    assert budgets["sandbox"].unlimited


@pytest.mark.parametrize("raw", ["x", "x=", "x=100", "x=100/15", "x=a/15m", "x=0/15m",
                                 "x=100/15w", "=100/15m"])
def test_a_malformed_budget_setting_is_refused_with_its_format(raw) -> None:
    with pytest.raises(ValueError, match="POSTING_BUDGETS"):
        parse_budgets(raw)


def test_plan_lets_the_window_fill_then_waits_for_the_oldest_use_to_leave_it() -> None:
    budget = Budget((Window(3, 60),))
    used = [NOW - timedelta(seconds=50), NOW - timedelta(seconds=10)]
    allowed, later = plan(budget, used, 4, NOW)
    assert allowed == 1
    assert later == [NOW + timedelta(seconds=10), NOW + timedelta(seconds=50),
                     NOW + timedelta(seconds=60)]


def test_plan_keeps_both_of_two_windows() -> None:
    budget = Budget((Window(2, 60), Window(3, 3600)))
    allowed, later = plan(budget, [], 4, NOW)
    assert allowed == 2
    assert later == [NOW + timedelta(seconds=60), NOW + timedelta(seconds=3600)]


def test_a_burst_of_150_x_posts_on_one_account_claims_100_and_defers_50(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    account = make.account("x")
    due = NOW + timedelta(minutes=1)
    ids = [make.post(author=admin, accounts=[account], status=Status.SCHEDULED, at=due,
                     text=f"post {i}").targets[0].id for i in range(150)]
    session.commit()

    result = tick(rolled_back_db, due, lambda claimed: None)

    assert sorted(result.claimed) == ids[:100]
    assert sorted(result.deferred) == ids[100:]
    session.expire_all()
    waiting = session.get(PostTarget, ids[120])
    assert waiting.status == "scheduled" and waiting.error_code == "posting_budget"
    assert waiting.next_attempt_at == due + timedelta(minutes=15)
    # 14:16 UTC is 09:16 in Chicago (CDT) on the test's date
    assert waiting.last_error == ("X allows 100 posts per 15 minutes; this one goes at "
                                  "09:16 CDT.")
    # nothing more goes out until the window allows it, then the rest go
    assert tick(rolled_back_db, due + timedelta(minutes=14), lambda c: None).claimed == []
    later = tick(rolled_back_db, due + timedelta(minutes=15), lambda c: None)
    assert sorted(later.claimed) == ids[100:]


def test_unlimited_platforms_are_never_deferred(session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    account = make.account("sandbox")
    due = NOW + timedelta(minutes=1)
    for i in range(120):
        make.post(author=admin, accounts=[account], status=Status.SCHEDULED, at=due,
                  text=f"post {i}")
    session.commit()

    result = tick(rolled_back_db, due, lambda claimed: None)

    assert len(result.claimed) == 120 and result.deferred == []


def test_earlier_posts_in_the_window_count_against_the_budget(
        session, make, rolled_back_db) -> None:
    admin = make.user("admin")
    account = make.account("instagram")
    due = NOW + timedelta(minutes=1)
    first_of_day = NOW - timedelta(hours=20)
    for i in range(50):
        make.post(author=admin, accounts=[account], status=Status.PUBLISHED, at=first_of_day,
                  text=f"done {i}", claimed_at=first_of_day + timedelta(minutes=i),
                  published_at=first_of_day + timedelta(minutes=i))
    waiting = make.post(author=admin, accounts=[account], status=Status.SCHEDULED,
                        at=due).targets[0]
    session.commit()

    result = tick(rolled_back_db, due, lambda claimed: None)

    assert result.claimed == [] and result.deferred == [waiting.id]
    session.expire_all()
    assert session.get(PostTarget, waiting.id).next_attempt_at == first_of_day + timedelta(hours=24)
