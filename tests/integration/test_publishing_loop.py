"""The whole loop on real parts: a post due in a moment is claimed by a `tenfour scheduler`
process, published by a `tenfour worker` Celery process over Redis to the simulator, once,
and recorded with its permalink. Platform trouble (429, 5xx, revoked token, a connection
dropped after the platform accepted the post) is handled without losing or doubling a post."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from content_queue.models import AuditEvent, PostTarget, SocialAccount, User
from content_queue.services import queue_post
from content_queue.states import Status
from tests.integration.helpers import utcnow, wait_until

# One xdist process runs the module, so its worker below is started once per backend.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("publishing_loop")]

#: Target states the scheduler or worker would still act on.
UNFINISHED = ("draft", "awaiting_approval", "scheduled", "publishing", "held")


# -- one database, one `tenfour worker` and one `tenfour scheduler` for the module's tests -------
# No test stops either process, and each builds its own rows and reads only its own target, so
# they share them instead of starting two processes per test. What a test leaves due is canceled
# after it (``nothing_left_due``), so it can never be published during a later test.

@pytest.fixture
def db_url(module_db_url: str) -> str:
    return module_db_url


@pytest.fixture
def settings(module_settings):
    return module_settings


@pytest.fixture
def redis_url(module_settings) -> str:
    """Not emptied between tests: the module's worker is listening on it."""
    return module_settings.redis_url


@pytest.fixture
def worker(module_worker):
    return module_worker.from_here()


@pytest.fixture
def scheduler_proc(module_scheduler):
    return module_scheduler.from_here()


@pytest.fixture(autouse=True)
def nothing_left_due(db):
    yield
    with db.session_scope() as s:
        s.execute(update(PostTarget).where(PostTarget.status.in_(UNFINISHED))
                  .values(status=Status.CANCELED.value))


def _queue(db, factory, sim, *, text: str, seconds_ahead: float = 1.5, role: str = "admin"):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    author = factory.user(role)
    when = utcnow() + timedelta(seconds=seconds_ahead)
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text=text, account_ids=[account.id],
                          scheduled_at=when, now=utcnow())
        return post.targets[0].id, account.id, when


def _target(db, target_id: int) -> PostTarget:
    with db.session_scope(write=False) as s:
        target = s.get(PostTarget, target_id)
        s.expunge(target)
        return target


def _status_is(db, target_id: int, *statuses: Status):
    def check():
        t = _target(db, target_id)
        return t if t.status in {s.value for s in statuses} else None
    return check


def test_a_due_post_is_published_once_on_time_with_its_permalink(
        db, factory, sim, worker, scheduler_proc) -> None:
    text = "Thank you to our telecommunicators! #NPSTW"
    target_id, _, when = _queue(db, factory, sim, text=text, seconds_ahead=2)

    target = wait_until(_status_is(db, target_id, Status.PUBLISHED), timeout=20,
                        message="the target to be published")

    posts = [p for p in sim.posts() if p["text"] == text]
    assert len(posts) == 1
    assert target.platform_post_id == posts[0]["id"]
    assert target.permalink == posts[0]["url"]
    assert target.published_at >= when
    lateness = (target.published_at - when).total_seconds()
    assert lateness < 2.0, f"published {lateness:.2f}s after its time"
    with db.session_scope(write=False) as s:
        actions = [e.action for e in s.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "post_target",
                                     AuditEvent.entity_id == target_id).order_by(AuditEvent.id))]
    assert actions == ["target.scheduled", "target.publishing", "target.published"]


def test_a_publish_task_delivered_twice_posts_once(db, factory, sim, worker, celery_client) -> None:
    target_id, _, _ = _queue(db, factory, sim, text="Behind the headset: tours open Saturday.",
                             seconds_ahead=3600)
    with db.session_scope() as s:  # claim it as the scheduler would
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(status="publishing", claimed_at=utcnow(), attempts=1))
    for _ in range(3):
        celery_client.send_task("tenfour.publish_target", args=[target_id], queue="publish")

    wait_until(_status_is(db, target_id, Status.PUBLISHED), message="published")
    wait_until(lambda: "skipped" in worker.text(), message="the duplicate deliveries to be skipped")
    assert len(sim.posts()) == 1
    assert len([r for r in sim.requests() if r["method"] == "POST"]) == 1


def test_a_rate_limited_post_is_retried_after_the_reset_time(
        db, factory, sim, worker, scheduler_proc) -> None:
    sim.fault("rate_limit", retry_after=2)
    target_id, _, _ = _queue(db, factory, sim, text="Recruiting: join our dispatch team.")

    retried = wait_until(lambda: _target(db, target_id).error_code == "rate_limited" or None,
                         message="the 429 to be recorded")
    assert retried
    target = wait_until(_status_is(db, target_id, Status.PUBLISHED), timeout=20,
                        message="published after the reset")
    assert target.attempts == 2
    posts_requests = [r for r in sim.requests() if r["method"] == "POST"]
    assert [r["status"] for r in posts_requests] == [429, 201]
    first, second = (datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
                     for r in posts_requests)
    assert (second - first).total_seconds() >= 1.5
    assert len(sim.posts()) == 1


def test_a_revoked_token_fails_the_post_and_flags_the_account(
        db, factory, sim, worker, scheduler_proc) -> None:
    sim.fault("revoke_token")
    target_id, account_id, _ = _queue(db, factory, sim, text="Tour invitation")

    target = wait_until(_status_is(db, target_id, Status.FAILED), message="failed")
    assert target.error_code == "auth_expired"
    assert "needs reconnecting" in target.last_error
    with db.session_scope(write=False) as s:
        assert s.get(SocialAccount, account_id).status == "reconnect_needed"
    assert sim.posts() == []


def test_a_dropped_connection_after_acceptance_is_reconciled_not_reposted(
        db, factory, sim, worker, scheduler_proc) -> None:
    sim.fault("drop_after_accept")
    target_id, _, _ = _queue(db, factory, sim, text="Success story: a caller's thank-you.")

    target = wait_until(_status_is(db, target_id, Status.PUBLISHED, Status.FAILED),
                        message="an outcome")
    assert target.status == "published", target.last_error
    posts = sim.posts()
    assert len(posts) == 1
    assert target.platform_post_id == posts[0]["id"]


def test_a_server_error_is_retried_with_backoff(db, factory, sim, worker, scheduler_proc) -> None:
    sim.fault("server_error")
    target_id, _, _ = _queue(db, factory, sim, text="Outage drill")

    target = wait_until(lambda: (t := _target(db, target_id)).error_code == "transient" and t,
                        message="the 5xx to be recorded")
    assert target.status == "scheduled"
    delay = (target.next_attempt_at - target.updated_at).total_seconds()
    assert 25 <= delay <= 35  # first backoff step is 30 s
    assert "Will retry" in target.last_error
    with db.session_scope() as s:  # fast-forward the backoff
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(next_attempt_at=utcnow()))
    wait_until(_status_is(db, target_id, Status.PUBLISHED), message="published on retry")
    assert len(sim.posts()) == 1


def test_a_post_still_awaiting_approval_at_its_time_expires(
        db, factory, sim, worker, scheduler_proc) -> None:
    target_id, _, _ = _queue(db, factory, sim, text="Needs approval", role="pio")
    target = wait_until(_status_is(db, target_id, Status.EXPIRED), message="expired")
    assert "reschedule" in target.last_error
    assert sim.posts() == []
