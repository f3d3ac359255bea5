"""Users and tokens in the browser and over the API (issue 11): admins create users with a
role, change roles, deactivate and reactivate (never delete), reset passwords (shown once) and
see last sign-ins; everyone manages their own API tokens (shown once, named, with the user's
role, last use, revoke). The API answers with the same rules."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from content_queue.models import ApiToken, User
from tests.conftest import utcnow
from tests.integration.web_client import CSRF_RE, login_client


def _form(client, path: str, data: dict, page: str = "/me"):
    token = CSRF_RE.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_admin_creates_a_pio_who_signs_in_with_the_password_shown_once(app, client, factory, db):
    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    page = _form(client, "/admin/users", {"email": "new.pio@metro911.gov", "role": "pio",
                                          "display_name": "New PIO"}).get_data(as_text=True)
    password = re.search(r'id="generated-password">([^<]+)<', page).group(1)
    assert password not in client.get("/admin/users").get_data(as_text=True)  # once only
    pio = app.test_client()
    login_client(pio, "new.pio@metro911.gov", password)
    assert "new.pio@metro911.gov" in client.get("/admin/users").get_data(as_text=True)
    with db.session_scope(write=False) as s:
        row = s.scalars(select(User).where(User.email == "new.pio@metro911.gov")).one()
        assert row.role == "pio" and row.last_login_at is not None


def test_admin_changes_role_deactivates_reactivates_and_resets(app, client, factory, db):
    admin = factory.user("admin")
    other = factory.user("pio")
    login_client(client, admin.email, factory.password)
    _form(client, f"/admin/users/{other.id}/role", {"role": "approver"}, "/admin/users")
    _form(client, f"/admin/users/{other.id}/active", {"active": "0"}, "/admin/users")
    with db.session_scope(write=False) as s:
        row = s.get(User, other.id)
        assert row.role == "approver" and row.active is False  # kept, not deleted
    assert "Deactivated" in client.get("/admin/users").get_data(as_text=True)
    _form(client, f"/admin/users/{other.id}/active", {"active": "1"}, "/admin/users")
    page = _form(client, f"/admin/users/{other.id}/reset-password", {},
                 "/admin/users").get_data(as_text=True)
    password = re.search(r'id="generated-password">([^<]+)<', page).group(1)
    login_client(app.test_client(), other.email, password)


def test_the_last_admin_cannot_be_demoted_or_deactivated(client, factory, db):
    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    with db.session_scope(write=False) as s:
        admins = s.scalars(select(User).where(User.role == "admin")).all()
    for extra in admins:
        if extra.id != admin.id:
            _form(client, f"/admin/users/{extra.id}/active", {"active": "0"}, "/admin/users")
    response = _form(client, f"/admin/users/{admin.id}/role", {"role": "pio"}, "/admin/users")
    assert response.status_code == 302
    assert "last active admin" in client.get("/admin/users").get_data(as_text=True)
    with db.session_scope(write=False) as s:
        assert s.get(User, admin.id).role == "admin"


def test_non_admins_cannot_open_the_users_page(client, factory):
    pio = factory.user("pio")
    login_client(client, pio.email, factory.password)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/me").status_code == 200


def test_own_tokens_are_shown_once_listed_with_last_use_and_revoked(client, factory, db):
    pio = factory.user("pio")
    login_client(client, pio.email, factory.password)
    page = _form(client, "/me/tokens", {"name": "newsroom script"}).get_data(as_text=True)
    token = re.search(r'id="token-value">([^<]+)<', page).group(1)
    assert token not in client.get("/me").get_data(as_text=True)
    api = client.application.test_client()
    listed = api.get("/api/v1/tokens", headers=_bearer(token)).get_json()["tokens"]
    assert [t["name"] for t in listed] == ["newsroom script"] and listed[0]["role"] == "pio"
    with db.session_scope(write=False) as s:
        row = s.scalars(select(ApiToken).where(ApiToken.user_id == pio.id)).one()
    _form(client, f"/me/tokens/{row.id}/revoke", {})
    refused = api.get("/api/v1/tokens", headers=_bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["message"].startswith("This API token has been revoked")


def test_another_users_token_cannot_be_revoked(client, factory):
    pio = factory.user("pio")
    other = factory.user("pio")
    factory.token(other)
    mine = factory.token(pio)
    tokens = client.get("/api/v1/tokens", headers=_bearer(factory.token(other))).get_json()
    their_id = tokens["tokens"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{their_id}", headers=_bearer(mine)).status_code == 404
    login_client(client, pio.email, factory.password)
    assert _form(client, f"/me/tokens/{their_id}/revoke", {}).status_code == 404


def test_users_api_for_admins(client, factory):
    admin = factory.user("admin")
    token = factory.token(admin)
    created = client.post("/api/v1/users", headers=_bearer(token),
                          json={"email": "api.viewer@metro911.gov", "role": "viewer"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["role"] == "viewer" and len(body["password"]) >= 12
    user_id = body["id"]
    assert any(u["id"] == user_id for u in
               client.get("/api/v1/users", headers=_bearer(token)).get_json()["users"])
    changed = client.patch(f"/api/v1/users/{user_id}", headers=_bearer(token),
                           json={"role": "approver", "active": False})
    assert changed.get_json()["role"] == "approver" and changed.get_json()["active"] is False
    reset = client.post(f"/api/v1/users/{user_id}/reset-password", headers=_bearer(token))
    assert reset.status_code == 200 and reset.get_json()["password"]
    bad = client.post("/api/v1/users", headers=_bearer(token),
                      json={"email": "weak@metro911.gov", "role": "pio", "password": "password12"})
    assert bad.status_code == 422 and "password" in bad.get_json()["error"]["fields"]
    assert client.patch(f"/api/v1/users/{user_id}", headers=_bearer(token),
                        json={"email": "x@y.z"}).status_code == 422


def test_users_api_refuses_non_admins(client, factory):
    pio = factory.user("pio")
    assert client.get("/api/v1/users", headers=_bearer(factory.token(pio))).status_code == 403


def test_tokens_api_creates_once_and_expired_tokens_get_401(app, client, factory):
    pio = factory.user("pio")
    token = factory.token(pio)
    made = client.post("/api/v1/tokens", headers=_bearer(token),
                       json={"name": "short", "expires_at": (utcnow() + timedelta(hours=1)).isoformat()})
    assert made.status_code == 201
    short = made.get_json()["token"]
    assert client.get("/api/v1/tokens", headers=_bearer(short)).status_code == 200
    app.extensions["tenfour"].clock = lambda: utcnow() + timedelta(hours=2)
    expired = client.get("/api/v1/tokens", headers=_bearer(short))
    assert expired.status_code == 401 and "expired" in expired.get_json()["error"]["message"]
    revoked = client.post(f"/api/v1/tokens/{made.get_json()['id']}/revoke", headers=_bearer(token))
    assert revoked.get_json()["revoked_at"]


def test_admin_changes_the_agency_name_and_time_zone(client, factory, db):
    from content_queue.models import Agency

    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    page = client.get("/admin/agency").get_data(as_text=True)
    assert "Approval rules" in page and "On-duty contact" in page and "guard" in page
    bad = _form(client, "/admin/agency", {"name": "Metro 911", "timezone": "Mars/Base"},
                "/admin/agency")
    assert bad.status_code == 422
    ok = _form(client, "/admin/agency", {"name": "Metro 911 Communications",
                                         "timezone": "America/Denver"}, "/admin/agency")
    assert ok.status_code == 302
    with db.session_scope(write=False) as s:
        assert s.get(Agency, admin.agency_id).timezone == "America/Denver"
