"""Sessions that end on the server (issue 11): a cookie copied before logout, a password change
or a deactivation no longer reaches any page; sessions end after inactivity; a password change
revokes API tokens unless asked not to; cookies are HttpOnly and SameSite=Lax (Secure behind
HTTPS)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from content_queue.models import User
from content_queue.passwords import MAX_PASSWORD
from content_queue.users import set_active, set_password
from tests.conftest import utcnow
from tests.integration.web_client import CSRF_RE, FormClient, login_client
from web import create_app

NEW_PASSWORD = "violet tractor umbrella 7"


def _cookie(client) -> str:
    return client.get_cookie("tenfour_session").value


def _replay(app, cookie: str):
    other = app.test_client()
    other.set_cookie("tenfour_session", cookie)
    return other.get("/")


def _post_form(client, path: str, data: dict):
    token = CSRF_RE.search(client.get("/me").get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def test_a_cookie_replayed_after_logout_gets_the_login_page(app, client, factory):
    user = factory.user("pio")
    login_client(client, user.email, factory.password)
    copied = _cookie(client)
    assert _replay(app, copied).status_code == 200
    _post_form(client, "/logout", {})
    replayed = _replay(app, copied)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_a_password_change_ends_other_sessions_but_keeps_this_one(app, client, factory):
    user = factory.user("pio")
    login_client(client, user.email, factory.password)
    elsewhere = app.test_client()
    login_client(elsewhere, user.email, factory.password)
    copied = _cookie(elsewhere)
    response = _post_form(client, "/me/password", {
        "current_password": factory.password, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "revoke_tokens": "1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # the session that changed it goes on
    assert _replay(app, copied).status_code == 302
    assert elsewhere.get("/").status_code == 302


def test_deactivation_ends_the_session(app, client, factory, db):
    user = factory.user("pio")
    admin = factory.user("admin")
    login_client(client, user.email, factory.password)
    assert client.get("/").status_code == 200
    with db.session_scope() as s:
        set_active(s, s.get(User, user.id), False, actor=s.get(User, admin.id), now=utcnow())
    assert client.get("/").status_code == 302
    with db.session_scope() as s:  # reactivated: the old cookie still does not come back
        set_active(s, s.get(User, user.id), True, actor=s.get(User, admin.id), now=utcnow())
    assert client.get("/").status_code == 302


def test_a_password_change_revokes_api_tokens_unless_unticked(client, factory, db):
    user = factory.user("pio")
    token = factory.token(user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/posts", headers=headers).status_code == 200
    with db.session_scope() as s:
        set_password(s, s.get(User, user.id), NEW_PASSWORD, now=utcnow(), revoke_tokens=False)
    assert client.get("/api/v1/posts", headers=headers).status_code == 200
    with db.session_scope() as s:
        set_password(s, s.get(User, user.id), factory.password + " x", now=utcnow())
    refused = client.get("/api/v1/posts", headers=headers)
    assert refused.status_code == 401
    assert "revoked" in refused.get_json()["error"]["message"]


def test_the_own_page_password_change_revokes_tokens_by_default(client, factory):
    user = factory.user("pio")
    token = factory.token(user)
    login_client(client, user.email, factory.password)
    page = client.get("/me").get_data(as_text=True)
    assert 'name="revoke_tokens" value="1" checked' in page
    _post_form(client, "/me/password", {"current_password": factory.password,
                                        "new_password": NEW_PASSWORD,
                                        "confirm_password": NEW_PASSWORD, "revoke_tokens": "1"})
    assert client.get("/api/v1/posts",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_session_ends_after_the_idle_limit(settings, db, factory):
    app = create_app(replace(settings, session_idle_minutes=30), db=db)
    clock = {"now": utcnow()}
    app.extensions["tenfour"].clock = lambda: clock["now"]
    client = app.test_client()
    user = factory.user("pio")
    login_client(client, user.email, factory.password)
    clock["now"] += timedelta(minutes=29)
    assert client.get("/").status_code == 200  # activity keeps it alive
    clock["now"] += timedelta(minutes=29)
    assert client.get("/").status_code == 200
    clock["now"] += timedelta(minutes=31)
    idle = client.get("/")
    assert idle.status_code == 302 and "/login" in idle.headers["Location"]
    assert "without activity" in client.get("/login").get_data(as_text=True)


def test_the_idle_limit_defaults_to_a_shift(settings):
    assert settings.session_idle_minutes == 480
    app = create_app(settings)
    assert app.permanent_session_lifetime == timedelta(hours=8)


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(settings, db, factory, secure):
    app = create_app(replace(settings, session_cookie_secure=secure), db=db)
    client = app.test_client()
    user = factory.user("pio")
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": user.email, "password": factory.password,
                                           "csrf_token": CSRF_RE.search(page).group(1)})
    header = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("tenfour_session=")][-1]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert ("Secure" in header) is secure


def test_an_unknown_e_mail_checks_a_dummy_hash(client, factory, monkeypatch):
    """The same scrypt work as a wrong password (asserted by the call, not by timing)."""
    import content_queue.users as users

    calls = []
    real = users.spend_verify_time
    monkeypatch.setattr(users, "spend_verify_time", lambda p: (calls.append(p), real(p)))
    factory.user("pio")
    FormClient(client, "x").token()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "nobody@metro911.gov", "password": "a guess here",
                                "csrf_token": CSRF_RE.search(page).group(1)})
    assert calls == ["a guess here"]


def test_an_overlong_password_is_never_hashed(db, factory, monkeypatch):
    import content_queue.passwords as passwords
    from content_queue.users import authenticate

    user = factory.user("pio")
    monkeypatch.setattr(passwords.hashlib, "scrypt",
                        lambda *a, **k: pytest.fail("hashed a password over the cap"))
    with db.session_scope() as s:
        assert authenticate(s, user.email, "x" * (MAX_PASSWORD + 1), now=utcnow()) is None
        assert authenticate(s, "nobody@metro911.gov", "x" * (10 * 1024 * 1024),
                            now=utcnow()) is None
