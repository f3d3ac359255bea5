"""JSON API of issue 8 approvals: the queue, approve/reject with a comment (old shapes kept),
the thread, versions with diffs, editing, review links (made, used in the public page,
revoked, forged), and the approval rules."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from content_queue.models import Notification
from tests.integration.helpers import assert_api_error

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def iso_in(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat()


@pytest.fixture
def world(factory):
    users = {role: factory.user(role) for role in ("approver", "pio", "viewer", "admin")}
    users["pio2"] = factory.user("pio")
    return {"users": users, "tokens": {n: factory.token(u) for n, u in users.items()},
            "account": factory.account("sandbox"), "account2": factory.account("sandbox")}


def auth(world, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def queue(client, world, who="pio", text="Know your location when you call 911.", **extra):
    body = {"text": text, "account_ids": [world["account"].id],
            "scheduled_at": iso_in(timedelta(hours=2)), **extra}
    response = client.post("/api/v1/posts", json=body, headers=auth(world, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_queue_lists_waiting_posts_oldest_first_with_previews(client, world):
    first = queue(client, world, text="First \u202eevil\u202c text")
    second = queue(client, world, text="Second")
    queue(client, world, who="approver", text="Scheduled at once")
    answer = client.get("/api/v1/approvals", headers=auth(world, "approver"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert [p["id"] for p in body["posts"]] == [first["id"], second["id"]]
    assert body["total"] == 2
    preview = body["posts"][0]["previews"][0]
    assert preview["text"] == "First \u202eevil\u202c text" and preview["max_characters"] == 500
    assert [c["code"] for c in body["posts"][0]["direction_controls"]] == ["U+202E", "U+202C"]
    assert body["posts"][1]["direction_controls"] == []
    paged = client.get("/api/v1/approvals?per_page=1&page=2", headers=auth(world, "approver"))
    assert [p["id"] for p in paged.get_json()["posts"]] == [second["id"]]
    assert_api_error(client.get("/api/v1/approvals", headers=auth(world, "pio")), 403,
                     "forbidden")


def test_reject_with_a_comment_threads_it_and_tells_the_author(client, world, db):
    post = queue(client, world)
    answer = client.post(f"/api/v1/posts/{post['id']}/reject",
                         json={"comment": "Add the non-emergency number."},
                         headers=auth(world, "approver"))
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "draft"
    thread = client.get(f"/api/v1/posts/{post['id']}/comments", headers=auth(world, "pio"))
    [comment] = thread.get_json()["comments"]
    assert (comment["kind"], comment["body"], comment["author_id"]) == \
        ("rejected", "Add the non-emergency number.", world["users"]["approver"].id)
    with db.session_scope(write=False) as s:
        notices = s.scalars(select(Notification).where(Notification.post_id == post["id"])
                            .order_by(Notification.id)).all()
        users = world["users"]
        # the approvers heard that it waited for them; the author, of the decision
        waited = {n.user_id for n in notices if n.event == "post_awaiting_approval"}
        assert {users["approver"].id, users["admin"].id} <= waited
        assert users["pio"].id not in waited and users["viewer"].id not in waited
        assert [n.user_id for n in notices if n.event == "post_rejected"] == [users["pio"].id]
    mine = client.get("/api/v1/notifications", headers=auth(world, "pio")).get_json()
    assert any("sent back" in n["subject"] for n in mine["notifications"])


def test_reject_still_takes_the_older_reason_and_approve_an_empty_body(client, world):
    post = queue(client, world)
    client.post(f"/api/v1/posts/{post['id']}/reject", json={"reason": "Typo"},
                headers=auth(world, "approver"))
    thread = client.get(f"/api/v1/posts/{post['id']}/comments",
                        headers=auth(world, "pio")).get_json()
    assert thread["comments"][0]["body"] == "Typo"
    other = queue(client, world)
    approved = client.post(f"/api/v1/posts/{other['id']}/approve",
                           headers=auth(world, "approver"))
    assert approved.status_code == 200 and approved.get_json()["status"] == "scheduled"
    assert_api_error(client.post(f"/api/v1/posts/{other['id']}/reject", json={"comment": 5},
                                 headers=auth(world, "approver")), 422, "invalid_comment")


def test_nobody_approves_their_own_post_with_a_second_person_required(client, world):
    rules = client.put("/api/v1/approvals/rules", json={"second_person_required": True},
                       headers=auth(world, "admin"))
    assert rules.get_json() == {"pio_posts_need_approval": True, "second_person_required": True}
    assert_api_error(client.put("/api/v1/approvals/rules", json={"second_person_required": 1},
                                headers=auth(world, "admin")), 422, "invalid_setting")
    assert_api_error(client.put("/api/v1/approvals/rules", json={"second_person_required": False},
                                headers=auth(world, "approver")), 403, "forbidden")
    own = queue(client, world, who="approver")
    assert own["status"] == "awaiting_approval"
    assert_api_error(client.post(f"/api/v1/posts/{own['id']}/approve",
                                 headers=auth(world, "approver")), 403, "own_post")
    ok = client.post(f"/api/v1/posts/{own['id']}/approve", headers=auth(world, "admin"))
    assert ok.get_json()["status"] == "scheduled"


def test_comments_by_the_author_and_approvers_only(client, world):
    post = queue(client, world)
    made = client.post(f"/api/v1/posts/{post['id']}/comments", json={"comment": "Okay?"},
                       headers=auth(world, "pio"))
    assert made.status_code == 201 and made.get_json()["author_name"]
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/comments", json={"comment": "x"},
                                 headers=auth(world, "pio2")), 403, "forbidden")
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/comments", json={"comment": ""},
                                 headers=auth(world, "pio")), 422, "comment_empty")


def test_editing_an_approved_post_returns_it_to_approval_and_lists_versions(client, world):
    post = queue(client, world, text="Stay warm tonight.")
    client.post(f"/api/v1/posts/{post['id']}/approve", headers=auth(world, "approver"))
    edited = client.post(f"/api/v1/posts/{post['id']}/edit", json={"text": "Stay warm and dry."},
                          headers=auth(world, "pio"))
    assert edited.status_code == 200
    assert edited.get_json()["status"] == "awaiting_approval"
    assert edited.get_json()["approved_by_id"] is None
    versions = client.get(f"/api/v1/posts/{post['id']}/versions",
                          headers=auth(world, "viewer")).get_json()
    assert [v["number"] for v in versions["versions"]] == [2, 1]
    newest = versions["versions"][0]
    assert newest["changed"] == ["text"] and newest["edited_by_id"] == world["users"]["pio"].id
    assert "-Stay warm tonight." in newest["diff"] and "+Stay warm and dry." in newest["diff"]
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/edit", json={"text": ""},
                                  headers=auth(world, "pio")), 422, "text_empty")


def test_a_review_link_approves_in_the_public_page_under_the_named_person(client, world, app):
    post = queue(client, world)
    made = client.post(f"/api/v1/posts/{post['id']}/review-links",
                       json={"name": "Director Ruiz", "expires_in_hours": 24},
                       headers=auth(world, "approver"))
    assert made.status_code == 201
    link = made.get_json()
    assert link["name"] == "Director Ruiz" and "/review/" in link["url"]
    path = link["url"].split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()
    page = anonymous.get("/" + path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Know your location" in html and "Director Ruiz" in html
    token = CSRF_RE.search(html).group(1)
    refused = anonymous.post("/" + path, data={"decision": "approve"})
    assert refused.status_code == 400  # no CSRF token
    done = anonymous.post("/" + path, data={"decision": "approve", "comment": "Fine by me.",
                                            "csrf_token": token})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    read = client.get(f"/api/v1/posts/{post['id']}", headers=auth(world, "pio")).get_json()
    assert read["status"] == "scheduled"
    thread = client.get(f"/api/v1/posts/{post['id']}/comments",
                        headers=auth(world, "pio")).get_json()["comments"]
    assert (thread[0]["author_name"], thread[0]["kind"], thread[0]["body"]) == \
        ("Director Ruiz", "approved", "Fine by me.")
    again = anonymous.get("/" + path)
    assert again.status_code == 410 and "has been used" in again.get_data(as_text=True)
    forged = anonymous.get("/" + path[:-3] + "abc")
    assert forged.status_code == 404


def test_a_revoked_link_answers_a_clear_page(client, world, app):
    post = queue(client, world)
    link = client.post(f"/api/v1/posts/{post['id']}/review-links", json={"name": "County PIO"},
                       headers=auth(world, "approver")).get_json()
    revoked = client.post(f"/api/v1/review-links/{link['id']}/revoke",
                          headers=auth(world, "approver"))
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    path = "/" + link["url"].split("://", 1)[1].split("/", 1)[1]
    page = app.test_client().get(path)
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/review-links",
                                 json={"name": "X"}, headers=auth(world, "pio")), 403,
                     "forbidden")
    assert_api_error(client.post(f"/api/v1/posts/{post['id']}/review-links",
                                 json={"name": "X", "expires_in_hours": 0},
                                 headers=auth(world, "approver")), 422, "invalid_expiry")
    assert_api_error(client.post("/api/v1/review-links/999999/revoke",
                                 headers=auth(world, "approver")), 404, "not_found")


def test_a_pio_rescheduling_their_own_failed_post_gets_a_legal_path(client, world, db):
    from content_queue.models import PostTarget
    from sqlalchemy import update
    post = queue(client, world)
    client.post(f"/api/v1/posts/{post['id']}/approve", headers=auth(world, "approver"))
    with db.session_scope() as s:
        s.execute(update(PostTarget).where(PostTarget.post_id == post["id"])
                  .values(status="failed"))
    answer = client.post(f"/api/v1/posts/{post['id']}/reschedule",
                         json={"scheduled_at": iso_in(timedelta(hours=5))},
                         headers=auth(world, "pio"))
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "awaiting_approval"
