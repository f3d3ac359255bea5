"""The scheduler process (`tenfour scheduler`): tick every fraction of a second.

Each tick expires unapproved posts and claims due targets in the database, commits, then sends
one publish task per claimed target. It also sends the periodic engagement poll and runs the
stuck-target reaper (targets whose message the broker lost, or whose worker died). Several
scheduler processes may run: the claim is atomic, so they share the work instead of doubling it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta, timezone

from content_queue.planner_stats import PlannerStatistics
from scheduler import tick
from workers import tasks
from workers.jobs import reap_stuck_targets
from workers.heartbeat import Heartbeat
from workers.notify_delivery import resend_undelivered, watch_claiming
from workers.runtime import Runtime

log = logging.getLogger("tenfour.scheduler")

ACCOUNT_CHECK_EVERY = 900.0
WATCH_EVERY = 30.0
#: How often the scheduler checks whether the planner statistics need refreshing.
STATISTICS_EVERY = 5.0


def _send_once(task):
    """A periodic send that fails at once when the broker is away (Celery's default publish
    retries cost about 0.7 s a send): the loop tries it again on its next tick anyway, and a
    tick must not spend seconds on sends that cannot go while claimed targets wait."""
    return lambda: task.apply_async(retry=False)


class StepsFailed(Exception):
    """Some of a tick's steps failed (the others ran); the loop backs off a little."""


class SchedulerLoop:
    """Each step of a tick runs on its own: a broker outage that makes the enqueue fail after
    the claim committed must not stop the reaper, and a failed periodic send is tried again on
    the next tick instead of waiting for its next period."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.tasks = tasks
        self.stop_event = threading.Event()
        self._last: dict[str, float] = {}
        self.heartbeat = Heartbeat(rt.settings.redis_url)
        self.statistics = PlannerStatistics(rt.db)

    def _periodic(self):
        settings = self.rt.settings
        return (
            ("engagement poll", settings.engagement_poll_seconds,
             _send_once(self.tasks.poll_engagement)),
            ("reply poll", settings.feedback_poll_seconds, _send_once(self.tasks.poll_replies)),
            # In this process, not as a task: it must work while every worker is down, and it
            # needs the broker only to send what it finds.
            ("reaper", settings.reap_every_seconds,
             lambda: reap_stuck_targets(self.rt, self.tasks.enqueue_publish,
                                        backlog=self.tasks.publish_backlog)),
            ("account check", ACCOUNT_CHECK_EVERY, _send_once(self.tasks.check_accounts)),
            # Never silent: due posts nobody claims, and notifications whose hand-off was lost.
            ("claim watch", WATCH_EVERY, lambda: watch_claiming(self.rt)),
            ("notification re-send", WATCH_EVERY,
             lambda: resend_undelivered(self.rt, self.tasks.enqueue_notifications)),
            # Statistics once a table has doubled, or pages plan as if it were still empty.
            ("planner statistics", STATISTICS_EVERY, self.statistics.refresh),
        )

    def run_once(self) -> bool:
        """One tick and the periodic steps due; True when the claim was full (more may be
        due, so the loop claims again at once instead of waiting for the next tick)."""
        failed: list[str] = []
        full = False
        now = datetime.now(timezone.utc)
        try:
            result = tick(self.rt.db, now, self.tasks.enqueue_publish,
                          limit=self.rt.settings.claim_batch_size,
                          lookahead=timedelta(seconds=self.rt.settings.claim_ahead_seconds),
                          budgets=self.rt.settings.posting_budgets)
        except Exception as exc:  # the claim may have committed: the reaper hands those on
            log.warning("tick failed (%s: %s); claimed targets are handed on again by the "
                        "reaper", type(exc).__name__, exc)
            failed.append("tick")
        else:
            self.heartbeat.beat(now)
            full = len(result.claimed) >= self.rt.settings.claim_batch_size
            if result.claimed or result.expired:
                log.info("tick: claimed %d, expired %d", len(result.claimed),
                         len(result.expired),
                         extra={"claimed": result.claimed, "expired": result.expired})
        mono = time.monotonic()
        for name, every, action in self._periodic():
            if mono - self._last.get(name, float("-inf")) < every:
                continue
            try:
                action()
            except Exception as exc:
                log.warning("%s failed (%s: %s); trying again", name, type(exc).__name__, exc)
                failed.append(name)
                continue
            self._last[name] = mono
        if failed:
            raise StepsFailed(", ".join(failed))
        return full

    def run_forever(self) -> None:
        interval = self.rt.settings.scheduler_tick_seconds
        log.info("scheduler ticking every %.2fs", interval)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                full = self.run_once()
            except StepsFailed:  # each step logged its own failure
                self.stop_event.wait(min(2.0, interval * 10))
                continue
            except Exception:  # keep ticking: a database or broker blip must not stop publishing
                log.exception("scheduler tick failed; retrying")
                self.stop_event.wait(min(5.0, interval * 10))
                continue
            if not full:  # a burst is drained claim after claim, not one claim per tick
                self.stop_event.wait(max(0.0, interval - (time.monotonic() - started)))

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop_event.set())
