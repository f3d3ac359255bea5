"""JSON API: authentication, accounts, campaigns, and errors for unknown routes and methods."""

from __future__ import annotations

import pytest

from content_queue.models import Campaign, SocialAccount, User
from tests.integration.helpers import assert_api_error, count_rows
from web.common.auth import WebUser


@pytest.fixture
def tokens(factory):
    return {role: factory.token(factory.user(role)) for role in ("admin", "pio", "viewer")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_needs_a_valid_bearer_token(client, factory, db):
    cases = [({}, "unauthorized"), ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthorized"),
             ({"Authorization": "Bearer "}, "unauthorized"),
             ({"Authorization": "Bearer tf_not-a-real-token"}, "invalid_token")]
    for headers, code in cases:
        response = client.get("/api/v1/accounts", headers=headers)
        assert response.status_code == 401, headers
        assert_api_error(response, 401, code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    # A logged-in browser session is not a credential here (so the API needs no CSRF token).
    user = factory.user("admin")
    with client.session_transaction() as session:
        session["_user_id"] = WebUser(user).get_id()
        session["_fresh"] = True
    assert client.get("/").status_code == 200  # the session is good for the pages…
    assert_api_error(client.get("/api/v1/accounts"), 401, "unauthorized")  # …but not for the API

    # A deactivated user's tokens stop working.
    token = factory.token(user)
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    with db.session_scope() as s:
        s.get(User, user.id).active = False
    assert_api_error(client.get("/api/v1/accounts", headers=bearer(token)), 401, "invalid_token")


def test_list_accounts_never_shows_credentials(client, factory, tokens):
    account = factory.account("sandbox", credentials={"access_token": "very-secret-token"})
    response = client.get("/api/v1/accounts", headers=bearer(tokens["viewer"]))
    assert response.status_code == 200
    [row] = response.get_json()["accounts"]
    assert row["id"] == account.id and row["platform"] == "sandbox"
    assert "very-secret-token" not in response.get_data(as_text=True)
    assert not any("credential" in key for key in row)


def test_admin_adds_an_account(client, tokens, db, cipher):
    response = client.post("/api/v1/accounts", headers=bearer(tokens["admin"]), json={
        "platform": "mastodon", "handle": "@metro911", "display_name": "Metro 911",
        "api_base_url": "https://mastodon.social/",
        "credentials": {"instance_url": "https://mastodon.social", "access_token": "tok-123"},
    })
    assert response.status_code == 201
    body = response.get_json()
    assert body["handle"] == "metro911" and body["status"] == "active"
    assert body["api_base_url"] == "https://mastodon.social"
    assert "tok-123" not in response.get_data(as_text=True)
    with db.session_scope(write=False) as s:
        stored = s.get(SocialAccount, body["id"])
        assert "tok-123" not in stored.credentials_encrypted
        assert cipher.decrypt(stored.credentials_encrypted)["access_token"] == "tok-123"

    again = client.post("/api/v1/accounts", headers=bearer(tokens["admin"]), json={
        "platform": "mastodon", "handle": "metro911",
        "credentials": {"instance_url": "https://mastodon.social", "access_token": "t"}})
    assert_api_error(again, 409, "account_exists")
    assert count_rows(db, SocialAccount) == 1


def test_only_admins_add_accounts(client, tokens, db):
    for role in ("pio", "viewer"):
        response = client.post("/api/v1/accounts", headers=bearer(tokens[role]), json={
            "platform": "sandbox", "handle": "metro", "credentials": {"access_token": "t"}})
        assert_api_error(response, 403, "forbidden")
    assert count_rows(db, SocialAccount) == 0


BAD_ACCOUNTS = [
    ({"platform": "myspace", "handle": "m", "credentials": {"access_token": "t"}}, "platform"),
    ({"platform": "x", "handle": "m", "credentials": {"access_token": "t"}}, "credentials"),
    ({"platform": "sandbox", "handle": "", "credentials": {"access_token": "t"}}, "handle"),
    ({"platform": "sandbox", "handle": "m", "credentials": "token"}, "credentials"),
    ({"platform": "sandbox", "handle": "m", "credentials": {"access_token": "t"},
      "api_base_url": "ftp://x"}, "api_base_url"),
]


def test_bad_account_input_is_refused(client, tokens, db):
    for body, field in BAD_ACCOUNTS:
        response = client.post("/api/v1/accounts", headers=bearer(tokens["admin"]), json=body)
        error = assert_api_error(response, 422, "validation_failed")
        assert field in error["fields"], body
    assert count_rows(db, SocialAccount) == 0


def test_campaigns_create_and_list(client, tokens, db):
    created = client.post("/api/v1/campaigns", headers=bearer(tokens["pio"]), json={
        "name": "911 Education Month", "description": "April", "starts_on": "2031-04-01",
        "ends_on": "2031-04-30"})
    assert created.status_code == 201  # no CSRF token: the API is exempt
    assert "Set-Cookie" not in created.headers
    assert created.headers["Cache-Control"] == "no-store"
    body = created.get_json()
    assert body["name"] == "911 Education Month" and body["starts_on"] == "2031-04-01"
    listed = client.get("/api/v1/campaigns", headers=bearer(tokens["viewer"])).get_json()
    assert [c["id"] for c in listed["campaigns"]] == [body["id"]]


def test_bad_campaign_input_is_refused(client, tokens, db):
    cases = [({"name": ""}, "name"), ({"name": "Spring", "starts_on": "April 1st"}, "starts_on"),
             ({"name": "Spring", "starts_on": "2031-05-01", "ends_on": "2031-04-01"}, "ends_on"),
             ({"name": ["Spring"]}, "name")]
    for body, field in cases:
        error = assert_api_error(client.post("/api/v1/campaigns", headers=bearer(tokens["pio"]),
                                             json=body), 422, "validation_failed")
        assert field in error["fields"], body
    assert_api_error(client.post("/api/v1/campaigns", headers=bearer(tokens["viewer"]),
                                 json={"name": "Spring"}), 403, "forbidden")
    assert count_rows(db, Campaign) == 0


def test_unknown_routes_and_methods_answer_json(client, tokens):
    for path in ("/api/v1/nothing-here", "/api/v2/posts", "/api/"):
        assert_api_error(client.get(path, headers=bearer(tokens["admin"])), 404, "not_found")
    response = client.delete("/api/v1/accounts", headers=bearer(tokens["admin"]))
    assert_api_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
