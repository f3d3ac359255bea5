"""The real stack for integration tests: an embedded Redis server, the platform simulator over
HTTP, the web app, Chromium, and Celery worker / scheduler processes started with
`tenfour worker` / `tenfour scheduler` against the test's own database.

Redis, the simulator and (per module) Chromium are started once per test process — under
pytest-xdist, once per xdist worker, each on free ports. A module whose tests can share one
Celery worker uses the ``module_*`` fixtures (see test_publishing_loop.py): one database, one
worker and one scheduler for the module's tests, instead of processes started and stopped per
test.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import pytest
import redis
import requests
from celery import Celery

from content_queue.db import Database
from content_queue.models import Base
from simulator.server import RunningSimulator, start_in_thread
from tenfour.config import Settings
from tenfour.embedded_redis import EmbeddedRedis
from tests.databases import BACKENDS, scratch_database_url
from tests.integration.browser_support import chromium, chromium_executable
from tests.integration.processes import WORKER_ARGS, Proc, process_env, start_process
from tests.settings import make_test_settings
from web import create_app
from workers.runtime import Runtime


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


@pytest.fixture
def rt(stack_settings: Settings) -> Iterator[Runtime]:
    """A worker's runtime on this test's database and simulator, for calling worker jobs
    in-process (``workers.jobs.publish_one`` …)."""
    runtime = Runtime(stack_settings)
    yield runtime
    runtime.db.engine.dispose()


@pytest.fixture
def app(settings: Settings, db: Database):
    """The web app on this test's database, configured as in production (CSRF on)."""
    return create_app(settings, db=db)


@pytest.fixture
def client(app):
    """Flask's test client for ``app``: no server, no browser."""
    return app.test_client()


@pytest.fixture(scope="module")
def chromium_browser():
    """A headless Chromium for the module's tests (each opens its own context); skips the
    test, with the reason, when there is no Chromium."""
    chromium_executable()
    with chromium() as browser:
        yield browser


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
    proc = spawn("worker", *WORKER_ARGS)
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
    app.conf.task_routes = {"tenfour.publish_target": {"queue": "publish"},
                            "tenfour.publish_targets": {"queue": "publish"}}
    yield app
    app.close()


# -- one database and one Celery worker per module ----------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request, tmp_path_factory) -> Iterator[str]:
    """A database with the tables made, shared by a module's tests on each backend.

    Rows are kept between tests (each test builds its own): ids are then never reused, so a
    late message from an earlier test can never act on a later test's rows.
    """
    with scratch_database_url(request.param, tmp_path_factory.mktemp("db")) as url:
        database = Database(url)
        Base.metadata.create_all(database.engine)
        database.engine.dispose()
        yield url


@pytest.fixture(scope="module")
def module_settings(module_db_url: str, tmp_path_factory, redis_server: EmbeddedRedis,
                    simulator_server: RunningSimulator) -> Settings:
    settings = make_test_settings(module_db_url, Path(tmp_path_factory.mktemp("instance")))
    return replace(settings, redis_url=redis_server.url, simulator_url=simulator_server.url)


@pytest.fixture(scope="module")
def module_worker(module_settings: Settings, redis_server: EmbeddedRedis) -> Iterator[Proc]:
    """One `tenfour worker` for the module's tests, started on an emptied Redis (nothing from an
    earlier module reaches it). Tests take it through a ``worker`` fixture returning
    ``module_worker.from_here()``, so each reads only its own part of the log."""
    redis.Redis.from_url(redis_server.url).flushall()
    proc = start_process("worker", list(WORKER_ARGS), process_env(module_settings))
    try:
        proc.wait_for("ready.", timeout=60)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def module_scheduler(module_settings: Settings, module_worker: Proc) -> Iterator[Proc]:
    """One `tenfour scheduler` for the module's tests, beside ``module_worker``."""
    proc = start_process("scheduler", ["scheduler"], process_env(module_settings))
    try:
        proc.wait_for("scheduler ticking", timeout=30)
        yield proc
    finally:
        proc.stop()


#: Fixtures that start Chromium; a test using one is a browser test.
BROWSER_FIXTURES = {"chromium_browser", "browser_page"}


def pytest_collection_modifyitems(config, items):
    """Browser tests drive the pages on SQLite only. The pages hold no SQL of their own (they
    call the same domain verbs the API does), and every verb and query runs on PostgreSQL in the
    unit and API tests; running each 20–60 s Chromium scenario twice would double the suite's
    longest tests for no new coverage. Set ``TENFOUR_BROWSER_ON_POSTGRESQL=1`` to run them on
    both backends."""
    if os.environ.get("TENFOUR_BROWSER_ON_POSTGRESQL") == "1":
        return
    keep, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("db_url") if callspec else None
        is_browser = bool(BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))) \
            or item.get_closest_marker("browser") is not None
        (dropped if is_browser and backend == "postgresql" else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
