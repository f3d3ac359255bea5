"""`tenfour run` keeps running when a part dies: the supervisor restarts it with backoff, and
gives up (saying which part and why) only when it keeps crashing."""

from __future__ import annotations

import io
import os
import re
import signal
import sys
import threading
from pathlib import Path

import redis

from tenfour.embedded_redis import EmbeddedRedis
from tenfour.supervisor import RestartPolicy, Supervisor
from tests.integration.helpers import wait_until

PY = sys.executable
SLEEPER = "import os, time; print(f'pid={os.getpid()}', flush=True); time.sleep(120)"
CRASHER = "import sys; print('cannot start: bad config', flush=True); sys.exit(4)"
FAST = RestartPolicy(backoff_initial=0.1, backoff_max=0.4, max_restarts=3, window_seconds=60)


class Running:
    """A Supervisor waiting in a background thread, its output collected."""

    def __init__(self, policy: RestartPolicy, children: dict[str, str]) -> None:
        self.out = io.StringIO()
        self.sup = Supervisor(output=self.out, grace_seconds=5, poll_interval=0.02,
                              restart_policy=policy)
        for name, source in children.items():
            self.sup.add(name, [PY, "-c", source])
        self.code: int | None = None
        started = threading.Event()
        # start() and wait() off the main thread, so pytest's own signal handlers stay in place
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait(10)

    def _run(self, started: threading.Event) -> None:
        self.sup.start()
        started.set()
        self.code = self.sup.wait()

    def text(self) -> str:
        return self.out.getvalue()

    def finish(self, timeout: float = 20) -> int | None:
        self.sup.request_stop()
        self.thread.join(timeout)
        return self.code


def test_a_sigkilled_worker_is_restarted_and_the_others_keep_running() -> None:
    run = Running(FAST, {"web": SLEEPER, "worker": SLEEPER})
    try:
        wait_until(lambda: len(re.findall(r"\[worker\]\s+pid=", run.text())) == 1, message="worker up")
        web_pid, worker_pid = run.sup.pids["web"], run.sup.pids["worker"]
        os.kill(worker_pid, signal.SIGKILL)
        wait_until(lambda: len(re.findall(r"\[worker\]\s+pid=", run.text())) == 2, timeout=10,
                   message="worker restarted")
        text = run.text()
        assert "worker exited unexpectedly with code -9" in text
        assert "restarting it in 0.1s" in text
        assert run.sup.pids["worker"] != worker_pid
        assert run.sup.pids["web"] == web_pid  # the web app was never touched
        assert run.thread.is_alive() and run.code is None
    finally:
        assert run.finish() == 0


def test_a_part_that_keeps_crashing_makes_the_supervisor_give_up_and_say_why() -> None:
    run = Running(FAST, {"web": SLEEPER, "scheduler": CRASHER})
    run.thread.join(20)
    assert not run.thread.is_alive(), run.text()
    text = run.text()
    assert run.code == 4
    # three restarts, backoff doubling up to its cap, then the plain give-up line
    delays = re.findall(r"scheduler exited unexpectedly with code 4 after [\d.]+s; restarting it in ([\d.]+)s", text)
    assert delays == ["0.1", "0.2", "0.4"]
    assert "scheduler exited with code 4 and has crashed 4 times in 60s; giving up" in text
    assert text.count("[scheduler]") >= 4 and "cannot start: bad config" in text
    assert "stopping web" in text


def test_backoff_starts_again_from_the_shortest_after_a_stable_run() -> None:
    policy = RestartPolicy(backoff_initial=0.1, backoff_max=30, max_restarts=10, window_seconds=60,
                           stable_after=0.5)
    # exits after 0.7 s each time: longer than stable_after, so every restart waits only 0.1 s
    run = Running(policy, {"worker": "import time, sys; time.sleep(0.7); sys.exit(2)"})
    try:
        wait_until(lambda: run.text().count("restarting it in") >= 3, timeout=15, message="3 restarts")
        assert re.findall(r"restarting it in ([\d.]+)s", run.text())[:3] == ["0.1", "0.1", "0.1"]
    finally:
        run.finish()


def test_a_dead_embedded_redis_is_restarted_on_the_same_port(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    out = io.StringIO()
    sup = Supervisor(output=out, grace_seconds=5, poll_interval=0.02, restart_policy=FAST)
    sup.watch("redis", server, restart=server.restart)
    sup.add("web", [PY, "-c", SLEEPER])
    thread = threading.Thread(target=lambda: (sup.start(), sup.wait()), daemon=True)
    thread.start()
    wait_until(lambda: "web" in sup.pids, message="supervisor started")
    try:
        port, old_pid = server.port, server.pid
        os.kill(old_pid, signal.SIGKILL)
        wait_until(lambda: "redis restarted" in out.getvalue(), timeout=15, message="redis restarted")
        assert server.port == port and server.pid != old_pid
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        client.close()
    finally:
        sup.request_stop()
        thread.join(20)
        server.stop()
    assert not thread.is_alive()
