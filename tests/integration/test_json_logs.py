"""LOG_FORMAT=json: the scheduler and the worker processes log one JSON object a line, and a
publish's lines carry target_id, account_id and platform."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from content_queue.models import PostTarget, User
from content_queue.services import queue_post
from tests.integration.conftest import WORKER_ARGS
from tests.integration.helpers import utcnow, wait_until

pytestmark = pytest.mark.slow


def _json_lines(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_worker_and_scheduler_log_json_lines_with_the_targets_fields(db, factory, sim, spawn):
    worker = spawn("worker", *WORKER_ARGS, LOG_FORMAT="json")
    worker.wait_for("ready.", timeout=60)
    scheduler = spawn("scheduler", "scheduler", LOG_FORMAT="json")
    scheduler.wait_for("scheduler ticking", timeout=30)
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    author = factory.user("admin")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text="JSON log line check",
                          account_ids=[account.id], scheduled_at=utcnow() + timedelta(seconds=1),
                          now=utcnow())
        target_id = post.targets[0].id

    def published():
        with db.session_scope(write=False) as s:
            return s.get(PostTarget, target_id).status == "published"
    wait_until(published, timeout=30, message="the post to be published")
    wait_until(lambda: any(r.get("target_id") == target_id for r in _json_lines(worker.text())),
               timeout=10, message="the worker's JSON line about the target")

    scheduler_lines = _json_lines(scheduler.text())
    assert any(r["message"].startswith("scheduler ticking") for r in scheduler_lines)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in scheduler_lines)
    line = next(r for r in _json_lines(worker.text()) if r.get("target_id") == target_id)
    assert line["account_id"] == account.id and line["platform"] == "sandbox"
    # Celery's own lines ("ready.", task received) are JSON too, not Celery's format.
    assert any(r["message"].endswith("ready.") for r in _json_lines(worker.text()))
