"""JSON API: posts — creating, reading, listing, approving, and every refusal's shape."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from content_queue.models import AuditEvent, Post, PostTarget, User
from tests.integration.helpers import X_CREDENTIALS, assert_api_error


def iso_in(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat()


@pytest.fixture
def world(factory):
    """An approver, a second approver, a PIO and a viewer, each with a token, and accounts."""
    users = {role: factory.user(role) for role in ("approver", "pio", "viewer")}
    users["approver2"] = factory.user("approver")
    tokens = {name: factory.token(user) for name, user in users.items()}
    return {"users": users, "tokens": tokens, "sandbox": factory.account("sandbox"),
            "x": factory.account("x", credentials=X_CREDENTIALS)}


def auth(world, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def counts(db) -> tuple[int, int]:
    with db.session_scope(write=False) as s:
        return (s.scalar(select(func.count()).select_from(Post)),
                s.scalar(select(func.count()).select_from(PostTarget)))


def create(client, world, who="approver", **overrides):
    body = {"text": "Know your location when you call 911.", "account_ids": [world["sandbox"].id],
            "scheduled_at": iso_in(timedelta(hours=2))}
    body.update(overrides)
    return client.post("/api/v1/posts", json=body, headers=auth(world, who))


def test_approver_post_is_scheduled_and_readable(client, world):
    response = create(client, world, account_ids=[world["sandbox"].id, world["x"].id])
    assert response.status_code == 201
    post = response.get_json()
    assert post["text"] == "Know your location when you call 911."
    assert post["status"] == "scheduled"
    assert response.headers["Location"].endswith(f"/api/v1/posts/{post['id']}")
    assert {t["account_id"] for t in post["targets"]} == {world["sandbox"].id, world["x"].id}
    target = post["targets"][0]
    for key in ("id", "account_id", "status", "scheduled_at", "published_at", "platform_post_id",
                "permalink", "error"):
        assert key in target
    assert target["status"] == "scheduled" and target["published_at"] is None

    again = client.get(f"/api/v1/posts/{post['id']}", headers=auth(world, "viewer"))
    assert again.status_code == 200
    assert again.get_json()["targets"] == post["targets"]
    assert_api_error(client.get("/api/v1/posts/999999", headers=auth(world, "viewer")), 404,
                     "not_found")


def test_pio_post_awaits_approval_and_another_approver_approves_it(client, world):
    post = create(client, world, who="pio").get_json()
    assert post["status"] == "awaiting_approval"
    assert {t["status"] for t in post["targets"]} == {"awaiting_approval"}

    approved = client.post(f"/api/v1/posts/{post['id']}/approve", headers=auth(world, "approver"))
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "scheduled"
    assert approved.get_json()["approved_by_id"] == world["users"]["approver"].id


def test_pio_cannot_approve_own_post(client, world):
    post = create(client, world, who="pio").get_json()
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/approve", headers=auth(world, "pio")),
                     403, "forbidden")
    still = client.get(f"/api/v1/posts/{post['id']}", headers=auth(world, "pio")).get_json()
    assert still["status"] == "awaiting_approval"

    draft = create(client, world, who="pio", submit=False).get_json()
    assert draft["status"] == "draft"
    assert_api_error(client.post(f"/api/v1/posts/{draft['id']}/approve",
                                 headers=auth(world, "approver")), 409, "nothing_to_approve")


def test_approver_cannot_approve_own_waiting_post(client, world, db):
    """An approver's own posts never wait, except one written as a PIO before a promotion."""
    post = create(client, world, who="pio").get_json()
    with db.session_scope() as s:
        s.get(User, world["users"]["pio"].id).role = "approver"
    error = assert_api_error(client.post(f"/api/v1/posts/{post['id']}/approve",
                                         headers=auth(world, "pio")), 403, "own_post")
    assert "own post" in error["message"]
    approved = client.post(f"/api/v1/posts/{post['id']}/approve", headers=auth(world, "approver"))
    assert approved.get_json()["status"] == "scheduled"


def test_viewer_cannot_create_posts(client, world, db):
    before = counts(db)
    assert_api_error(create(client, world, who="viewer"), 403, "forbidden")
    assert counts(db) == before


BAD_POST_INPUT = [
    # (case, overrides, code, field)
    ("time in the past", {"scheduled_at": iso_in(-timedelta(hours=1))}, "time_in_past",
     "scheduled_at"),
    ("unknown account", {"account_ids": [987654]}, "unknown_account", "account_ids"),
    ("no accounts", {"account_ids": []}, "no_accounts", "account_ids"),
    ("account ids not a list", {"account_ids": "1"}, "no_accounts", "account_ids"),
    ("empty text", {"text": "   "}, "text_empty", "text"),
    ("text not a string", {"text": 42}, "text_empty", "text"),
    ("no offset", {"scheduled_at": "2031-04-11T09:00:00"}, "invalid_time", "scheduled_at"),
    ("not a time", {"scheduled_at": "next tuesday"}, "invalid_time", "scheduled_at"),
    ("missing time", {"scheduled_at": None}, "invalid_time", "scheduled_at"),
    ("unknown campaign", {"campaign_id": 4242}, "unknown_campaign", "campaign_id"),
    ("submit not a boolean", {"submit": "yes"}, "validation_failed", "submit"),
]


def test_bad_post_input_is_refused_and_nothing_is_created(client, world, db):
    before = counts(db)
    for case, overrides, code, field in BAD_POST_INPUT:
        response = create(client, world, **overrides)
        assert response.status_code == 422, case
        error = assert_api_error(response, 422, code)
        assert field in error["fields"], case
        assert counts(db) == before, case
        if case == "no offset":
            assert "offset" in error["message"]


def test_text_too_long_for_x_is_refused(client, world, db):
    before = counts(db)
    error = assert_api_error(create(client, world, text="a" * 281, account_ids=[world["x"].id]),
                             422, "text_too_long")
    assert "281" in error["message"] and "280" in error["message"]
    assert error["fields"]["text"]
    assert counts(db) == before
    # The same text fits the sandbox (500 characters).
    assert create(client, world, text="a" * 281).status_code == 201


def test_malformed_json_is_400_invalid_json(client, world, db):
    before = counts(db)
    for body in (b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe"):
        response = client.post("/api/v1/posts", data=body, content_type="application/json",
                               headers=auth(world, "approver"))
        assert response.status_code == 400, body
        assert_api_error(response, 400, "invalid_json")
    assert counts(db) == before


def test_list_posts_filters_and_paginates(client, world):
    ids = [create(client, world, who="pio", text=f"post {i}").get_json()["id"] for i in range(3)]
    scheduled = create(client, world, who="approver").get_json()["id"]

    everything = client.get("/api/v1/posts", headers=auth(world, "viewer")).get_json()
    assert everything["total"] == 4 and everything["page"] == 1 and everything["per_page"] == 50
    assert {p["id"] for p in everything["posts"]} == {*ids, scheduled}

    waiting = client.get("/api/v1/posts?status=awaiting_approval&per_page=2",
                         headers=auth(world, "viewer")).get_json()
    assert waiting["total"] == 3 and len(waiting["posts"]) == 2
    page2 = client.get("/api/v1/posts?status=awaiting_approval&per_page=2&page=2",
                       headers=auth(world, "viewer")).get_json()
    assert len(page2["posts"]) == 1
    assert {p["id"] for p in waiting["posts"] + page2["posts"]} == set(ids)

    capped = client.get("/api/v1/posts?per_page=1000", headers=auth(world, "viewer")).get_json()
    assert capped["per_page"] == 200
    assert_api_error(client.get("/api/v1/posts?status=lost", headers=auth(world, "viewer")), 422,
                     "unknown_status")
    assert_api_error(client.get("/api/v1/posts?page=zero", headers=auth(world, "viewer")), 422,
                     "invalid_parameter")


def test_reject_sends_back_to_draft_with_reason(client, world, db):
    post = create(client, world, who="pio").get_json()
    response = client.post(f"/api/v1/posts/{post['id']}/reject", json={"reason": "Add the 511 number"},
                           headers=auth(world, "approver"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "draft"
    with db.session_scope(write=False) as s:
        reasons = [e.details.get("reason") for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "target.draft"))]
    assert reasons == ["Add the 511 number"]


def test_reschedule_and_cancel(client, world):
    post = create(client, world).get_json()
    later = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    moved = client.post(f"/api/v1/posts/{post['id']}/reschedule",
                        json={"scheduled_at": later.isoformat()}, headers=auth(world, "approver"))
    assert moved.status_code == 200
    assert moved.get_json()["targets"][0]["scheduled_at"] == later.isoformat().replace("+00:00", "Z")

    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/reschedule",
                                 json={"scheduled_at": "2031-01-01T09:00"},
                                 headers=auth(world, "approver")), 422, "invalid_time")

    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/cancel", headers=auth(world, "pio")),
                     403, "forbidden")  # not the author, not an approver
    canceled = client.post(f"/api/v1/posts/{post['id']}/cancel", headers=auth(world, "approver"))
    assert canceled.status_code == 200 and canceled.get_json()["status"] == "canceled"
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/cancel",
                                 headers=auth(world, "approver")), 409, "not_cancelable")
