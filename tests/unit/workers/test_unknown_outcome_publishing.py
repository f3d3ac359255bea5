"""The worker's publish after an unknown outcome, with a scripted connector on the rolled-back
database: found → published; the look-up fails, is missing or cannot tell → unconfirmed, and
the platform is never called a second time; a conclusive "not there" → retried later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from content_queue.models import PostTarget
from content_queue.ports import PublishResult, RecentPost, Transient, UnknownOutcome
from content_queue.states import Status
from workers import jobs

TEXT = "Open house Saturday: meet the people behind the headset."


@dataclass
class Settings:
    publish_max_attempts: int = 5
    retry_backoff_seconds: float = 30.0
    stuck_after_seconds: float = 30.0
    stuck_running_after_seconds: float = 360.0


@dataclass
class Script:
    """A connector whose publish and look-up do what the test says, and that counts calls."""

    publish_raises: Exception | None = None
    lookup: list[RecentPost] | Exception = field(default_factory=list)
    publishes: int = 0
    lookups: int = 0
    platform: str = "sandbox"
    refreshed_credentials: None = None

    def publish(self, request):
        self.publishes += 1
        if self.publish_raises:
            raise self.publish_raises
        return PublishResult("sb-1", "https://sandbox.example/sb-1", datetime.now(timezone.utc))

    def recent_posts(self, since=None, limit=20):
        self.lookups += 1
        if isinstance(self.lookup, Exception):
            raise self.lookup
        return self.lookup


@dataclass
class FakeRuntime:
    db: object
    script: Script
    settings: Settings = field(default_factory=Settings)

    def connector(self, *args):
        return self.script

    def public_media_url(self, asset):
        return ""


@pytest.fixture
def target_id(make, session):
    now = datetime.now(timezone.utc)
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="publishing",
                     attempts=1, claimed_at=now, text=TEXT)
    session.commit()
    return post.targets[0].id


def _target(db, target_id) -> PostTarget:
    with db.session_scope() as s:
        target = s.get(PostTarget, target_id)
        s.expunge(target)
        return target


DROPPED = UnknownOutcome("Sandbox dropped the connection after the post was sent; it may "
                         "have been published.")


def test_a_dropped_connection_with_the_post_found_is_published_once(rolled_back_db,
                                                                     target_id) -> None:
    found = RecentPost("sb-9", TEXT, "https://sandbox.example/sb-9", datetime.now(timezone.utc))
    script = Script(publish_raises=DROPPED, lookup=[found])
    assert jobs.publish_one(FakeRuntime(rolled_back_db, script), target_id) == "published"
    target = _target(rolled_back_db, target_id)
    assert (target.status, target.platform_post_id) == ("published", "sb-9")
    assert script.publishes == 1


def _full_page_newer_than_the_attempt() -> list[RecentPost]:
    # built when the test runs, not at collection: in a long parallel run "a minute from now"
    # taken at import time may already lie before the attempt
    return [RecentPost(str(i), f"other {i}", "u", datetime.now(timezone.utc) + timedelta(minutes=1))
            for i in range(100)]


@pytest.mark.parametrize("lookup,why", [
    (lambda: Transient("Sandbox had a server error (503)."), "looking it up"),
    (lambda: NotImplementedError(), "offers no way to look it up"),
    (_full_page_newer_than_the_attempt, "posted too often"),
], ids=["lookup-fails", "no-lookup", "lookup-cannot-tell"])
def test_a_dropped_connection_the_look_up_cannot_settle_becomes_unconfirmed(
        rolled_back_db, target_id, lookup, why) -> None:
    script = Script(publish_raises=DROPPED, lookup=lookup())
    rt = FakeRuntime(rolled_back_db, script)
    assert jobs.publish_one(rt, target_id) == "unconfirmed"
    target = _target(rolled_back_db, target_id)
    assert target.status == Status.UNCONFIRMED.value
    assert target.last_error.startswith("We could not confirm whether this post reached Sandbox")
    assert why in target.last_error
    assert "'It is there'" in target.last_error and "'Post it again'" in target.last_error
    # Another delivery of the same task does nothing: the platform is called once, ever.
    assert jobs.publish_one(rt, target_id) == "skipped"
    assert script.publishes == 1


def test_a_dropped_connection_the_look_up_proves_absent_is_retried_later(rolled_back_db,
                                                                         target_id) -> None:
    script = Script(publish_raises=DROPPED, lookup=[])
    assert jobs.publish_one(FakeRuntime(rolled_back_db, script), target_id) == \
        "error:unknown_outcome"
    target = _target(rolled_back_db, target_id)
    assert (target.status, target.error_code) == ("scheduled", "unknown_outcome")


def test_a_worker_that_died_mid_call_is_looked_up_and_unconfirmed_if_the_look_up_fails(
        rolled_back_db, target_id) -> None:
    with rolled_back_db.session_scope() as s:
        s.get(PostTarget, target_id).attempt_started_at = \
            datetime.now(timezone.utc) - timedelta(seconds=400)
    script = Script(lookup=Transient("Sandbox could not be reached."))
    assert jobs.publish_one(FakeRuntime(rolled_back_db, script), target_id) == "unconfirmed"
    assert script.publishes == 0
    assert "an earlier attempt ended without an answer" in \
        _target(rolled_back_db, target_id).last_error
