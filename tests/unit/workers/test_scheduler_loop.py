"""The scheduler loop through a broker outage: a failed hand-off after the claim committed leaves
the targets claimed for the reaper, the other steps still run, a failed periodic step is tried
again on the next tick, and the reaper re-sends a lost target once per threshold, not per run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from content_queue.models import PostTarget
from workers.loop import SchedulerLoop, StepsFailed


class BrokerDown(ConnectionError):
    pass


@dataclass
class Settings:
    claim_batch_size: int = 500
    claim_ahead_seconds: float = 0.0
    scheduler_tick_seconds: float = 0.25
    engagement_poll_seconds: float = 3600.0
    feedback_poll_seconds: float = 3600.0  # issue 9 reply poll
    reap_every_seconds: float = 0.0  # every tick, for the test
    stuck_after_seconds: float = 30.0
    stuck_running_after_seconds: float = 360.0
    redis_url: str | None = None  # no heartbeat
    posting_budgets: dict | None = None  # no per-account budget (sandbox accounts)


#: The steps these tests are about; the loop's other periodic steps have their own tests.
STEPS = {"engagement poll", "reaper", "account check"}


class Task:
    def __init__(self, fails: int = 0) -> None:
        self.calls, self.fails = 0, fails
        self.retries: list[bool] = []

    def apply_async(self, args=(), *, retry: bool = True) -> None:
        # The loop's periodic sends must not sit in Celery's publish retries while the
        # broker is away: the next tick tries them again anyway.
        self.retries.append(retry)
        self.calls += 1
        if self.fails:
            self.fails -= 1
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6390. Connection refused.")


class Tasks:
    def __init__(self, *, broker_up: bool = True, poll_fails: int = 0) -> None:
        self.broker_up = broker_up
        self.sent: list[int] = []
        self.backlog: int | Exception = 0  # the publish queue's length
        self.poll_engagement = Task(poll_fails)
        self.check_accounts = Task()
        self.poll_replies = Task()

    def publish_backlog(self) -> int:
        if isinstance(self.backlog, Exception):
            raise self.backlog
        return self.backlog

    def enqueue_publish(self, ids) -> None:
        if not self.broker_up:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
        self.sent.extend(int(i) for i in ids)


@dataclass
class FakeRuntime:
    db: object
    settings: Settings


@pytest.fixture
def due(make, session):
    past = datetime.now(timezone.utc) - timedelta(seconds=5)
    post = make.post(author=make.user("admin"), accounts=[make.account(), make.account()],
                     status="scheduled", at=past)
    session.commit()
    return sorted(t.id for t in post.targets)


def _loop(db, tasks: Tasks, **settings) -> SchedulerLoop:
    loop = SchedulerLoop(FakeRuntime(db, Settings(**settings)))
    loop.tasks = tasks
    steps = loop._periodic
    loop._periodic = lambda: [step for step in steps() if step[0] in STEPS]
    return loop


def _statuses(db, ids) -> set[str]:
    with db.session_scope() as s:
        return {s.get(PostTarget, i).status for i in ids}


def test_a_hand_off_that_fails_after_the_claim_leaves_targets_claimed_and_the_loop_going(
        rolled_back_db, due) -> None:
    tasks = Tasks(broker_up=False)
    loop = _loop(rolled_back_db, tasks)
    with pytest.raises(StepsFailed, match="tick"):
        loop.run_once()
    assert _statuses(rolled_back_db, due) == {"publishing"}  # committed: the reaper has them
    assert tasks.poll_engagement.calls == 1 and tasks.check_accounts.calls == 1


def test_the_reaper_hands_on_targets_the_broker_lost_once_per_threshold(rolled_back_db,
                                                                        due) -> None:
    tasks = Tasks(broker_up=False)
    loop = _loop(rolled_back_db, tasks, stuck_after_seconds=0.0)
    with pytest.raises(StepsFailed):
        loop.run_once()  # claimed, not handed on; the reaper cannot send either
    tasks.broker_up = True
    loop.run_once()
    assert sorted(tasks.sent) == due
    _loop(rolled_back_db, tasks, stuck_after_seconds=60.0).run_once()
    assert sorted(tasks.sent) == due  # just re-sent: not again until the threshold passes


def test_a_full_claim_says_so_and_the_loop_claims_again_without_waiting(rolled_back_db,
                                                                        due) -> None:
    tasks = Tasks()
    loop = _loop(rolled_back_db, tasks, claim_batch_size=1)
    assert loop.run_once() is True  # one of the two due: there may be more
    assert loop.run_once() is True
    assert loop.run_once() is False  # nothing left
    assert sorted(tasks.sent) == due

    waits: list[float] = []
    loop = _loop(rolled_back_db, Tasks(), claim_batch_size=1)
    loop.stop_event.wait = lambda seconds: waits.append(seconds) or loop.stop_event.set()
    fulls = iter([True, True, False])
    loop.run_once = lambda: next(fulls)
    loop.run_forever()
    assert len(waits) == 1  # a burst is drained claim after claim; the wait comes after


def test_unsent_targets_are_not_taken_for_lost_while_the_publish_queue_holds_messages(
        rolled_back_db, due) -> None:
    tasks = Tasks(broker_up=False)
    with pytest.raises(StepsFailed):
        _loop(rolled_back_db, tasks, stuck_after_seconds=0.0).run_once()  # claimed, unsent
    tasks.broker_up = True
    tasks.backlog = 40  # a burst still draining: they are most likely in it
    _loop(rolled_back_db, tasks, stuck_after_seconds=0.0).run_once()
    assert tasks.sent == []
    tasks.backlog = BrokerDown("Connection refused.")  # length unknown: reap as before
    _loop(rolled_back_db, tasks, stuck_after_seconds=0.0).run_once()
    assert sorted(tasks.sent) == due
    tasks.sent.clear()
    tasks.backlog = 0  # drained, and still not started: lost, re-sent
    _loop(rolled_back_db, tasks, stuck_after_seconds=0.0).run_once()
    assert sorted(tasks.sent) == due


def test_a_failed_periodic_send_is_tried_again_on_the_next_tick(rolled_back_db) -> None:
    tasks = Tasks(poll_fails=1)
    loop = _loop(rolled_back_db, tasks)
    with pytest.raises(StepsFailed, match="engagement poll"):
        loop.run_once()
    loop.run_once()
    assert tasks.poll_engagement.calls == 2
    loop.run_once()
    assert tasks.poll_engagement.calls == 2  # sent: next one after its period
    assert tasks.poll_engagement.retries == [False, False]  # failed at once, no publish retries
