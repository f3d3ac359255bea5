"""A campaign's estimated platform charges, from the configured price table, on the campaign
page and in the API — counting only the posts that will still be sent."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from content_queue.campaigns import CampaignInput, create_campaign
from content_queue.costs import estimate_campaign_cost
from content_queue.models import User
from content_queue.services import queue_post
from tests.integration.helpers import X_CREDENTIALS, utcnow
from tests.integration.web_client import login_client

#: Not the defaults, so the tests prove the page reads the configuration.
PRICES = {"x_price_per_post": 0.02, "x_price_per_link_post": 0.25}


@pytest.fixture
def settings(settings):
    """This module's price table (the ``app`` and ``client`` fixtures are built from it)."""
    return replace(settings, **PRICES)


@pytest.fixture
def world(factory, db):
    approver = factory.user("approver")
    accounts = {"x1": factory.account("x", handle="metro911", credentials=X_CREDENTIALS),
                "x2": factory.account("x", handle="metro911_es", credentials=X_CREDENTIALS),
                "fb": factory.account("facebook", credentials={"page_id": "1",
                                                               "page_access_token": "t"})}
    with db.session_scope() as s:
        actor = s.get(User, approver.id)
        storms = create_campaign(s, actor=actor, data=CampaignInput(name="Winter storms"),
                                 now=utcnow()).id
        empty = create_campaign(s, actor=actor, data=CampaignInput(name="Empty"), now=utcnow()).id

        def post(text, names, *, campaign=storms, submit=True, status=None):
            p = queue_post(s, actor=actor, text=text, account_ids=[accounts[n].id for n in names],
                           scheduled_at=utcnow() + timedelta(days=2), now=utcnow(),
                           campaign_id=campaign, submit=submit)
            if status:
                for target in p.targets:
                    target.status = status  # as the worker or a cancel leaves it
            return p

        post("Shelters are open: https://metro911.gov/shelters", ["x1", "x2", "fb"])
        post("Stay off the roads tonight.", ["x1"])
        post("Draft: see metro911.gov for closures", ["x2"], submit=False)
        post("Already out https://metro911.gov/a", ["x1"], status="published")
        post("Called off", ["x2"], status="canceled")
        post("Not in the campaign https://a.org", ["x1"], campaign=None)
    return {"approver": approver, "storms": storms, "empty": empty,
            "token": factory.token(approver)}


EXPECTED = {"currency": "USD", "total": 0.77, "lines": [
    {"platform": "x", "posts": 3, "unit_price": 0.25, "subtotal": 0.75, "with_link": True},
    {"platform": "x", "posts": 1, "unit_price": 0.02, "subtotal": 0.02, "with_link": False},
    {"platform": "facebook", "posts": 1, "unit_price": 0.0, "subtotal": 0.0, "with_link": False},
]}


def test_campaign_estimate_counts_only_targets_still_to_send(world, db):
    with db.session_scope(write=False) as s:
        estimate = estimate_campaign_cost(s, world["storms"], PRICES)
        assert estimate.total == Decimal("0.77")
        assert estimate.to_dict() == EXPECTED
        assert estimate_campaign_cost(s, world["empty"], PRICES).lines == ()


def test_campaign_page_shows_posts_and_estimated_charges_before_scheduling(client, world,
                                                                           factory):
    login_client(client, world["approver"].email, factory.password)
    html = client.get("/campaigns").get_data(as_text=True)
    row = re.search(rf'<tr id="campaign-{world["storms"]}">(.*?)</tr>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert '<td class="num campaign-posts">5</td>' in row  # every post, sent or not
    assert ("Estimated X charges: $0.77 — 3 posts with a link × $0.25 + 1 post × $0.02"
            in text)
    assert "Facebook: no per-post charge" in text
    empty = re.search(rf'<tr id="campaign-{world["empty"]}">(.*?)</tr>', html, re.S).group(1)
    assert "nothing left to send" in empty and '<td class="num campaign-posts">0</td>' in empty
    assert "X $0.02 per post, $0.25 per post with a link" in html


def test_api_campaign_has_its_estimated_cost(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    one = client.get(f"/api/v1/campaigns/{world['storms']}", headers=headers)
    assert one.status_code == 200
    body = one.get_json()
    assert body["name"] == "Winter storms" and body["post_count"] == 5
    assert body["estimated_cost"] == EXPECTED

    listed = {c["id"]: c for c in client.get("/api/v1/campaigns", headers=headers)
              .get_json()["campaigns"]}
    assert listed[world["storms"]]["estimated_cost"] == EXPECTED
    assert listed[world["empty"]]["estimated_cost"] == {"currency": "USD", "total": 0.0,
                                                        "lines": []}
    missing = client.get("/api/v1/campaigns/9999", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_a_new_campaign_answers_with_its_location_and_an_empty_estimate(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    response = client.post("/api/v1/campaigns", json={"name": "911 Education Month"},
                           headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/campaigns/{body['id']}")
    assert body["post_count"] == 0 and body["estimated_cost"]["total"] == 0
