"""The admin pages through Flask's test client, with CSRF on as in production."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from content_queue.accounts import mark_reconnect_needed
from content_queue.models import Campaign, Post, PostTarget, SocialAccount, User
from content_queue.services import queue_post
from content_queue.states import Status
from content_queue.timeutil import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    local_to_utc,
)
from content_queue.transitions import transition
from tests.integration.helpers import X_CREDENTIALS, count_rows, utcnow
from tests.integration.web_client import CSRF_RE, FormClient
from web import create_app

TZ = "America/Chicago"


@pytest.fixture
def app(app):
    assert app.config["WTF_CSRF_ENABLED"] is not False  # as in production
    return app


@pytest.fixture
def pages(client, factory):
    return FormClient(client, factory.password)


def make_post(db, user, account, *, text="Test post", hours=24, submit=True) -> int:
    with db.session_scope() as s:
        return queue_post(s, actor=s.get(User, user.id), text=text, account_ids=[account.id],
                          scheduled_at=utcnow() + timedelta(hours=hours), now=utcnow(),
                          submit=submit).id


def target_statuses(db, post_id: int) -> set[str]:
    with db.session_scope(write=False) as s:
        return set(s.scalars(select(PostTarget.status).where(PostTarget.post_id == post_id)))


def next_local_time(kind: type[Exception], clock: time) -> datetime:
    """The next wall time in TZ that is in a DST gap (or happens twice), as typed by a PIO."""
    for days in range(1, 800):
        candidate = datetime.combine(date.today() + timedelta(days=days), clock)
        try:
            local_to_utc(candidate, TZ)
        except kind:
            return candidate
        except (NonexistentLocalTime, AmbiguousLocalTime):
            pass
    raise AssertionError(f"no {kind.__name__} in {TZ} within two years")


def compose_data(account_ids, local: datetime, **extra) -> dict:
    return {"text": "Test post", "accounts": [str(i) for i in account_ids],
            "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"),
            "campaign": "", "action": "queue", **extra}


def in_a_week() -> datetime:
    return datetime.combine(date.today() + timedelta(days=7), time(10, 15))


# --- access ---------------------------------------------------------------------------------


def test_every_page_redirects_to_login_when_logged_out(client, factory, db):
    post_id = make_post(db, factory.user("admin"), factory.account())
    for path in ("/", "/posts", "/posts?status=scheduled", "/posts/new", f"/posts/{post_id}",
                 "/accounts", "/campaigns"):
        response = client.get(path)
        assert response.status_code == 302, path
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", path
        assert parse_qs(location.query)["next"] == [path], path
    assert client.get("/login").status_code == 200
    health = client.get("/healthz")  # for load balancers: no login
    assert health.status_code == 200 and health.get_json() == {"ok": True}

    # Forms too: a logged-out POST (even with a valid CSRF token) only leads to the login page.
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(f"/posts/{post_id}/cancel", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert target_statuses(db, post_id) == {"scheduled"}


def test_login_follows_only_same_site_next_and_logout_needs_post(pages, client, factory, db):
    user = factory.user("pio")
    refused = client.post("/login", data={"email": user.email, "password": "wrong password!",
                                          "csrf_token": pages.token()})
    assert "do not match" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302

    response = client.post("/login?next=/posts%3Fstatus%3Ddraft", data={
        "email": user.email.upper(), "password": factory.password, "csrf_token": pages.token()})
    assert response.headers["Location"] == "/posts?status=draft"
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405
    assert pages.submit("/logout").headers["Location"] == "/login"
    assert client.get("/").status_code == 302

    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example",
                 "javascript:alert(1)", "http:/evil.example"):
        response = client.post("/login", query_string={"next": evil}, data={
            "email": user.email, "password": factory.password, "csrf_token": pages.token()})
        assert response.headers["Location"] == "/", evil
        pages.submit("/logout")


def test_deactivated_user_is_logged_out_and_cannot_log_in(pages, client, factory, db):
    user = factory.user("pio")
    pages.login(user)
    with db.session_scope() as s:
        s.get(User, user.id).active = False
    assert client.get("/").status_code == 302
    response = client.post("/login", data={"email": user.email, "password": factory.password,
                                           "csrf_token": pages.token()})
    assert response.status_code == 200 and "do not match" in response.get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(pages, client, factory, db):
    user = factory.user("approver")
    account = factory.account()
    pages.login(user)
    data = compose_data([account.id], in_a_week(), text="Typed with care")
    for token in (None, "forged-token"):
        form = dict(data, **({"csrf_token": token} if token else {}))
        response = client.post("/posts/new", data=form)
        assert response.status_code == 400
        # Nothing saved, and the PIO's text comes back with a fresh token to try again.
        assert "Typed with care" in response.get_data(as_text=True)
        assert CSRF_RE.search(response.get_data(as_text=True))
    assert client.post("/campaigns", data={"name": "Spring"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
    assert count_rows(db, Post) == 0 and count_rows(db, Campaign) == 0


def test_security_headers_and_cookie_flags(pages, client, factory, settings, db):
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    user = factory.user("pio")
    login = client.post("/login", data={"email": user.email, "password": factory.password,
                                        "csrf_token": pages.token()})
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # SESSION_COOKIE_SECURE is off in the test settings
    secure_app = create_app(replace(settings, session_cookie_secure=True), db=db)
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True


# --- pages ----------------------------------------------------------------------------------


def test_user_text_is_escaped_on_every_page(pages, factory, db):
    user = factory.user("pio")
    post_id = make_post(db, user, factory.account(), text="<script>alert('pwned')</script> & <b>")
    pages.login(factory.user("approver"))
    for path in ("/", "/posts", f"/posts/{post_id}"):
        html = pages.text(path)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(" in html, path


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_every_page_renders_for_the_role(pages, factory, db, role):
    pio = factory.user("pio")
    account = factory.account("x", credentials=X_CREDENTIALS)
    post_id = make_post(db, pio, account)
    pages.login(factory.user(role))
    for path in ("/", "/posts", "/posts?status=awaiting_approval", f"/posts/{post_id}",
                 "/accounts", "/campaigns"):
        html = pages.text(path)
        assert "Sign out" in html and "America/Chicago" in html, path
    if role == "viewer":
        pages.text("/posts/new", 403)
        assert "/posts/new" not in pages.text("/")
        assert "Connect an account" not in pages.text("/accounts")
    else:
        assert "Connect an account" in pages.text("/accounts")
        compose = pages.text("/posts/new")
        assert 'id="platform-limits"' in compose and '"max_chars": 280' in compose
    pages.text("/posts/999999", 404)


def test_compose_queues_a_post_as_the_role_allows(pages, client, factory, db):
    account = factory.account()
    approver, pio = factory.user("approver"), factory.user("pio")

    pages.login(approver)
    response = pages.submit("/posts/new", compose_data([account.id], in_a_week()))
    assert response.status_code == 302
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert target_statuses(db, post_id) == {"scheduled"}
    with db.session_scope(write=False) as s:
        when = s.scalars(select(PostTarget.scheduled_at).where(PostTarget.post_id == post_id)).one()
    assert when == local_to_utc(in_a_week(), TZ)
    detail = pages.text(f"/posts/{post_id}")
    assert "Scheduled for" in detail and in_a_week().strftime("%H:%M") in detail
    pages.submit("/logout")

    pages.login(pio)
    response = pages.submit("/posts/new", compose_data([account.id], in_a_week()))
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert target_statuses(db, post_id) == {"awaiting_approval"}
    assert "awaiting approval" in pages.text(f"/posts/{post_id}")

    response = pages.submit("/posts/new", compose_data([account.id], in_a_week(), action="draft"))
    assert target_statuses(db, int(response.headers["Location"].rsplit("/", 1)[1])) == {"draft"}


def test_dst_gap_time_shows_the_error_and_keeps_the_typed_text(pages, factory, db):
    account = factory.account()
    pages.login(factory.user("approver"))
    gap = next_local_time(NonexistentLocalTime, time(2, 30))
    typed = "Tornado sirens are tested on the first Wednesday. Don't call 911 for the test."
    response = pages.submit("/posts/new", compose_data([account.id], gap, text=typed))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "does not exist in America/Chicago" in html
    assert "Tornado sirens are tested on the first Wednesday. Don&#39;t call 911" in html
    assert f'value="{gap:%Y-%m-%d}"' in html and 'value="02:30"' in html
    assert f'id="account-{account.id}" data-platform="sandbox" checked' in html
    assert count_rows(db, Post) == 0


def test_ambiguous_time_asks_which_one_then_uses_the_choice(pages, factory, db):
    account = factory.account()
    pages.login(factory.user("approver"))
    fold = next_local_time(AmbiguousLocalTime, time(1, 30))
    response = pages.submit("/posts/new", compose_data([account.id], fold))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "happens twice" in html and 'name="fold"' in html
    assert count_rows(db, Post) == 0

    response = pages.submit("/posts/new", compose_data([account.id], fold, fold="1"))
    assert response.status_code == 302
    with db.session_scope(write=False) as s:
        when = s.scalars(select(PostTarget.scheduled_at)).one()
    assert when == local_to_utc(fold, TZ, fold=1)
    assert when - local_to_utc(fold, TZ, fold=0) == timedelta(hours=1)


def test_refusals_show_next_to_fields_and_keep_the_text(pages, factory, db):
    x = factory.account("x", credentials=X_CREDENTIALS)
    pages.login(factory.user("approver"))
    too_long = "a" * 281
    response = pages.submit("/posts/new", compose_data([x.id], in_a_week(), text=too_long))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<ul class="field-error" id="text-error">\s*<li>.*X: the text is 281', html)
    assert 'aria-invalid="true"' in html and too_long in html

    for data, message in (
        (compose_data([], in_a_week(), text="No accounts chosen"), "Choose at least one account"),
        (compose_data([x.id], in_a_week(), text="   "), "Write the post"),
        (compose_data([x.id], in_a_week(), date=""), "Choose the date"),
        (compose_data([x.id], in_a_week(), time="25:99"), "Enter a time"),
        (compose_data([x.id], datetime(2001, 1, 1, 9, 0)), "already passed"),
    ):
        response = pages.submit("/posts/new", data)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True), message
        assert data["text"] in response.get_data(as_text=True)
    assert count_rows(db, Post) == 0


def test_queue_filters_by_status_and_paginates(pages, factory, db):
    approver, pio = factory.user("approver"), factory.user("pio")
    account = factory.account()
    for i in range(26):
        make_post(db, approver, account, text=f"Scheduled post number {i:02d}", hours=i + 1)
    make_post(db, pio, account, text="Waiting for a supervisor", hours=100)
    pages.login(approver)

    first = pages.text("/posts")
    assert "27 posts" in first and "Page 1 of 2" in first
    assert first.count('class="post-cell__text"') == 25
    second = pages.text("/posts?page=2")
    assert second.count('class="post-cell__text"') == 2
    waiting = pages.text("/posts?status=awaiting_approval")
    assert "Waiting for a supervisor" in waiting and "Scheduled post number" not in waiting
    assert "no status called" in pages.text("/posts?status=bogus")


def test_approval_buttons_follow_the_role(pages, factory, db):
    pio, approver = factory.user("pio"), factory.user("approver")
    post_id = make_post(db, pio, factory.account())

    pages.login(pio)
    html = pages.text(f"/posts/{post_id}")
    assert "Only an approver or an admin can approve" in html
    assert re.search(r"<button[^>]*disabled[^>]*>Approve</button>", html)
    response = pages.submit(f"/posts/{post_id}/approve")  # the server refuses it anyway
    assert response.status_code == 403
    assert "Only an approver or an admin can approve" in response.get_data(as_text=True)
    assert target_statuses(db, post_id) == {"awaiting_approval"}
    pages.submit("/logout")

    pages.login(approver)
    assert f'action="/posts/{post_id}/approve"' in pages.text(f"/posts/{post_id}")
    assert pages.submit(f"/posts/{post_id}/approve").status_code == 302
    assert target_statuses(db, post_id) == {"scheduled"}
    assert "Approved" in pages.text(f"/posts/{post_id}")


def test_send_back_reschedule_and_cancel_from_the_detail_page(pages, factory, db):
    pio, approver = factory.user("pio"), factory.user("approver")
    account = factory.account()
    post_id = make_post(db, pio, account)
    pages.login(approver)

    pages.submit(f"/posts/{post_id}/reject", {"reason": "Add the non-emergency number"})
    assert target_statuses(db, post_id) == {"draft"}
    assert "Add the non-emergency number" in pages.text(f"/posts/{post_id}")

    new_time = in_a_week() + timedelta(days=1)
    response = pages.submit(f"/posts/{post_id}/reschedule",
                            {"date": f"{new_time:%Y-%m-%d}", "time": f"{new_time:%H:%M}"})
    assert response.status_code == 302
    with db.session_scope(write=False) as s:
        assert s.scalars(select(PostTarget.scheduled_at)).one() == local_to_utc(new_time, TZ)

    gap = next_local_time(NonexistentLocalTime, time(2, 30))
    response = pages.submit(f"/posts/{post_id}/reschedule",
                            {"date": f"{gap:%Y-%m-%d}", "time": "02:30"})
    assert response.status_code == 422
    assert "does not exist" in response.get_data(as_text=True)

    pages.submit(f"/posts/{post_id}/cancel")
    assert target_statuses(db, post_id) == {"canceled"}


def test_approver_retries_a_failed_target(pages, factory, db):
    approver = factory.user("approver")
    post_id = make_post(db, approver, factory.account(), hours=0)
    with db.session_scope() as s:
        target = s.scalars(select(PostTarget)).one()
        transition(s, target, Status.PUBLISHING, actor_id=None, now=utcnow())
        transition(s, target, Status.FAILED, actor_id=None, now=utcnow(),
                   values={"last_error": "Sandbox @x: <b>server said no</b>",
                           "error_code": "permanent"})
        target_id = target.id
    pages.login(approver)
    html = pages.text(f"/posts/{post_id}")
    assert "&lt;b&gt;server said no&lt;/b&gt;" in html and "Retry @" in html
    pages.submit(f"/targets/{target_id}/retry", {"post_id": str(post_id)})
    assert target_statuses(db, post_id) == {"scheduled"}


def test_admin_connects_an_account_and_others_cannot(pages, client, factory, db, cipher):
    pages.login(factory.user("admin"))
    response = pages.submit("/accounts", {
        "platform": "bluesky", "handle": "@metro911.bsky.social", "display_name": "Metro 911",
        "api_base_url": "", "cred-bluesky-identifier": "metro911.bsky.social",
        "cred-bluesky-app_password": "abcd-efgh-ijkl-mnop", "cred-x-consumer_key": "ignored"})
    assert response.status_code == 302
    html = pages.text("/accounts")
    assert "@metro911.bsky.social" in html and "abcd-efgh" not in html
    with db.session_scope(write=False) as s:
        stored = s.scalars(select(SocialAccount)).one()
        assert cipher.decrypt(stored.credentials_encrypted) == {
            "identifier": "metro911.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}

    response = pages.submit("/accounts", {"platform": "x", "handle": "metro911",
                                          "cred-x-access_token": "only-one"})
    assert response.status_code == 422
    assert "X credentials need" in response.get_data(as_text=True)
    pages.submit("/logout")

    pages.login(factory.user("pio"))
    response = pages.submit("/accounts", {"platform": "sandbox", "handle": "sneaky",
                                          "cred-sandbox-access_token": "t"})
    assert response.status_code == 403
    assert count_rows(db, SocialAccount) == 1


def test_campaigns_are_created_from_the_form(pages, factory, db):
    pages.login(factory.user("pio"))
    response = pages.submit("/campaigns", {"name": "", "starts_on": "2031-04-01"})
    assert response.status_code == 422 and "Give the campaign a name" in response.get_data(as_text=True)
    response = pages.submit("/campaigns", {"name": "911 Education Month", "description": "April",
                                           "starts_on": "2031-04-01", "ends_on": "2031-04-30"})
    assert response.status_code == 302
    assert "911 Education Month" in pages.text("/campaigns")
    assert "911 Education Month" in pages.text("/posts/new")  # offered when composing
    assert count_rows(db, Campaign) == 1


def test_dashboard_shows_what_needs_attention(pages, factory, db):
    pio, approver = factory.user("pio"), factory.user("approver")
    account = factory.account()
    make_post(db, pio, account, text="Please approve me")
    make_post(db, approver, account, text="Coming up soon")
    with db.session_scope() as s:
        mark_reconnect_needed(s, s.get(SocialAccount, account.id), "Token revoked", now=utcnow())
    pages.login(approver)
    html = pages.text("/")
    assert "Please approve me" in html and "Coming up soon" in html
    assert "needs reconnecting" in html and "Token revoked" in html
    assert re.search(r'tile__count">1</span>\s*<span class="tile__label">awaiting approval', html)
    pages.submit("/logout")
    pages.login(pio)
    assert "Waiting for approval" not in pages.text("/")
