"""The engagement poll schedule: which targets are due at which moment (+1 h, +24 h, +7 d,
+30 d after publishing), what a late poll answers, retries after a failed poll that never touch
the target, and numbers a platform does not report stored as NULL, not 0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.engagement_schedule import (
    CLAIM_LEASE,
    MAX_FAILURES,
    RETRY_FIRST,
    PLATFORM_CLAIM_LIMITS,
    PollScheduleError,
    accounts_due,
    claim_due,
    due_targets,
    first_poll,
    has_unscheduled_targets,
    next_poll,
    parse_poll_after,
    record_failed_poll,
    record_polled,
    schedule_new_targets,
    schedule_some_targets,
    schedule_targets,
)
from content_queue.models import EngagementPoll, EngagementSnapshot, PostTarget
from content_queue.ports import Metrics
from tests.unit.conftest import NOW

H, D = timedelta(hours=1), timedelta(days=1)
OFFSETS = parse_poll_after("1h,24h,7d,30d")


def _published(make, account, platform_post_id="p1", *, at=NOW):
    post = make.post(author=make.user("pio"), accounts=[account], status="published",
                     at=at, published_at=at, platform_post_id=platform_post_id)
    return post.targets[0]


def _poll(session, target) -> EngagementPoll:
    return session.get(EngagementPoll, target.id)


def _poll_at(session, account_id, moment, metrics):
    batch = claim_due(session, account_id, now=moment)
    assert batch is not None, f"nothing due at {moment}"
    return batch, record_polled(session, batch, metrics(batch), now=moment, offsets=OFFSETS)


# --- ENGAGEMENT_POLL_AFTER ------------------------------------------------------------------


def test_the_default_schedule_is_one_hour_a_day_a_week_and_a_month() -> None:
    assert parse_poll_after(None) == (H, D, 7 * D, 30 * D)
    assert parse_poll_after("") == (H, D, 7 * D, 30 * D)
    assert parse_poll_after(" 90s, 10m ,2h,1w") == (timedelta(seconds=90), 10 * timedelta(minutes=1),
                                                   2 * H, 7 * D)


@pytest.mark.parametrize("value, words", [
    ("1h,soon", "'soon' is not a time after publishing"),
    ("1h,,24h", "'' is not a time after publishing"),
    ("1 hour", "is not a time after publishing"),
    ("0h,1d", "every time must be more than zero"),
    ("24h,1h", "must grow from left to right"),
    ("1h,1h", "must grow from left to right"),
    ("-1h", "is not a time after publishing"),
])
def test_a_bad_poll_schedule_is_refused_in_words(value, words) -> None:
    with pytest.raises(PollScheduleError, match="ENGAGEMENT_POLL_AFTER") as caught:
        parse_poll_after(value)
    assert words in str(caught.value)


def test_checkpoints_come_one_after_another_and_then_stop() -> None:
    assert next_poll(NOW, OFFSETS, NOW) == NOW + H
    assert next_poll(NOW, OFFSETS, NOW + H) == NOW + D  # exactly at a checkpoint: the next one
    assert next_poll(NOW, OFFSETS, NOW + 8 * D) == NOW + 30 * D
    assert next_poll(NOW, OFFSETS, NOW + 30 * D) is None


def test_a_target_scheduled_late_is_due_at_once_and_a_very_old_one_not_at_all() -> None:
    assert first_poll(NOW, OFFSETS, NOW + 10 * timedelta(minutes=1)) == NOW + H
    assert first_poll(NOW, OFFSETS, NOW + 3 * D) == NOW + D  # passed +24 h: poll now
    assert first_poll(NOW, OFFSETS, NOW + 30 * D + 2 * H) == NOW + 30 * D
    assert first_poll(NOW, OFFSETS, NOW + 45 * D) is None


# --- which targets are due when -------------------------------------------------------------


def test_a_published_target_is_due_at_each_checkpoint_and_not_between(session, make) -> None:
    account = make.account()
    target = _published(make, account)
    assert has_unscheduled_targets(session, now=NOW, offsets=OFFSETS)
    assert schedule_new_targets(session, now=NOW, offsets=OFFSETS) == 1
    assert not has_unscheduled_targets(session, now=NOW, offsets=OFFSETS)
    assert schedule_new_targets(session, now=NOW, offsets=OFFSETS) == 0  # once only

    def metrics(batch):
        return [Metrics("p1", likes=3, reposts=1, replies=0, impressions=50)]

    assert due_targets(session, now=NOW + 59 * timedelta(minutes=1)) == []
    assert accounts_due(session, now=NOW + H) == [account.id]
    _poll_at(session, account.id, NOW + H, metrics)
    assert _poll(session, target).next_poll_at == NOW + D
    assert due_targets(session, now=NOW + 23 * H) == []
    for moment, following in ((NOW + D + 5 * timedelta(minutes=1), NOW + 7 * D),
                              (NOW + 7 * D, NOW + 30 * D)):
        assert due_targets(session, now=moment) == [target.id]
        _poll_at(session, account.id, moment, metrics)
        assert _poll(session, target).next_poll_at == following
    _poll_at(session, account.id, NOW + 30 * D, metrics)
    poll = _poll(session, target)
    assert (poll.next_poll_at, poll.polls_done) == (None, 4)
    assert due_targets(session, now=NOW + 365 * D) == []
    assert len(session.scalars(select(EngagementSnapshot)).all()) == 4


def test_a_burst_of_new_targets_is_scheduled_a_batch_at_a_time(session, make) -> None:
    account = make.account()
    targets = [_published(make, account, f"p{i}") for i in range(5)]
    made, after_id, batches = [], 0, 0
    while after_id is not None:  # as the worker does: one transaction per batch
        count, after_id = schedule_some_targets(session, now=NOW, offsets=OFFSETS,
                                                after_id=after_id, limit=2)
        made.append(count)
        batches += 1
        assert batches <= 3, "the batches must move on, never read the same rows again"
    assert made == [2, 2, 1]
    assert all(_poll(session, t).next_poll_at == NOW + H for t in targets)
    assert schedule_some_targets(session, now=NOW, offsets=OFFSETS) == (0, None)


def test_the_worker_s_results_schedule_their_targets_and_an_existing_row_is_kept(
        session, make) -> None:
    account = make.account()
    fresh, again, old = (_published(make, account, f"p{i}") for i in range(3))
    schedule_targets(session, [(again.id, account.id, NOW, again.post.agency_id)],
                     now=NOW, offsets=OFFSETS)
    session.get(EngagementPoll, again.id).polls_done = 2  # polled since
    session.flush()

    schedule_targets(session, [
        (t.id, account.id, at, t.post.agency_id)
        for t, at in ((fresh, NOW), (again, NOW), (old, NOW - 60 * D))], now=NOW, offsets=OFFSETS)

    row = _poll(session, fresh)
    assert (row.next_poll_at, row.account_id, row.agency_id) == (
        NOW + H, account.id, fresh.post.agency_id)
    assert _poll(session, again).polls_done == 2, "a target's existing row is left as it was"
    assert _poll(session, old) is None  # published before every checkpoint passed


def test_a_late_poll_answers_every_checkpoint_it_missed_with_one_snapshot(session, make) -> None:
    account = make.account()
    target = _published(make, account, at=NOW - 8 * D)  # the system was down for a week
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    assert _poll(session, target).next_poll_at == NOW - D  # its +7 d: due now

    _poll_at(session, account.id, NOW, lambda b: [Metrics("p1", likes=9)])

    poll = _poll(session, target)
    assert (poll.polls_done, poll.next_poll_at) == (3, NOW - 8 * D + 30 * D)
    assert len(session.scalars(select(EngagementSnapshot)).all()) == 1


def test_only_published_recent_targets_on_working_accounts_are_scheduled_or_polled(
        session, make) -> None:
    working = make.account()
    _published(make, working, "too-old", at=NOW - 40 * D)
    _published(make, working, None)  # published, but the platform gave no id
    make.post(author=make.user("pio"), accounts=[working], status="scheduled")
    broken = make.account(status="reconnect_needed")
    _published(make, broken, "needs-login")

    assert schedule_new_targets(session, now=NOW, offsets=OFFSETS) == 1  # the broken account's
    assert accounts_due(session, now=NOW + 2 * H) == []  # ... waits for a reconnect
    assert claim_due(session, broken.id, now=NOW + 2 * H) is None


def test_a_claim_is_taken_once_until_its_lease_runs_out(session, make) -> None:
    account = make.account()
    first = _published(make, account, "p1")
    second = _published(make, account, "p2")
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)

    batch = claim_due(session, account.id, now=NOW + H)

    assert batch.targets == {"p1": first.id, "p2": second.id}
    assert batch.platform == "sandbox"
    assert claim_due(session, account.id, now=NOW + H) is None  # a second delivery: nothing
    again = claim_due(session, account.id, now=NOW + H + CLAIM_LEASE)  # the worker died
    assert again is not None and set(again.targets) == {"p1", "p2"}


def test_a_target_no_longer_published_leaves_the_schedule(session, make) -> None:
    account = make.account()
    target = _published(make, account)
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    session.get(PostTarget, target.id).status = "failed"
    session.flush()
    assert claim_due(session, account.id, now=NOW + H) is None
    assert _poll(session, target).next_poll_at is None


def test_one_task_reads_no_more_than_the_platform_allows_and_the_rest_waits(
        session, make) -> None:
    account = make.account("mastodon")
    limit = PLATFORM_CLAIM_LIMITS["mastodon"]
    for n in range(limit + 5):
        _published(make, account, f"m{n}")
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    first = claim_due(session, account.id, now=NOW + H)
    second = claim_due(session, account.id, now=NOW + H)
    assert (len(first.targets), len(second.targets)) == (limit, 5)


# --- failed polls ---------------------------------------------------------------------------


def test_a_failed_poll_is_retried_later_with_backoff_and_never_touches_the_target(
        session, make) -> None:
    account = make.account()
    target = _published(make, account)
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    moment = NOW + H
    claim_due(session, account.id, now=moment)

    record_failed_poll(session, [target.id], "Sandbox is not answering (503).", now=moment,
                       offsets=OFFSETS)
    poll = _poll(session, target)
    assert (poll.failures, poll.next_poll_at) == (1, moment + RETRY_FIRST)
    assert poll.last_error == "Sandbox is not answering (503)."
    assert due_targets(session, now=moment + RETRY_FIRST) == [target.id]

    later = moment + RETRY_FIRST
    record_failed_poll(session, [target.id], "again", now=later, offsets=OFFSETS)
    assert _poll(session, target).next_poll_at == later + 2 * RETRY_FIRST

    refreshed = session.get(PostTarget, target.id)
    assert (refreshed.status, refreshed.last_error, refreshed.error_code) == \
        ("published", None, None)

    _poll_at(session, account.id, later + 2 * RETRY_FIRST, lambda b: [Metrics("p1", likes=1)])
    poll = _poll(session, target)
    assert (poll.failures, poll.last_error, poll.next_poll_at) == (0, None, NOW + D)


def test_a_rate_limited_poll_waits_for_the_platform_s_reset_time(session, make) -> None:
    target = _published(make, make.account())
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    reset = NOW + H + timedelta(minutes=40)
    record_failed_poll(session, [target.id], "rate limited", now=NOW + H, retry_at=reset,
                       offsets=OFFSETS)
    assert _poll(session, target).next_poll_at == reset


def test_a_checkpoint_that_keeps_failing_is_given_up_for_the_next_one(session, make) -> None:
    target = _published(make, make.account())
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    moment = NOW + H
    for _ in range(MAX_FAILURES):
        record_failed_poll(session, [target.id], "down", now=moment, offsets=OFFSETS)
        moment += timedelta(minutes=30)
    poll = _poll(session, target)
    assert (poll.failures, poll.next_poll_at, poll.last_error) == (0, NOW + D, "down")


def test_a_post_the_platform_does_not_return_counts_as_a_failed_poll_of_that_post_only(
        session, make) -> None:
    account = make.account()
    kept = _published(make, account, "p1")
    gone = _published(make, account, "p2")
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)

    _, outcome = _poll_at(session, account.id, NOW + H, lambda b: [Metrics("p1", likes=4)])

    assert (outcome.stored, outcome.missing) == (1, (gone.id,))
    assert _poll(session, kept).next_poll_at == NOW + D
    assert _poll(session, gone).failures == 1
    assert "did not return this post" in _poll(session, gone).last_error


# --- what is not reported -------------------------------------------------------------------


def test_views_a_platform_does_not_report_are_stored_as_null_not_zero(session, make) -> None:
    account = make.account("mastodon")
    target = _published(make, account, "m1")
    schedule_new_targets(session, now=NOW, offsets=OFFSETS)
    _poll_at(session, account.id, NOW + H,
             lambda b: [Metrics("m1", likes=2, reposts=0, replies=1, impressions=None)])
    snapshot = session.scalars(select(EngagementSnapshot)
                               .where(EngagementSnapshot.target_id == target.id)).one()
    assert (snapshot.likes, snapshot.replies, snapshot.impressions) == (2, 1, None)
