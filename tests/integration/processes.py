"""`tenfour <command>` child processes for integration tests: the environment that points them
at a test's database, Redis and simulator, and a handle that collects what they print."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tenfour.config import Settings

ROOT = Path(__file__).resolve().parents[2]
#: `tenfour worker` as the tests run it: one task at a time, its log at INFO.
WORKER_ARGS = ("worker", "-c", "1", "--loglevel", "INFO")


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a `tenfour` child process needs to share this test's world."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENFOUR_", "DATABASE_"))}
    env.update({
        "TENFOUR_INSTANCE_DIR": str(settings.instance_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SECRET_KEY": settings.secret_key,
        "TENFOUR_ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
        "SIMULATOR_URL": settings.simulator_url,
        "SCHEDULER_TICK_SECONDS": str(settings.scheduler_tick_seconds),
        "ENGAGEMENT_POLL_SECONDS": "3600",
        "FEEDBACK_POLL_SECONDS": "3600",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@dataclass
class Proc:
    """A running `tenfour` process and its output so far.

    ``offset`` hides the lines printed before it: a process shared by a module's tests is
    handed to each test as ``proc.from_here()``, so a test reads only what happened during it.
    """

    name: str
    popen: subprocess.Popen
    log: list[str]
    offset: int = 0

    def text(self) -> str:
        return "".join(self.log[self.offset:])

    def from_here(self) -> Proc:
        """The same process, its output read from this moment on."""
        return replace(self, offset=len(self.log))

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        """Return once the process printed ``needle``; fail at once if it exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not print {needle!r}:\n{self.text()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_process(name: str, args: list[str], env: dict[str, str]) -> Proc:
    popen = subprocess.Popen([sys.executable, "-m", "tenfour", *args], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []

    def pump() -> None:
        for line in popen.stdout:
            log.append(line)

    threading.Thread(target=pump, daemon=True).start()
    return Proc(name, popen, log)
