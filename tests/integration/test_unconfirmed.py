"""Unconfirmed outcomes on the real stack: the simulator drops the connection after it stored
the post and then fails the look-up, so the worker cannot tell whether the post went out. The
target becomes ``unconfirmed`` (never posted a second time), the post page and the API say what
to check, and a person's "It is there" / "Post it again" through the API and the page work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content_queue.models import PostTarget, User
from content_queue.outcomes import mark_unconfirmed
from content_queue.services import queue_post
from tests.integration.helpers import assert_api_error, utcnow, wait_until
from tests.integration.web_client import FormClient

TEXT = "Telecommunicator of the Year: thank you, Dana!"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _queue(db, factory, sim, text: str, *, seconds_ahead: float = 1.0, author=None):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    author = author or factory.user("admin")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text=text, account_ids=[account.id],
                          scheduled_at=utcnow() + timedelta(seconds=seconds_ahead), now=utcnow())
        return post.id, post.targets[0].id


def _status(db, target_id: int) -> str:
    with db.session_scope(write=False) as s:
        return s.get(PostTarget, target_id).status


def _sim_posts(sim, text: str) -> list[dict]:
    return [p for p in sim.posts() if p["text"] == text]


def _post_requests(sim) -> list[dict]:
    return [r for r in sim.requests() if r["method"] == "POST" and r["path"].endswith("/posts")]


@pytest.mark.slow
def test_a_dropped_post_whose_look_up_fails_is_unconfirmed_never_reposted_and_answered(
        db, factory, sim, worker, scheduler_proc, client) -> None:
    token = factory.token(factory.user("approver"))
    sim.fault("drop_after_accept", request_kind="post", count=2)
    sim.fault("server_error", request_kind="lookup", count=2)
    _, first = _queue(db, factory, sim, TEXT)
    _, second = _queue(db, factory, sim, TEXT + " (Spanish: ¡gracias!)")

    for target_id in (first, second):
        wait_until(lambda t=target_id: _status(db, t) == "unconfirmed", timeout=30,
                   message=f"target {target_id} to become unconfirmed")
    # Both posts reached the simulator once, and neither was sent a second time.
    assert len(_post_requests(sim)) == 2
    [stored] = _sim_posts(sim, TEXT)

    body = client.get(f"/api/v1/posts/{_post_of(db, first)}", headers=bearer(token)).get_json()
    [target] = body["targets"]
    assert body["status"] == "unconfirmed"
    assert target["status"] == "unconfirmed" and target["error_code"] == "unconfirmed"
    assert target["error"].startswith("We could not confirm whether this post reached Sandbox")
    assert "Check @" in target["error"] and "'Post it again'" in target["error"]
    listed = client.get("/api/v1/posts?status=unconfirmed", headers=bearer(token)).get_json()
    assert {p["id"] for p in listed["posts"]} >= {_post_of(db, first), _post_of(db, second)}

    # "It is there", with its link.
    response = client.post(f"/api/v1/targets/{first}/confirm", headers=bearer(token),
                           json={"url": stored["url"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "published"
    assert response.get_json()["permalink"] == stored["url"]

    # "Post it again": the worker publishes it; the platform's idempotency key returns the copy
    # it already had, so the account still shows the post once.
    response = client.post(f"/api/v1/targets/{second}/repost", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "scheduled"
    wait_until(lambda: _status(db, second) == "published", timeout=20,
               message="the reposted target to be published")
    assert len(_sim_posts(sim, TEXT + " (Spanish: ¡gracias!)")) == 1
    assert len(_post_requests(sim)) == 3


def _post_of(db, target_id: int) -> int:
    with db.session_scope(write=False) as s:
        return s.get(PostTarget, target_id).post_id


@pytest.fixture
def unconfirmed(db, factory, sim):
    """A target left unconfirmed (set directly: these tests need no worker)."""
    author = factory.user("pio")
    post_id, target_id = _queue(db, factory, sim, TEXT, seconds_ahead=3600, author=author)
    with db.session_scope() as s:
        target = s.get(PostTarget, target_id)
        target.status, target.attempt_started_at = "publishing", utcnow()
    with db.session_scope() as s:
        mark_unconfirmed(s, target_id, now=utcnow(),
                         cause="the connection dropped after Sandbox accepted it.")
    return author, post_id, target_id


def test_the_api_refuses_answers_in_its_error_shape(client, factory, db, unconfirmed) -> None:
    author, post_id, target_id = unconfirmed
    viewer, other_pio = factory.token(factory.user("viewer")), factory.token(factory.user("pio"))
    mine = factory.token(author)
    assert_api_error(client.post(f"/api/v1/targets/{target_id}/repost", headers=bearer(viewer)),
                     403, "forbidden")
    assert_api_error(client.post(f"/api/v1/targets/{target_id}/repost",
                                 headers=bearer(other_pio)), 403, "forbidden")
    assert_api_error(client.post(f"/api/v1/targets/{target_id}/confirm", headers=bearer(mine),
                                 json={"url": "not a link"}), 422, "invalid_url")
    assert_api_error(client.post(f"/api/v1/targets/{target_id}/confirm", headers=bearer(mine)),
                     400, "invalid_json")
    assert_api_error(client.post("/api/v1/targets/999999/repost", headers=bearer(mine)),
                     404, "not_found")
    assert _status(db, target_id) == "unconfirmed"
    # The author may answer for their own post; a second answer finds nothing to answer.
    assert client.post(f"/api/v1/targets/{target_id}/repost",
                       headers=bearer(mine)).status_code == 200
    assert_api_error(client.post(f"/api/v1/targets/{target_id}/repost", headers=bearer(mine)),
                     409, "not_unconfirmed")


def test_the_post_page_explains_and_its_buttons_answer(client, factory, db, unconfirmed) -> None:
    author, post_id, target_id = unconfirmed
    pages = FormClient(client, factory.password)
    pages.login(author)
    page = pages.text(f"/posts/{post_id}")
    assert "We could not confirm whether this post reached Sandbox" in page
    assert "It is there" in page and "Post it again" in page
    assert f'action="/targets/{target_id}/confirm"' in page

    refused = pages.submit(f"/targets/{target_id}/confirm",
                           {"post_id": post_id, "url": "ftp://x"}, token_from=f"/posts/{post_id}")
    assert refused.status_code == 302 and _status(db, target_id) == "unconfirmed"
    assert "not a web link" in pages.text(f"/posts/{post_id}")

    url = "https://sandbox.example/@metro911/12345"
    done = pages.submit(f"/targets/{target_id}/confirm", {"post_id": post_id, "url": url},
                        token_from=f"/posts/{post_id}")
    assert done.status_code == 302
    assert _status(db, target_id) == "published"
    page = pages.text(f"/posts/{post_id}")
    assert "Marked as published" in page and url in page
    assert "Post it again" not in page


def test_answer_forms_without_a_csrf_token_are_refused(client, factory, db, unconfirmed) -> None:
    author, post_id, target_id = unconfirmed
    FormClient(client, factory.password).login(author)
    response = client.post(f"/targets/{target_id}/repost", data={"post_id": post_id})
    assert response.status_code == 400
    assert _status(db, target_id) == "unconfirmed"
