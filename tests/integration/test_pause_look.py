"""The worker's last look for an incident pause, in-process on each database: threads that
arrive together read the pauses table once, and a pause started after a look is seen once
that look's short trust has passed."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event

from content_queue.pauses import create_pause
from tests.integration.helpers import claimed_target, utcnow
from workers import jobs


def _pause_reads(rt) -> list[str]:
    reads: list[str] = []

    @event.listens_for(rt.db.engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_rest) -> None:
        if "FROM pauses" in statement:
            reads.append(statement)
    return reads


def test_threads_arriving_together_read_the_pauses_table_once(db, factory, sim, rt,
                                                               monkeypatch) -> None:
    monkeypatch.setattr(jobs, "_last_look", (-1.0, False))
    # The answer stays fresh for the whole test: on a loaded machine a read can take longer
    # than the real 50 ms window, and a thread after it would rightly read again.
    monkeypatch.setattr(jobs, "NOTHING_PAUSED_FOR_SECONDS", 60.0)
    reads = _pause_reads(rt)
    start = threading.Barrier(16)
    answers: list[bool] = []

    def look() -> None:
        start.wait()
        answers.append(jobs.held_by_pause(rt, 0, {}))

    threads = [threading.Thread(target=look) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [False] * 16
    assert len(reads) == 1  # without the one-at-a-time look: one read per thread


def test_a_pause_started_after_a_look_holds_the_next_post_once_the_look_is_old(
        db, factory, sim, rt, monkeypatch) -> None:
    monkeypatch.setattr(jobs, "_last_look", (-1.0, False))
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id = claimed_target(db, factory, account, "Open house tonight")
    assert jobs.held_by_pause(rt, target_id, {}) is False  # nothing paused: trusted 50 ms
    with db.session_scope() as s:
        create_pause(s, actor=None, agency_id=account.agency_id, reason="Line-of-duty death",
                     now=utcnow())
    time.sleep(jobs.NOTHING_PAUSED_FOR_SECONDS * 1.5)

    assert jobs.held_by_pause(rt, target_id, {}) is True
