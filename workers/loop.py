"""The scheduler process (`tenfour scheduler`): tick every fraction of a second.

Each tick expires unapproved posts and claims due targets in the database, commits, then sends
one publish task per claimed target. It also sends the periodic engagement poll and the
stuck-target reaper. Several scheduler processes may run: the claim is atomic, so they share
the work instead of doubling it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timezone

from scheduler import tick
from workers import tasks
from workers.runtime import Runtime

log = logging.getLogger("tenfour.scheduler")

REAP_EVERY = 30.0
ACCOUNT_CHECK_EVERY = 900.0


class SchedulerLoop:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.tasks = tasks
        self.stop_event = threading.Event()
        self._last_poll = 0.0
        self._last_reap = 0.0
        self._last_account_check = 0.0

    def run_once(self) -> None:
        now = datetime.now(timezone.utc)
        result = tick(self.rt.db, now, self.tasks.enqueue_publish,
                      limit=self.rt.settings.claim_batch_size)
        if result.claimed or result.expired:
            log.info("tick: claimed %d, expired %d", len(result.claimed), len(result.expired),
                     extra={"claimed": result.claimed, "expired": result.expired})
        mono = time.monotonic()
        if mono - self._last_poll >= self.rt.settings.engagement_poll_seconds:
            self._last_poll = mono
            self.tasks.poll_engagement.delay()
        if mono - self._last_reap >= REAP_EVERY:
            self._last_reap = mono
            self.tasks.reap_stuck.delay()
        if mono - self._last_account_check >= ACCOUNT_CHECK_EVERY:
            self._last_account_check = mono
            self.tasks.check_accounts.delay()

    def run_forever(self) -> None:
        interval = self.rt.settings.scheduler_tick_seconds
        log.info("scheduler ticking every %.2fs", interval)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                self.run_once()
            except Exception:  # keep ticking: a database or broker blip must not stop publishing
                log.exception("scheduler tick failed; retrying")
                self.stop_event.wait(min(5.0, interval * 10))
                continue
            self.stop_event.wait(max(0.0, interval - (time.monotonic() - started)))

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop_event.set())
