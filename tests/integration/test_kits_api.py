"""JSON API: campaign kits (list, start NPSTW 2027 → seven drafts on April 11–17 in the
agency's zone) and consent before approving a spotlight post."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from content_queue.models import Agency, User
from content_queue.services import submit_post
from tests.integration.helpers import X_CREDENTIALS, assert_api_error

NPSTW_FIELDS = {"agency_name": "Metro 911 Communications", "community": "Metro County",
                "team_size": "42", "calls_last_year": "182,000",
                "jobs_link": "https://metro911.gov/jobs"}


@pytest.fixture
def world(factory):
    users = {role: factory.user(role) for role in ("pio", "approver", "viewer")}
    return {"users": users, "tokens": {r: factory.token(u) for r, u in users.items()},
            "accounts": [factory.account("sandbox"),
                         factory.account("x", credentials=X_CREDENTIALS)]}


def auth(world, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def test_the_kits_are_listed_with_their_fields(client, world):
    response = client.get("/api/v1/kits", headers=auth(world, "viewer"))
    assert response.status_code == 200
    kits = {k["id"]: k for k in response.get_json()["kits"]}
    assert {"npstw", "dispatcher-spotlight", "behind-the-headset-tour", "success-story",
            "recruiting", "text-to-911"} <= set(kits)
    npstw = kits["npstw"]
    assert {"id", "name", "description", "fields"} <= set(npstw)
    assert {"name": "agency_name", "label": "Your center's name", "required": True,
            "kind": "text"}.items() <= npstw["fields"][0].items()


def test_starting_npstw_2027_makes_seven_drafts_on_april_11_to_17_in_the_agency_zone(
        client, world, db):
    with db.session_scope() as s:
        s.get(Agency, world["users"]["pio"].agency_id).timezone = "America/Denver"
    response = client.post("/api/v1/kits/npstw/start", headers=auth(world, "pio"), json={
        "year": 2027, "fields": NPSTW_FIELDS, "account_ids": [a.id for a in world["accounts"]]})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["campaign"]["starts_on"] == "2027-04-11"
    assert body["campaign"]["ends_on"] == "2027-04-17"
    assert body["campaign"]["post_count"] == 7
    posts = body["posts"]
    assert len(posts) == 7
    denver = ZoneInfo("America/Denver")
    days = []
    for post in posts:
        assert post["status"] == "draft" and post["campaign_id"] == body["campaign"]["id"]
        assert len(post["targets"]) == 2
        local = datetime.fromisoformat(post["targets"][0]["scheduled_at"].replace("Z", "+00:00")
                                       ).astimezone(denver)
        assert (local.hour, local.minute) == (10, 0)
        days.append(local.date())
    assert days == [date(2027, 4, 11) + timedelta(days=i) for i in range(7)]
    assert posts[4]["kit_post"]["key"] == "recruiting"
    assert "https://metro911.gov/jobs" in posts[4]["text"]


def test_missing_required_fields_are_a_422_naming_them(client, world):
    response = client.post("/api/v1/kits/npstw/start", headers=auth(world, "pio"), json={
        "year": 2027, "fields": {"agency_name": "Metro 911"},
        "account_ids": [world["accounts"][0].id]})
    error = assert_api_error(response, 422, "missing_fields")
    assert set(error["fields"]) == {"community", "team_size", "calls_last_year", "jobs_link"}
    assert "The community you serve" in error["message"]


def test_unknown_kit_viewer_and_bad_year_are_refused(client, world):
    body = {"fields": NPSTW_FIELDS, "account_ids": [world["accounts"][0].id]}
    assert_api_error(client.post("/api/v1/kits/nope/start", json=body,
                                 headers=auth(world, "pio")), 404, "unknown_kit")
    assert_api_error(client.post("/api/v1/kits/npstw/start", json=body,
                                 headers=auth(world, "viewer")), 403, "forbidden")
    assert_api_error(client.post("/api/v1/kits/npstw/start", json={**body, "year": "soon"},
                                 headers=auth(world, "pio")), 422, "invalid_year")


def test_a_spotlight_post_needs_recorded_consent_before_approval(client, world, db):
    started = client.post("/api/v1/kits/dispatcher-spotlight/start", headers=auth(world, "pio"),
                          json={"start_date": (date.today() + timedelta(days=5)).isoformat(),
                                "fields": {"agency_name": "Metro 911", "person_name": "Jordan Lee",
                                           "role": "Senior telecommunicator",
                                           "contribution": "trained 12 new call takers."},
                                "account_ids": [world["accounts"][0].id]})
    assert started.status_code == 201, started.get_data(as_text=True)
    post = started.get_json()["posts"][0]
    assert post["kit_post"]["requires_consent"] is True
    with db.session_scope() as s:  # the API has no submit verb; the page's button calls this
        submit_post(s, actor=s.get(User, world["users"]["pio"].id), post_id=post["id"],
                    now=datetime.now(timezone.utc))
    refused = client.post(f"/api/v1/posts/{post['id']}/approve", headers=auth(world, "approver"),
                          json={})
    assert_api_error(refused, 409, "consent_required")

    bad = client.post(f"/api/v1/posts/{post['id']}/consents", headers=auth(world, "pio"),
                      json={"person_name": "Jordan Lee"})
    assert set(assert_api_error(bad, 422, "validation_failed")["fields"]) >= {"given_by",
                                                                           "given_on", "purpose"}
    recorded = client.post(f"/api/v1/posts/{post['id']}/consents", headers=auth(world, "pio"),
                           json={"person_name": "Jordan Lee", "given_by": "Jordan Lee",
                                 "given_on": date.today().isoformat(),
                                 "purpose": "Name and photo in the spotlight post.",
                                 "covers_photo": True})
    assert recorded.status_code == 201
    assert recorded.get_json()["consent"]["covers_name"] is True
    listed = client.get(f"/api/v1/posts/{post['id']}/consents", headers=auth(world, "viewer"))
    assert [c["person_name"] for c in listed.get_json()["consents"]] == ["Jordan Lee"]
    approved = client.post(f"/api/v1/posts/{post['id']}/approve",
                           headers=auth(world, "approver"), json={})
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert approved.get_json()["status"] == "scheduled"
