"""The worker's side of a publish: stamping the attempt before the call (so a redelivered task
reconciles instead of posting twice), recording what the platform said, and turning each kind
of connector error into a retry or a failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.models import AuditEvent
from content_queue.ports import (
    AuthExpired,
    Permanent,
    PublishResult,
    RateLimited,
    Transient,
    UnknownOutcome,
)
from content_queue.publishing import (
    Mode,
    backoff,
    fail_without_call,
    idempotency_key,
    record_error,
    record_result,
    start_attempt,
)
from content_queue.states import Status
from tests.unit.conftest import NOW

RESULT = PublishResult(platform_post_id="sb-123", permalink="https://sandbox.example/p/sb-123",
                       published_at=NOW)


@pytest.fixture
def claimed(make):
    """A target the scheduler has claimed: publishing, first attempt, not started."""
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="publishing",
                     attempts=1, claimed_at=NOW)
    return post.targets[0]


def test_the_first_delivery_publishes_and_stamps_the_attempt(session, claimed) -> None:
    job = start_attempt(session, claimed.id, now=NOW)
    assert job.mode == Mode.PUBLISH
    assert (job.text, job.platform, job.idempotency_key) == \
        ("Stay warm tonight.", "sandbox", idempotency_key(claimed.id))
    assert claimed.attempt_started_at == NOW


def test_a_duplicate_delivery_while_the_first_may_still_be_calling_skips(session, claimed) -> None:
    start_attempt(session, claimed.id, now=NOW)
    again = start_attempt(session, claimed.id, now=NOW + timedelta(seconds=5),
                          presumed_dead_after=timedelta(seconds=60))
    assert again.mode == Mode.SKIP
    assert claimed.attempt_started_at == NOW


def test_a_delivery_after_the_worker_died_mid_call_reconciles_from_the_first_attempt(
        session, claimed) -> None:
    start_attempt(session, claimed.id, now=NOW)
    later = NOW + timedelta(seconds=61)
    again = start_attempt(session, claimed.id, now=later, presumed_dead_after=timedelta(seconds=60))
    assert again.mode == Mode.RECONCILE
    assert again.attempt_started_at == NOW  # the look-up window starts at the first attempt
    assert claimed.attempt_started_at == later  # re-stamped: a third delivery skips
    third = start_attempt(session, claimed.id, now=later + timedelta(seconds=1),
                          presumed_dead_after=timedelta(seconds=60))
    assert third.mode == Mode.SKIP


@pytest.mark.parametrize("status", ["scheduled", "published", "canceled"])
def test_a_task_for_a_target_not_publishing_does_nothing(session, make, status) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status=status)
    assert start_attempt(session, post.targets[0].id, now=NOW).mode == Mode.SKIP
    assert post.targets[0].attempt_started_at is None


def test_success_records_the_platform_s_id_and_link(session, claimed) -> None:
    assert record_result(session, claimed.id, RESULT, now=NOW) is True
    assert claimed.status == "published"
    assert (claimed.platform_post_id, claimed.permalink, claimed.published_at) == \
        ("sb-123", "https://sandbox.example/p/sb-123", NOW)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "target.published")).one()
    assert event.details["platform_post_id"] == "sb-123"


def test_a_second_result_for_the_same_target_is_ignored(session, claimed) -> None:
    assert record_result(session, claimed.id, RESULT, now=NOW) is True
    other = PublishResult("sb-999", "https://sandbox.example/p/sb-999", NOW)
    assert record_result(session, claimed.id, other, now=NOW) is False
    assert claimed.platform_post_id == "sb-123"


def test_a_rate_limit_retries_at_the_platform_s_time(session, claimed) -> None:
    retry_at = NOW + timedelta(minutes=15)
    outcome = record_error(session, claimed.id, RateLimited("Too many posts.", retry_at),
                           now=NOW, max_attempts=5)
    assert outcome == Status.SCHEDULED and claimed.status == "scheduled"
    assert claimed.next_attempt_at == retry_at and claimed.attempt_started_at is None
    assert claimed.error_code == "rate_limited" and "Will retry at 14:15:00 UTC" in claimed.last_error


def test_a_temporary_error_retries_with_backoff_until_attempts_run_out(session, claimed) -> None:
    outcome = record_error(session, claimed.id, Transient("Platform is down."), now=NOW,
                           max_attempts=3)
    assert outcome == Status.SCHEDULED
    assert claimed.next_attempt_at == NOW + backoff(1) == NOW + timedelta(seconds=30)
    assert "attempt 1 of 3" in claimed.last_error

    claimed.status = "publishing"
    claimed.attempts = 3
    session.flush()
    outcome = record_error(session, claimed.id, Transient("Platform is down."), now=NOW,
                           max_attempts=3)
    assert outcome == Status.FAILED and claimed.status == "failed"
    assert "Gave up after 3 attempts." in claimed.last_error


def test_a_permanent_refusal_fails_at_once_naming_the_account(session, claimed) -> None:
    outcome = record_error(session, claimed.id, Permanent("Duplicate post."), now=NOW,
                           max_attempts=5)
    assert outcome == Status.FAILED
    assert claimed.last_error == f"Sandbox @{claimed.account.handle}: Duplicate post."
    assert claimed.error_code == "permanent"


def test_an_expired_token_fails_the_post_and_flags_the_account(session, claimed) -> None:
    outcome = fail_without_call(session, claimed.id, AuthExpired("Token revoked."), now=NOW)
    assert outcome == Status.FAILED
    assert "needs reconnecting" in claimed.last_error
    assert claimed.account.status == "reconnect_needed"
    assert claimed.account.status_detail == "Token revoked."


def test_an_unknown_outcome_is_retried_as_a_reconcile(session, claimed) -> None:
    start_attempt(session, claimed.id, now=NOW)
    record_error(session, claimed.id, UnknownOutcome("Connection dropped."), now=NOW,
                 max_attempts=3)
    assert claimed.status == "scheduled" and claimed.error_code == "unknown_outcome"
    claimed.status = "publishing"  # claimed again by the scheduler
    session.flush()
    assert start_attempt(session, claimed.id, now=NOW + timedelta(minutes=1)).mode == Mode.RECONCILE


def test_an_error_for_a_target_no_longer_publishing_changes_nothing(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="canceled")
    assert record_error(session, post.targets[0].id, Permanent("No."), now=NOW,
                        max_attempts=3) is None
    assert post.targets[0].status == "canceled" and post.targets[0].last_error is None


def test_backoff_doubles_from_thirty_seconds_and_stops_at_thirty_minutes() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(minutes=30)
