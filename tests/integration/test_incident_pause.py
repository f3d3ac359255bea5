"""The incident pause on the real stack: the API (Flask app), a `tenfour scheduler` process, a
`tenfour worker` Celery process over Redis, and the simulator over HTTP.

A post due a few seconds after a pause starts is held; resuming with ``shift`` publishes it
exactly once, the pause's length later. A target already handed to a worker is held by the
worker's last check. Only approvers and admins may pause or resume.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from content_queue.models import AuditEvent, PostTarget
from tests.integration.helpers import assert_api_error, utcnow, wait_until

pytestmark = [pytest.mark.slow]

TEXT = "Tonight: our open house for future telecommunicators."


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def people(factory, sim):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    users = {role: factory.user(role) for role in ("admin", "approver", "pio", "viewer")}
    return {"account": account, "users": users,
            "auth": {role: {"Authorization": f"Bearer {factory.token(user)}"}
                     for role, user in users.items()}}


def _target(db, target_id: int) -> PostTarget:
    with db.session_scope(write=False) as s:
        target = s.get(PostTarget, target_id)
        s.expunge(target)
        return target


def _queue(client, people, seconds_ahead: float) -> tuple[int, int, datetime]:
    when = utcnow() + timedelta(seconds=seconds_ahead)
    response = client.post("/api/v1/posts", headers=people["auth"]["approver"], json={
        "text": TEXT, "account_ids": [people["account"].id], "scheduled_at": when.isoformat()})
    assert response.status_code == 201, response.get_json()
    post = response.get_json()
    return post["id"], post["targets"][0]["id"], _instant(post["targets"][0]["scheduled_at"])


def _published(sim) -> list[dict]:
    return [p for p in sim.posts() if p["text"] == TEXT]


def test_a_pause_holds_a_post_due_seconds_later_and_shift_publishes_it_once_that_much_later(
        client, db, people, sim, worker, scheduler_proc) -> None:
    post_id, target_id, due = _queue(client, people, seconds_ahead=4)

    started = client.post("/api/v1/pauses", headers=people["auth"]["approver"],
                          json={"reason": "Line-of-duty death in our county"})
    assert started.status_code == 201, started.get_json()
    pause = started.get_json()
    assert list(pause) == ["id", "reason", "account_ids", "created_by", "created_at",
                           "resume_at"]
    assert pause["reason"] == "Line-of-duty death in our county"
    assert pause["account_ids"] is None and pause["resume_at"] is None
    assert pause["created_by"] == people["users"]["approver"].id

    held = wait_until(lambda: _target(db, target_id).status == "held" or None, timeout=20,
                      message="the due target to be held")
    assert held
    shown = client.get(f"/api/v1/posts/{post_id}", headers=people["auth"]["viewer"]).get_json()
    assert shown["status"] == "held"
    assert shown["targets"][0]["status"] == "held"
    assert "Line-of-duty death in our county" in shown["targets"][0]["error"]
    listed = client.get("/api/v1/posts?status=held", headers=people["auth"]["viewer"]).get_json()
    assert [p["id"] for p in listed["posts"]] == [post_id]
    active = client.get("/api/v1/pauses", headers=people["auth"]["admin"]).get_json()
    assert [p["id"] for p in active["pauses"]] == [pause["id"]]
    assert _published(sim) == []

    resumed = client.post(f"/api/v1/pauses/{pause['id']}/resume",
                          headers=people["auth"]["admin"], json={"held": "shift"})
    assert resumed.status_code == 200, resumed.get_json()
    body = resumed.get_json()
    assert body["held"] == "shift" and body["released"] == 1
    length = _instant(body["resumed_at"]) - _instant(body["created_at"])

    target = wait_until(lambda: (t := _target(db, target_id)).status == "published" and t,
                        timeout=30, message="the shifted target to be published")
    assert target.scheduled_at == due + length
    assert target.published_at >= due + length
    assert len(_published(sim)) == 1
    assert client.get("/api/v1/pauses", headers=people["auth"]["admin"]).get_json() == \
        {"pauses": []}
    with db.session_scope(write=False) as s:
        actions = list(s.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "post_target", AuditEvent.entity_id == target_id)
            .order_by(AuditEvent.id)))
        pause_actions = list(s.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "pause", AuditEvent.entity_id == pause["id"])
            .order_by(AuditEvent.id)))
    assert actions == ["target.scheduled", "target.held", "target.scheduled",
                       "target.publishing", "target.published"]
    assert pause_actions == ["pause.created", "pause.resumed"]


def test_a_target_already_handed_to_a_worker_is_held_by_the_workers_last_check(
        client, db, people, sim, worker, scheduler_proc, celery_client) -> None:
    _, target_id, _ = _queue(client, people, seconds_ahead=3600)
    with db.session_scope() as s:  # claimed by the scheduler just before the pause started
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(status="publishing", claimed_at=utcnow(), attempts=1))
    started = client.post("/api/v1/pauses", headers=people["auth"]["approver"],
                          json={"reason": "Major incident", "account_ids": [people["account"].id]})
    assert started.status_code == 201
    pause = started.get_json()
    assert pause["account_ids"] == [people["account"].id]

    celery_client.send_task("tenfour.publish_target", args=[target_id], queue="publish")

    held = wait_until(lambda: (t := _target(db, target_id)).status == "held" and t,
                      message="the worker to hold the target")
    assert "Major incident" in held.last_error and held.attempt_started_at is None
    worker.wait_for("held by incident pause", timeout=10)
    assert _published(sim) == []

    resumed = client.post(f"/api/v1/pauses/{pause['id']}/resume",
                          headers=people["auth"]["approver"], json={"held": "publish_now"})
    assert resumed.status_code == 200

    wait_until(lambda: _target(db, target_id).status == "published" or None, timeout=30,
               message="the released target to be published")
    assert len(_published(sim)) == 1


def test_only_approvers_and_admins_may_pause_or_resume(client, db, people) -> None:
    for role in ("pio", "viewer"):
        refused = client.post("/api/v1/pauses", headers=people["auth"][role],
                              json={"reason": "Incident"})
        assert_api_error(refused, 403, "forbidden")
        assert_api_error(client.get("/api/v1/pauses", headers=people["auth"][role]),
                         403, "forbidden")
    pause = client.post("/api/v1/pauses", headers=people["auth"]["admin"],
                        json={"reason": "Incident"}).get_json()
    assert_api_error(client.post(f"/api/v1/pauses/{pause['id']}/resume",
                                 headers=people["auth"]["pio"], json={"held": "shift"}),
                     403, "forbidden")
    active = client.get("/api/v1/pauses", headers=people["auth"]["approver"]).get_json()
    assert [p["id"] for p in active["pauses"]] == [pause["id"]]


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "reason_required"),
    ({"reason": "   "}, 422, "reason_required"),
    ({"reason": 5}, 422, "reason_required"),
    ({"reason": "x" * 501}, 422, "reason_too_long"),
    ({"reason": "ok", "account_ids": [99999999]}, 422, "unknown_account"),
    ({"reason": "ok", "account_ids": ["²"]}, 422, "unknown_account"),
    ({"reason": "ok", "account_ids": [2 ** 70]}, 422, "unknown_account"),
    ({"reason": "ok", "resume_at": "2001-01-01T00:00:00Z"}, 422, "resume_at_in_past"),
    ({"reason": "ok", "resume_at": "tomorrow"}, 422, "invalid_time"),
])
def test_bad_pause_input_is_refused_in_plain_words(client, people, body, status, code) -> None:
    refused = client.post("/api/v1/pauses", headers=people["auth"]["admin"], json=body)
    error = assert_api_error(refused, status, code)
    assert error["message"]


def test_resume_refuses_an_unknown_mode_a_missing_pause_and_a_second_resume(
        client, people) -> None:
    admin = people["auth"]["admin"]
    pause = client.post("/api/v1/pauses", headers=admin, json={"reason": "Incident"}).get_json()
    assert_api_error(client.post(f"/api/v1/pauses/{pause['id']}/resume", headers=admin,
                                 json={"held": "later"}), 422, "unknown_held_mode")
    assert_api_error(client.post("/api/v1/pauses/99999999999999999999999/resume", headers=admin,
                                 json={"held": "shift"}), 404, "not_found")
    assert client.post(f"/api/v1/pauses/{pause['id']}/resume", headers=admin,
                       json={"held": "review"}).status_code == 200
    assert_api_error(client.post(f"/api/v1/pauses/{pause['id']}/resume", headers=admin,
                                 json={"held": "shift"}), 409, "already_resumed")
