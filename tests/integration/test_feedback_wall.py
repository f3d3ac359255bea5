"""The feedback wall for real: a `tenfour worker` takes the reply poll from Redis, reads the
simulator's replies over HTTP (only for posts whose reply count moved), stores each once,
classified: the emergency-looking one flagged with an alert to the on-duty user, the one with
a phone number hidden; a reply the platform deletes is kept, marked deleted there. Then the
API reads the wall back, and approvers alone hide and highlight.

``test_a_reply_reaches_the_wall_within_one_poll`` runs the scheduler with a 1-second
``FEEDBACK_POLL_SECONDS`` and prints how long a reply took from the simulator to the wall (a
figure for the notes; never asserted)."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from sqlalchemy import select, update

from content_queue.models import Agency, CommunityReply, Notification, PostTarget, User
from content_queue.services import queue_post
from tests.integration.helpers import assert_api_error, utcnow, wait_until
from workers.jobs import publish_one


def _published(db, factory, rt, account, text: str) -> tuple[int, str]:
    author = factory.user("pio")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text=text, account_ids=[account.id],
                          scheduled_at=utcnow() + timedelta(hours=1), now=utcnow())
        target_id = post.targets[0].id
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(status="publishing", claimed_at=utcnow(), attempts=1))
    assert publish_one(rt, target_id) == "published"
    with db.session_scope(write=False) as s:
        return target_id, s.get(PostTarget, target_id).platform_post_id


def _sim_reply(sim, post_id: str, text: str, author: str = "neighbor") -> str:
    r = requests.post(f"{sim.url}/_sim/replies", json={"platform": "sandbox", "post_id": post_id,
                                                       "text": text, "author": author}, timeout=5)
    r.raise_for_status()
    return r.json()["reply"]["id"]


def _replies(db, target_id: int) -> dict[str, CommunityReply]:
    with db.session_scope(write=False) as s:
        return {r.text: r for r in s.scalars(select(CommunityReply)
                                             .where(CommunityReply.target_id == target_id))}


def test_a_worker_brings_simulator_replies_to_the_wall_classified_and_alerts_on_duty(
        db, factory, sim, rt, worker, celery_client) -> None:
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    supervisor = factory.user("viewer", email="supervisor@metro911.gov")
    with db.session_scope() as s:
        s.get(Agency, supervisor.agency_id).on_duty_user_id = supervisor.id
    target_id, post_id = _published(db, factory, rt, account, "Meet the night shift.")
    quiet_id, _ = _published(db, factory, rt, account, "Porch lights on, please.")
    _sim_reply(sim, post_id, "Thank you for helping my mom last spring!")
    _sim_reply(sim, post_id, "Please send an ambulance, my husband collapsed and is not breathing")
    gone = _sim_reply(sim, post_id, "Call me at (312) 555-0199 about volunteering")

    celery_client.send_task("tenfour.poll_replies", queue="default")

    assert wait_until(lambda: len(_replies(db, target_id)) == 3, timeout=60)
    rows = _replies(db, target_id)
    thanks = rows["Thank you for helping my mom last spring!"]
    plea = rows["Please send an ambulance, my husband collapsed and is not breathing"]
    phone = rows["Call me at (312) 555-0199 about volunteering"]
    assert thanks.flags == [] and thanks.sentiment > 0 and not thanks.hidden
    assert plea.emergency and plea.flags == ["emergency"]
    assert phone.hidden and phone.hidden_reason == "contains a phone number"
    assert _replies(db, quiet_id) == {}
    reads = [r for r in sim.requests() if r["path"].endswith("/replies")]
    assert len(reads) == 1  # only the post whose reply count moved cost a reply read
    with db.session_scope(write=False) as s:
        alerts = list(s.scalars(select(Notification).where(
            Notification.event == "reply_emergency")))
    assert [a.user_id for a in alerts] == [supervisor.id]

    requests.delete(f"{sim.url}/_sim/replies/{gone}", timeout=5).raise_for_status()
    celery_client.send_task("tenfour.poll_replies", queue="default")
    assert wait_until(lambda: _replies(db, target_id)[phone.text].deleted_on_platform_at,
                      timeout=60)
    assert len(_replies(db, target_id)) == 3  # kept: a public record


def test_a_reply_reaches_the_wall_within_one_poll(db, factory, sim, rt, spawn) -> None:
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id, post_id = _published(db, factory, rt, account, "Text 911 if you cannot call.")
    worker_proc = spawn("worker", "worker", "-c", "1", "--loglevel", "INFO")
    worker_proc.wait_for("ready.", timeout=60)
    spawn("scheduler", "scheduler", FEEDBACK_POLL_SECONDS="1").wait_for("scheduler ticking",
                                                                        timeout=30)
    figures = []
    for n in range(3):
        text = f"HELP someone is breaking in right now ({n})"
        started = time.monotonic()
        _sim_reply(sim, post_id, text)
        assert wait_until(lambda: text in _replies(db, target_id), timeout=60, interval=0.02)
        figures.append(time.monotonic() - started)
    print(f"\nreply -> wall with FEEDBACK_POLL_SECONDS=1: "
          f"{', '.join(f'{f:.2f}' for f in figures)} s (mean {sum(figures) / 3:.2f} s)")


def test_the_api_lists_the_wall_and_only_approvers_moderate(db, factory, sim, rt, app) -> None:
    from workers.feedback_jobs import poll_account_replies

    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id, post_id = _published(db, factory, rt, account, "Thank you, night shift!")
    _sim_reply(sim, post_id, "You are all heroes, thank you!", author="maria.g")
    _sim_reply(sim, post_id, "my cell is 312-555-0142, call me about the tour")
    assert poll_account_replies(rt, account.id) == 2
    viewer, approver = factory.user("viewer"), factory.user("approver")
    client = app.test_client()
    as_viewer = {"Authorization": f"Bearer {factory.token(viewer)}"}
    as_approver = {"Authorization": f"Bearer {factory.token(approver)}"}

    body = client.get("/api/v1/feedback", headers=as_viewer).get_json()
    (shown,) = body["replies"]  # the phone number is hidden from a viewer
    assert set(shown) >= {"id", "target_id", "post_id", "platform", "author", "text",
                          "created_at", "url", "sentiment", "flags", "hidden", "highlighted"}
    assert (shown["author"], shown["sentiment"], shown["platform"]) == ("maria.g", "positive",
                                                                         "sandbox")
    assert shown["target_id"] == target_id and shown["url"].startswith("http")
    everything = client.get("/api/v1/feedback?flag=phone", headers=as_approver).get_json()
    assert [r["flags"] for r in everything["replies"]] == [["phone"]]
    assert everything["replies"][0]["hidden_reason"] == "contains a phone number"

    assert_api_error(client.post(f"/api/v1/feedback/{shown['id']}/highlight",
                                 headers=as_viewer), 403, "forbidden")
    done = client.post(f"/api/v1/feedback/{shown['id']}/highlight", headers=as_approver)
    assert done.status_code == 200 and done.get_json()["highlighted"] is True
    listed = client.get("/api/v1/feedback?highlighted=true", headers=as_viewer).get_json()
    assert [r["id"] for r in listed["replies"]] == [shown["id"]]
    hidden = client.post(f"/api/v1/feedback/{shown['id']}/hide", headers=as_approver).get_json()
    assert hidden["hidden"] is True
    assert client.get("/api/v1/feedback", headers=as_viewer).get_json()["replies"] == []
    assert_api_error(client.post("/api/v1/feedback/999999/unhide", headers=as_approver), 404,
                     "not_found")
    assert_api_error(client.get("/api/v1/feedback?flag=nope", headers=as_viewer), 422,
                     "invalid_parameter")
    assert_api_error(client.get("/api/v1/feedback?from=yesterday", headers=as_viewer), 422,
                     "invalid_parameter")


def test_the_pages_enforce_roles_on_the_server(db, factory, app) -> None:
    from tests.integration.web_client import FormClient

    from content_queue.feedback import record_replies
    from content_queue.models import Post
    from content_queue.ports import Reply

    viewer, admin = factory.user("viewer"), factory.user("admin")
    account = factory.account("sandbox")
    with db.session_scope() as s:
        post = Post(agency_id=admin.agency_id, author_id=admin.id, text="Thanks, all",
                    created_at=utcnow(), updated_at=utcnow())
        s.add(post)
        s.flush()
        target = PostTarget(post_id=post.id, account_id=account.id, status="published",
                            scheduled_at=utcnow(), next_attempt_at=utcnow(), attempts=1,
                            platform_post_id="p9", published_at=utcnow(), created_at=utcnow(),
                            updated_at=utcnow())
        s.add(target)
        s.flush()
        (reply_id,) = record_replies(s, target.id, [Reply("r9", "p9", "a", "Thank you!",
                                                          utcnow())], now=utcnow()).new
    as_viewer = FormClient(app.test_client(), factory.password)
    as_viewer.login(viewer)
    assert "Community feedback" in as_viewer.text("/feedback")
    assert as_viewer.client.get("/feedback/on-duty").status_code == 403
    assert as_viewer.submit(f"/feedback/{reply_id}/hide",
                            token_from="/feedback").status_code == 403
    # The role is refused before the id is looked up: the same 403 for an id that does not
    # exist, so a viewer learns nothing about which replies exist.
    assert as_viewer.submit(f"/feedback/{reply_id + 1000}/hide",
                            token_from="/feedback").status_code == 403
    assert "Shift briefing" in as_viewer.text("/briefing")
    as_admin = FormClient(app.test_client(), factory.password)
    as_admin.login(admin)
    saved = as_admin.submit("/feedback/on-duty", {"on_duty_user_id": str(viewer.id),
                                                  "on_duty_email": "desk@metro911.gov",
                                                  "emergency_instructions": "Call the floor."},
                            token_from="/feedback/on-duty")
    assert saved.status_code == 302
    with db.session_scope(write=False) as s:
        agency = s.get(Agency, admin.agency_id)
        assert (agency.on_duty_user_id, agency.on_duty_email, agency.emergency_instructions) == \
            (viewer.id, "desk@metro911.gov", "Call the floor.")
    refused = as_admin.submit("/feedback/on-duty", {"on_duty_user_id": "abc"},
                              token_from="/feedback/on-duty")
    assert refused.status_code == 422 and "Choose a user" in refused.get_data(as_text=True)
    assert as_admin.client.post("/feedback/on-duty", data={}).status_code == 400  # no CSRF token
    assert app.test_client().get("/briefing").status_code == 302  # login required
