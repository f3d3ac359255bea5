"""In the app: the notifications list with its unread count in every page's header, marking
read (CSRF as in production), the API; and /readyz and /metrics for whoever runs Tenfour."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from content_queue.models import User
from content_queue.notifications import notify
from content_queue.services import queue_post
from tests.integration.helpers import utcnow
from tests.integration.web_client import FormClient
from web import create_app


@pytest.fixture
def pages(client, factory):
    return FormClient(client, factory.password)


def _notify(db, user, subject: str, **extra) -> int:
    with db.session_scope() as s:
        return notify(s, "target_failed", agency_id=user.agency_id, subject=subject,
                      body="Open the post to retry it.", now=utcnow(),
                      recipients=[user.id], **extra)[0]


def test_the_header_shows_the_unread_count_and_the_list_marks_read(db, factory, pages):
    me, other = factory.user("pio"), factory.user("pio")
    first = _notify(db, me, "Post #1 failed on X @metro911")
    _notify(db, me, "Post #2 failed on X @metro911")
    _notify(db, other, "Someone else's notice")
    pages.login(me)

    home = pages.text("/")
    assert 'id="unread-count">2<' in home
    listing = pages.text("/notifications")
    assert listing.index("Post #2 failed") < listing.index("Post #1 failed")  # newest first
    assert "Someone else's notice" not in listing

    assert pages.client.post(f"/notifications/{first}/read").status_code == 400  # no CSRF
    assert pages.submit(f"/notifications/{first}/read",
                        token_from="/notifications").status_code == 302
    assert 'id="unread-count">1<' in pages.text("/")
    assert pages.submit("/notifications/read-all", token_from="/notifications").status_code == 302
    assert 'id="unread-count"' not in pages.text("/notifications")


def test_a_user_cannot_mark_another_users_notification(db, factory, pages):
    me, other = factory.user("pio"), factory.user("pio")
    theirs = _notify(db, other, "Theirs")
    pages.login(me)
    assert pages.submit(f"/notifications/{theirs}/read",
                        token_from="/notifications").status_code == 404


def test_the_list_is_paginated(db, factory, pages):
    me = factory.user("pio")
    for n in range(27):
        _notify(db, me, f"Notice {n:02d}")
    pages.login(me)
    first = pages.text("/notifications")
    assert "Notice 26" in first and "Notice 01" not in first and "Page 1 of 2" in first
    second = pages.text("/notifications?page=2")
    assert "Notice 01" in second and "Notice 00" in second


def test_the_api_lists_my_notifications_with_the_unread_count_and_marks_one_read(
        db, factory, client):
    me, other = factory.user("pio"), factory.user("pio")
    older = _notify(db, me, "Older")
    newer = _notify(db, me, "Newer")
    theirs = _notify(db, other, "Theirs")
    headers = {"Authorization": f"Bearer {factory.token(me)}"}

    body = client.get("/api/v1/notifications", headers=headers).get_json()
    assert body["unread"] == 2
    assert [n["id"] for n in body["notifications"]] == [newer, older]
    assert body["notifications"][0]["event"] == "target_failed"
    assert body["notifications"][0]["read_at"] is None

    read = client.post(f"/api/v1/notifications/{older}/read", headers=headers)
    assert read.status_code == 200 and read.get_json()["read_at"].endswith("Z")
    assert client.get("/api/v1/notifications", headers=headers).get_json()["unread"] == 1
    missing = client.post(f"/api/v1/notifications/{theirs}/read", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


class FakeProbe:
    def __init__(self, beat: datetime | None, broken: bool = False) -> None:
        self.beat, self.broken = beat, broken

    def ping(self) -> None:
        if self.broken:
            raise ConnectionError("Connection refused")

    def scheduler_heartbeat(self):
        return self.beat

    def queue_depths(self):
        return {"publish": 3, "default": 1}


def test_readyz_is_ok_with_the_database_the_broker_and_a_fresh_scheduler_beat(settings, db):
    app = create_app(settings, db=db, probe=FakeProbe(datetime.now(timezone.utc)))
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["database"] == "ok" and body["broker"] == "ok"
    assert body["scheduler"]["ok"] is True and body["scheduler"]["age_seconds"] < 15


@pytest.mark.parametrize("probe, what", [
    (FakeProbe(None), "scheduler never ticked"),
    (FakeProbe(datetime.now(timezone.utc) - timedelta(minutes=5)), "stale heartbeat"),
    (FakeProbe(None, broken=True), "broker down"),
    (None, "no broker configured"),
])
def test_readyz_is_503_when_a_part_is_missing(settings, db, probe, what):
    response = create_app(settings, db=db, probe=probe).test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503, what
    assert body["database"] == "ok"
    assert body["scheduler"]["ok"] is False
    if probe is None or probe.broken:
        assert body["broker"] != "ok"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_targets_by_platform_status_and_reason_from_the_database(
        settings, db, factory):
    account = factory.account("sandbox")
    author = factory.user("admin")
    now = utcnow()
    with db.session_scope() as s:
        posts = [queue_post(s, actor=s.get(User, author.id), text=f"Post {n}",
                            account_ids=[account.id], scheduled_at=now + timedelta(hours=1),
                            now=now) for n in range(4)]
        targets = [p.targets[0] for p in posts]
        targets[0].status, targets[0].next_attempt_at = "scheduled", now - timedelta(seconds=5)
        targets[1].status, targets[1].error_code = "failed", "auth_expired"
        targets[2].status = "published"
        targets[2].scheduled_at = now - timedelta(minutes=1)
        targets[2].published_at = now - timedelta(minutes=1) + timedelta(seconds=0.2)
        targets[3].status = "held"
    app = create_app(settings, db=db, probe=FakeProbe(datetime.now(timezone.utc)))
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    got = _samples(response.get_data(as_text=True))
    sandbox = (("platform", "sandbox"),)
    assert got[("tenfour_targets_due", sandbox)] == 1
    assert got[("tenfour_targets_failed", (("platform", "sandbox"), ("reason", "auth_expired")))] == 1
    assert got[("tenfour_targets_published_total", sandbox)] == 1
    assert got[("tenfour_targets_held", sandbox)] == 1
    assert got[("tenfour_targets", (("platform", "sandbox"), ("status", "scheduled")))] == 1
    assert got[("tenfour_publish_lateness_seconds_bucket", (("le", "0.1"),))] == 0
    assert got[("tenfour_publish_lateness_seconds_bucket", (("le", "0.25"),))] == 1
    assert got[("tenfour_queue_depth", (("queue", "publish"),))] == 3
    assert got[("tenfour_pauses_active", ())] == 0
    assert got[("tenfour_up", (("component", "database"),))] == 1
    assert got[("tenfour_up", (("component", "broker"),))] == 1


def test_metrics_still_answer_when_the_broker_is_down(settings, db):
    app = create_app(settings, db=db, probe=FakeProbe(None, broken=True))
    got = _samples(app.test_client().get("/metrics").get_data(as_text=True))
    assert got[("tenfour_up", (("component", "broker"),))] == 0
    assert got[("tenfour_up", (("component", "database"),))] == 1
