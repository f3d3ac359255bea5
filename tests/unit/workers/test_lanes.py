"""An account's platform calls always run on the same lane (one thread, in order), accounts
side by side on their own lanes up to the worker's thread count, then sharing."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from tenfour.config import load_settings
from workers.runtime import Runtime


@pytest.fixture
def settings(tmp_path):
    return load_settings({"TENFOUR_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "k",
                          "TENFOUR_ENCRYPTION_KEYS": "x"})


def _runtime(settings, concurrency: int) -> Runtime:
    return Runtime(replace(settings, worker_concurrency=concurrency))


def test_an_account_keeps_its_lane_and_accounts_spread_over_the_lanes(settings) -> None:
    rt = _runtime(settings, 3)
    first = [rt.lane(account) for account in (10, 11, 12)]
    assert len({id(lane) for lane in first}) == 3  # side by side
    assert rt.lane(11) is first[1] and rt.lane(10) is first[0]  # always the same one
    assert rt.lane(13) is first[0]  # a fourth account shares a lane, round the ring


def test_a_lane_runs_an_accounts_turns_one_after_another_on_one_thread(settings) -> None:
    rt = _runtime(settings, 4)
    seen: list[tuple[int, str]] = []
    futures = [rt.lane(7).submit(lambda i=i: seen.append((i, threading.current_thread().name)))
               for i in range(20)]
    for future in futures:
        future.result(timeout=10)
    assert [i for i, _ in seen] == list(range(20))
    assert len({name for _, name in seen}) == 1
