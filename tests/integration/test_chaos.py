"""Exactly once, under faults, on the real stack: an embedded Redis server this module starts
(so it can stop and restart it on the same port), `tenfour worker` Celery processes (prefork, so
each has children) and two `tenfour scheduler` processes, the simulator over HTTP.

The reaper's thresholds and the retry backoff are lowered through the environment, as an
operator would, so a lost message or a killed worker is handed on within seconds; nothing in
these tests asserts a duration.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from content_queue.models import PostTarget, SocialAccount, User
from content_queue.services import queue_post
from tenfour.embedded_redis import EmbeddedRedis
from tests.integration.helpers import utcnow, wait_until
from tests.integration.processes import ROOT, Proc, process_env, start_process

# one xdist process runs them one after another: two chaos bursts at once on 2 cores starve each other
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("chaos")]

#: Lowered for the test, through the same variables an operator sets.
CHAOS_ENV = {
    "STUCK_AFTER_SECONDS": "3",  # a claimed target whose message never started
    "STUCK_RUNNING_AFTER_SECONDS": "6",  # a started attempt whose worker died
    "REAP_EVERY_SECONDS": "1",
    "RETRY_BACKOFF_SECONDS": "1",
    "SCHEDULER_TICK_SECONDS": "0.1",
}
FINAL = {"published", "failed", "unconfirmed"}


@pytest.fixture
def chaos_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


class Stack:
    """The test's processes: workers in their own process groups (so a SIGKILL takes the
    prefork children too, as when a container dies) and schedulers."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.workers: list[Proc] = []
        self.schedulers: list[Proc] = []
        self.revived: set[str] = set()  # workers that exited and were replaced

    def start_worker(self) -> Proc:
        popen = subprocess.Popen(
            [sys.executable, "-m", "tenfour", "worker", "-c", "2", "--loglevel", "INFO"],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        log: list[str] = []
        threading.Thread(target=lambda: log.extend(popen.stdout), daemon=True).start()
        proc = Proc(f"worker-{len(self.workers) + 1}", popen, log)
        self.workers.append(proc)
        proc.wait_for("ready.", timeout=60)
        return proc

    def revive_crashed_workers(self) -> None:
        """Start a new worker for each that exited on its own, as every deployment does
        (`tenfour run`'s supervisor, docker compose's ``restart: unless-stopped``). Kombu 5.7
        can crash a worker when a task's ack meets the broker outage (``AttributeError:
        'NoneType' object has no attribute 'hostname'`` in ``basic_ack``, then Celery's
        "Unrecoverable error"); what matters is that nothing is lost or doubled. Each revival
        is printed with the worker's last line."""
        for proc in list(self.workers):
            code = proc.popen.poll()
            if code is None or code == -signal.SIGKILL or proc.name in self.revived:
                continue
            self.revived.add(proc.name)
            last = (proc.text().strip().splitlines() or ["(no output)"])[-1]
            print(f"chaos: {proc.name} exited with {code} ({last[:200]}); starting another")
            self.start_worker()

    def kill_worker(self, proc: Proc) -> None:
        """SIGKILL the worker's whole process group: the main process and its pool children."""
        os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)
        assert proc.popen.returncode == -signal.SIGKILL

    def start_scheduler(self) -> Proc:
        proc = start_process(f"scheduler-{len(self.schedulers) + 1}", ["scheduler"], self.env)
        self.schedulers.append(proc)
        proc.wait_for("scheduler ticking", timeout=30)
        return proc

    def stop(self) -> None:
        for proc in self.schedulers:
            proc.stop()
        for proc in self.workers:
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGTERM)
                try:
                    proc.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                    proc.popen.wait()


@pytest.fixture
def stack(settings, sim, chaos_redis):
    from dataclasses import replace

    env = process_env(replace(settings, redis_url=chaos_redis.url, simulator_url=sim.url),
                      **CHAOS_ENV)
    running = Stack(env)
    try:
        yield running
    finally:
        running.stop()


def _queue_burst(db, factory, sim, *, count: int, accounts: int, spread: float) -> list[int]:
    """``count`` posts on ``accounts`` sandbox accounts, due over the next ``spread`` seconds."""
    ids = [factory.account("sandbox", api_base_url=f"{sim.url}/sandbox").id
           for _ in range(accounts)]
    admin = factory.user("admin")
    start = utcnow() + timedelta(seconds=2)
    targets: list[int] = []
    with db.session_scope() as s:
        actor = s.get(User, admin.id)
        for i in range(count):
            post = queue_post(s, actor=actor, text=f"Chaos drill post {i}: thank you, dispatchers.",
                              account_ids=[ids[i % accounts]], now=utcnow(),
                              scheduled_at=start + timedelta(seconds=spread * i / count))
            targets.append(post.targets[0].id)
    return targets


def _counts(db) -> collections.Counter:
    with db.session_scope(write=False) as s:
        return collections.Counter(dict(s.execute(
            select(PostTarget.status, func.count()).group_by(PostTarget.status)).all()))


def _all_final(db, total: int):
    counts = _counts(db)
    return counts if sum(counts[s] for s in FINAL) == total else None


def _where_stuck(db, procs) -> str:
    """What a timed-out run left behind: counts, a few unfinished targets, the processes' tails."""
    with db.session_scope(write=False) as s:
        rows = s.execute(select(PostTarget.id, PostTarget.status, PostTarget.attempts,
                                PostTarget.claimed_at, PostTarget.attempt_started_at,
                                PostTarget.next_attempt_at, PostTarget.error_code)
                         .where(PostTarget.status.not_in(FINAL)).limit(10)).all()
    tails = "\n".join(f"--- {p.name} (exit code: {p.popen.poll()})\n{p.text()[-2000:]}"
                      for p in procs)
    return (f"not every target reached a final state: {dict(_counts(db))}\n"
            f"unfinished (first 10): {rows}\n{tails}")


def _check_exactly_once(db, sim) -> dict[str, int]:
    """Every published target is on the simulator exactly once, nothing is there twice, and a
    failed target never reached it. Returns the final counts by status."""
    with db.session_scope(write=False) as s:
        rows = s.execute(select(PostTarget.id, PostTarget.status, PostTarget.platform_post_id,
                                PostTarget.permalink, PostTarget.last_error,
                                PostTarget.error_code, SocialAccount.handle)
                         .join(SocialAccount, SocialAccount.id == PostTarget.account_id)).all()
    stored = sim.posts()
    copies = collections.Counter((p["handle"], p["text"]) for p in stored)
    assert [k for k, n in copies.items() if n > 1] == [], "a post reached the platform twice"
    by_id = {p["id"]: p for p in stored}
    on_platform = {p["idempotency_key"] for p in stored}
    for row in rows:
        key = f"tenfour-target-{row.id}"
        if row.status == "published":
            assert row.platform_post_id in by_id, f"target {row.id} published but not stored"
            assert by_id[row.platform_post_id]["idempotency_key"] == key
            assert row.permalink == by_id[row.platform_post_id]["url"]
        elif row.status == "failed":
            assert key not in on_platform, f"target {row.id} failed but reached the platform"
            # A reason a PIO understands: which account, what happened, in words.
            assert row.error_code and row.last_error.startswith(f"Sandbox @{row.handle}"), row
        else:
            assert row.status == "unconfirmed", f"target {row.id} is stuck in {row.status}"
            assert row.last_error.startswith("We could not confirm whether this post reached")
    published = sum(1 for r in rows if r.status == "published")
    assert len([p for p in stored if p["idempotency_key"] in
                {f"tenfour-target-{r.id}" for r in rows if r.status == "published"}]) == published
    return collections.Counter(r.status for r in rows)


def test_targets_claimed_while_redis_is_down_are_handed_on_once_it_is_back(
        db, factory, sim, stack, chaos_redis) -> None:
    worker = stack.start_worker()
    schedulers = [stack.start_scheduler(), stack.start_scheduler()]
    chaos_redis.stop()
    targets = _queue_burst(db, factory, sim, count=40, accounts=4, spread=1.0)

    # The schedulers claim (and commit) while the broker is away; the enqueue after the commit
    # fails and the loop keeps going.
    wait_until(lambda: _counts(db)["publishing"] == len(targets), timeout=30,
               message="every target to be claimed while Redis is down")
    # The claim is shared, so one scheduler may hold every target: at least one hand-off fails
    # and is said so, and neither scheduler stops ticking.
    wait_until(lambda: any("tick failed" in s.text() for s in schedulers), timeout=30,
               message="a scheduler to report the failed hand-off")
    assert all(s.popen.poll() is None for s in schedulers), "a scheduler died with Redis"

    chaos_redis.restart()
    try:
        # Celery's consumer retries its broker connection with a growing interval (up to ~30 s)
        def settled():
            stack.revive_crashed_workers()
            return _all_final(db, len(targets))

        counts = wait_until(settled, timeout=120,
                            message="every target to reach a final state after Redis is back")
    except AssertionError:
        raise AssertionError(_where_stuck(db, [*stack.workers, *schedulers])) from None
    assert counts["published"] == len(targets), counts
    assert _check_exactly_once(db, sim)["published"] == len(targets)
    assert "re-enqueueing" in "".join(s.text() for s in schedulers)
    assert worker.popen.poll() is None  # the same worker reconnected and did the work


def test_a_burst_survives_killed_workers_a_redis_restart_and_platform_faults_exactly_once(
        db, factory, sim, stack, chaos_redis) -> None:
    total = 500
    # One publish call in ten fails: 429, 5xx, or a connection dropped after the post was kept.
    for kind in ("rate_limit", "server_error", "drop_after_accept"):
        sim.fault(kind, request_kind="post", probability=0.035, count=10_000, retry_after=1)
    first = stack.start_worker()
    schedulers = [stack.start_scheduler(), stack.start_scheduler()]
    targets = _queue_burst(db, factory, sim, count=total, accounts=10, spread=12.0)
    assert len(targets) == total

    def published_at_least(n: int) -> bool:
        return _counts(db)["published"] >= n

    wait_until(lambda: published_at_least(60), timeout=60, message="publishing to start")
    stack.kill_worker(first)
    second = stack.start_worker()
    wait_until(lambda: published_at_least(160), timeout=60, message="the second worker to work")
    stack.kill_worker(second)
    third = stack.start_worker().from_here()
    wait_until(lambda: published_at_least(260), timeout=60, message="the third worker to work")
    chaos_redis.stop()
    time.sleep(1.0)  # an outage, not a blip
    chaos_redis.restart()
    restarted = third.from_here()

    try:
        counts = wait_until(lambda: _all_final(db, total), timeout=150,
                            message="every target to reach a final state")
    except AssertionError:
        raise AssertionError(_where_stuck(db, [third, *schedulers])) from None
    assert all(s.popen.poll() is None for s in schedulers), "a scheduler died in the chaos"
    final = _check_exactly_once(db, sim)
    assert sum(final.values()) == total
    assert final["published"] >= total * 0.95, final
    # The faults really happened: calls were refused, and connections dropped after acceptance.
    statuses = collections.Counter(r["status"] for r in sim.requests()
                                   if r["method"] == "POST" and r["path"].endswith("/posts"))
    assert statuses[429] and statuses[503], statuses
    assert any(r.get("dropped") for r in sim.requests()), "no connection was dropped"
    assert "published" in restarted.text(), "the worker did not reconnect after Redis restarted"
    print(f"chaos: final {dict(counts)}; platform answers {dict(statuses)}")
