"""The worker waits for a target's due instant (claimed ahead) and never calls before it;
the scheduler's enqueue hands each target on with that instant over one broker connection."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from scheduler import DueTarget
from workers import tasks
from workers.jobs import wait_until_due

DUE = datetime(2027, 4, 11, 14, 0, 0, 250_000, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds * 0.6)  # sleep may wake early: check again


@pytest.mark.parametrize("ahead", [0.001, 0.3, 0.999, 2.5])
def test_the_worker_never_calls_before_the_due_instant(ahead: float) -> None:
    clock = FakeClock(DUE - timedelta(seconds=ahead))

    wait_until_due(DUE, clock=clock, sleep=clock.sleep)

    assert clock.now >= DUE
    assert all(0 < s <= 1.0 for s in clock.sleeps)


def test_a_target_already_due_is_published_without_waiting() -> None:
    clock = FakeClock(DUE + timedelta(seconds=2))

    wait_until_due(DUE, clock=clock, sleep=clock.sleep)
    wait_until_due(None, clock=clock, sleep=clock.sleep)

    assert clock.sleeps == []


def test_a_sub_millisecond_due_instant_waits_to_the_next_millisecond() -> None:
    """Platforms stamp posts to the millisecond; a truncated stamp must not read as early."""
    due = DUE + timedelta(microseconds=400)
    clock = FakeClock(due)

    wait_until_due(due, clock=clock, sleep=clock.sleep)

    assert clock.now >= DUE + timedelta(milliseconds=1)


class FakeApp:
    def __init__(self) -> None:
        self.acquired = 0

    @contextmanager
    def producer_or_acquire(self):
        self.acquired += 1
        yield "the-producer"


def test_enqueue_sends_each_target_with_its_due_instant_over_one_connection(monkeypatch):
    app, sent = FakeApp(), []
    monkeypatch.setattr(tasks, "current_app", app)
    monkeypatch.setattr(tasks.publish_targets, "apply_async",
                        lambda args, producer, eta: sent.append((args, producer)))

    tasks.enqueue_publish([DueTarget(8, DUE + timedelta(seconds=1)), DueTarget(7, DUE), 9])

    assert app.acquired == 1
    # Plain ids (the reaper's) first, then by due instant; a second apart is two messages.
    assert sent == [(([(9, None)],), "the-producer"),
                    (([(7, DUE.isoformat())],), "the-producer"),
                    (([(8, (DUE + timedelta(seconds=1)).isoformat())],), "the-producer")]
    assert all(type(item[0]) is int for args, _ in sent for item in args[0])  # JSON-plain ids


def test_a_chunk_claimed_ahead_waits_in_the_workers_timer_never_long(monkeypatch):
    now = datetime.now(timezone.utc)
    soon, later = now + timedelta(milliseconds=700), now + timedelta(seconds=30)
    sent = []
    monkeypatch.setattr(tasks, "current_app", FakeApp())
    monkeypatch.setattr(tasks.publish_targets, "apply_async",
                        lambda args, producer, eta: sent.append((args[0], eta)))

    tasks.enqueue_publish([DueTarget(1, soon), DueTarget(2, now - timedelta(seconds=1)),
                           DueTarget(3, later), 4,
                           DueTarget(5, now + tasks.PREPARE_LEAD + timedelta(milliseconds=5))])

    etas = {items[0][0]: eta for items, eta in sent}
    # A little ahead: the worker's timer holds it, and starts it early enough to have it
    # stamped before it is due (the worker waits the rest).
    assert etas[1] == soon - tasks.PREPARE_LEAD
    assert etas[2] is None and etas[4] is None  # due already: at once
    assert etas[3] is None  # never a long ETA (the worker waits; a claim is ~1 s ahead)
    assert etas[5] is None  # its preparation would start now anyway: at once


def test_a_chunk_holds_only_targets_due_close_together():
    dues = [DUE + timedelta(milliseconds=ms) for ms in (0, 40, 200, 251, 400, 900)]
    chunks = tasks.publish_chunks([DueTarget(i, d) for i, d in enumerate(dues)] * 100)

    for chunk in chunks:
        assert chunk[-1].due_at - chunk[0].due_at <= tasks.CHUNK_WINDOW
    assert max(map(len, chunks)) == tasks.PUBLISH_CHUNK


@pytest.mark.parametrize("count,size,messages", [
    (1, 1, 1), (64, 64, 1), (65, 64, 2), (500, 64, 8), (10_000, 64, 157)])
def test_claimed_targets_go_out_in_chunks_due_together(count, size, messages):
    ids = [DueTarget(i, DUE + timedelta(microseconds=(count - i) % 997)) for i in range(count)]

    chunks = tasks.publish_chunks(ids)

    assert len(chunks) == messages and max(map(len, chunks)) == size
    flat = [t for chunk in chunks for t in chunk]
    assert sorted(map(int, flat)) == list(range(count))  # every id once
    assert [t.due_at for t in flat] == sorted(t.due_at for t in ids)  # in due order


@pytest.mark.parametrize("per_account,accounts,messages", [
    (100, 1, 7),    # one account's burst: 16 a message (6 x 16 + 4)
    (10, 20, 4),    # 200 targets of 20 accounts: messages of 64, 64, 64, 8
    (40, 3, 3),     # 120 targets: the cap, not the size, decides
])
def test_a_message_holds_at_most_sixteen_targets_of_one_account(per_account, accounts, messages):
    ids = [DueTarget(a * 1000 + n, DUE + timedelta(microseconds=n), account_id=a)
           for a in range(accounts) for n in range(per_account)]

    chunks = tasks.publish_chunks(ids)

    assert len(chunks) == messages
    for chunk in chunks:
        assert len(chunk) <= tasks.PUBLISH_CHUNK
        by_account = {}
        for target in chunk:
            by_account[target.account_id] = by_account.get(target.account_id, 0) + 1
        assert max(by_account.values()) <= tasks.PER_ACCOUNT_IN_CHUNK
        assert [t.due_at for t in chunk] == sorted(t.due_at for t in chunk)  # due order within
        assert chunk[-1].due_at - chunk[0].due_at <= tasks.CHUNK_WINDOW
    flat = [t for chunk in chunks for t in chunk]
    assert sorted(map(int, flat)) == sorted(map(int, ids))  # every id once
