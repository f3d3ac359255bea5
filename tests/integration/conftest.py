"""The real stack for integration tests: an embedded Redis server, the platform simulator over
HTTP, and Celery worker / scheduler processes started with `tenfour worker` / `tenfour scheduler`
against the test's own database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import pytest
import redis
import requests
from celery import Celery

from simulator.server import RunningSimulator, start_in_thread
from tenfour.config import Settings
from tenfour.embedded_redis import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    """The embedded server, emptied: no message of an earlier test can reach this test's worker."""
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[RunningSimulator]:
    sim = start_in_thread()
    try:
        yield sim
    finally:
        sim.stop()


class Sim:
    """A thin client for the simulator's control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def reset(self) -> None:
        requests.post(f"{self.url}/_sim/reset", timeout=5).raise_for_status()

    def posts(self, platform: str = "sandbox") -> list[dict]:
        r = requests.get(f"{self.url}/_sim/posts", params={"platform": platform}, timeout=5)
        r.raise_for_status()
        return r.json()["posts"]

    def requests(self, platform: str = "sandbox") -> list[dict]:
        r = requests.get(f"{self.url}/_sim/requests", params={"platform": platform}, timeout=5)
        r.raise_for_status()
        return r.json()["requests"]

    def fault(self, kind: str, platform: str = "sandbox", **extra) -> None:
        r = requests.post(f"{self.url}/_sim/faults",
                          json={"platform": platform, "kind": kind, **extra}, timeout=5)
        r.raise_for_status()

    def advance(self, seconds: float) -> None:
        r = requests.post(f"{self.url}/_sim/clock", json={"advance_seconds": seconds}, timeout=5)
        r.raise_for_status()


@pytest.fixture
def sim(simulator_server: RunningSimulator) -> Sim:
    client = Sim(simulator_server.url)
    client.reset()
    return client


@pytest.fixture
def stack_settings(settings: Settings, sim: Sim, redis_url: str) -> Settings:
    return replace(settings, redis_url=redis_url, simulator_url=sim.url)


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
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: list[str]

    def text(self) -> str:
        return "".join(self.log)

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
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


@pytest.fixture
def spawn(stack_settings: Settings) -> Iterator[Callable[..., Proc]]:
    """Start `tenfour <args>` processes for this test; all are stopped at its end."""
    procs: list[Proc] = []

    def _spawn(name: str, *args: str, **env_extra: str) -> Proc:
        proc = start_process(name, list(args), process_env(stack_settings, **env_extra))
        procs.append(proc)
        return proc

    yield _spawn
    for proc in reversed(procs):
        proc.stop()


@pytest.fixture
def worker(spawn) -> Proc:
    proc = spawn("worker", "worker", "-c", "1", "--loglevel", "INFO")
    proc.wait_for("ready.", timeout=60)
    return proc


@pytest.fixture
def scheduler_proc(spawn) -> Proc:
    proc = spawn("scheduler", "scheduler")
    proc.wait_for("scheduler ticking", timeout=30)
    return proc


@pytest.fixture
def celery_client(redis_url: str) -> Iterator[Celery]:
    """A producer-only Celery app, to send tasks the way the scheduler does."""
    app = Celery("test-client", broker=redis_url)
    app.conf.task_routes = {"tenfour.publish_target": {"queue": "publish"}}
    yield app
    app.close()


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05,
               message: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
