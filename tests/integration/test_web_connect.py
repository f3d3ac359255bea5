"""Connecting accounts from the web pages, through the real linker and the simulator's consent
pages: the Flask test client plays the admin's browser on our side, ``requests`` on the
platform's side (open the consent page, press its button, follow the redirect back)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from content_queue.accounts import mark_reconnect_needed
from content_queue.models import PostTarget, SocialAccount, User
from content_queue.services import queue_post
from tenfour.wsgi import build_app
from tests.integration.helpers import PageForm
from tests.integration.web_client import FormClient
from web import create_app
from web.accounts.connect import FLOWS_KEY

HANDOFF_RE = re.compile(r'id="continue-link" href="([^"]+)"')
SEALED_RE = re.compile(r'name="candidates" value="([^"]+)"')
APP_PASSWORD = "abcd-efgh-ijkl-mnop"


def linked_settings(settings, sim, **clients):
    return replace(
        settings, simulator_url=sim.url,
        platform_api_base_urls={"x": f"{sim.url}/x", "facebook": f"{sim.url}/graph",
                                "instagram": f"{sim.url}/graph", "mastodon": f"{sim.url}/mastodon",
                                "bluesky": f"{sim.url}/bluesky"},
        oauth_clients=clients or {"x": {"client_id": "tenfour-test"},
                                  "facebook": {"app_id": "424242", "app_secret": "test-secret"}})


@pytest.fixture
def app(settings, db, sim):
    return build_app(linked_settings(settings, sim), db=db)


class Browser(FormClient):
    """The admin's browser on Tenfour's side, going through the connect flows."""

    def post(self, path: str, data: dict | None = None):
        return self.submit(path, data)

    def start(self, platform: str, data: dict | None = None) -> str:
        """Press "Connect"; returns the platform URL the hand-off page sends the browser to."""
        return self.handoff(self.post(f"/accounts/connect/{platform}", data))

    @staticmethod
    def handoff(response) -> str:
        page = response.get_data(as_text=True)
        assert response.status_code == 200, page
        match = HANDOFF_RE.search(page)
        assert match, page
        url = html.unescape(match.group(1))
        assert f'content="0; url={match.group(1)}"' in page  # the meta refresh goes there too
        return url

    def come_back(self, location: str):
        """Follow the platform's redirect back to Tenfour (the callback)."""
        parts = urlsplit(location)
        assert parts.netloc == "localhost", location
        return self.client.get(f"{parts.path}?{parts.query}")

    def flashes(self) -> str:
        return self.text("/accounts")


@pytest.fixture
def browser(app, factory):
    return Browser(app.test_client(), factory.password)


@pytest.fixture
def admin(browser, factory):
    user = factory.user("admin")
    browser.login(user)
    return user


def consent(url: str, decision: str, **fields: str) -> str:
    """What the admin does on the platform: open the consent page, press a button. Returns
    where the platform sends the browser back to."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200, page.text
    form = PageForm(page.text)
    answer = requests.post(urljoin(url, form.action), data={**form.fields, **fields, "decision": decision},
                           allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


def accounts(db) -> list[SocialAccount]:
    with db.session_scope(write=False) as s:
        return list(s.scalars(select(SocialAccount).order_by(SocialAccount.id)))


def connect_x(browser, username: str = "metro911"):
    location = consent(browser.start("x"), "authorize", username=username)
    return browser.come_back(location)


# --- X --------------------------------------------------------------------------------------


def test_x_connects_through_the_consent_page_with_encrypted_tokens(browser, admin, app, db, cipher, sim):
    url = browser.start("x")
    assert url.startswith(f"{sim.url}/x/i/oauth2/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == ["http://localhost/accounts/callback/x"]
    # The flow's secrets (the PKCE verifier) sit in the cookie only encrypted.
    with browser.client.session_transaction() as cookie_session:
        (sealed,) = cookie_session[FLOWS_KEY].values()
    verifier = cipher.decrypt(sealed)["secrets"]["code_verifier"]
    raw_cookie = browser.client.get_cookie("tenfour_session").value
    assert verifier not in raw_cookie and verifier not in sealed

    response = browser.come_back(consent(url, "authorize", username="metro911"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/accounts")
    (account,) = accounts(db)
    assert (account.platform, account.handle, account.status) == ("x", "metro911", "active")
    credentials = cipher.decrypt(account.credentials_encrypted)
    assert credentials["client_id"] == "tenfour-test" and credentials["refresh_token"]
    assert credentials["access_token"] not in account.credentials_encrypted
    assert account.api_base_url is None  # the configured default: not copied onto the account
    assert account.token_expires_at > datetime.now(timezone.utc) + timedelta(minutes=100)
    page = browser.flashes()
    assert "Connected X @metro911." in page and "Renews automatically" in page
    with browser.client.session_transaction() as cookie_session:
        assert cookie_session[FLOWS_KEY] == {}  # an answer is used once


def test_a_forged_answer_is_refused_and_the_real_one_still_works(browser, admin, db):
    location = consent(browser.start("x"), "authorize", username="metro911")
    forged = location.replace("state=", "state=forged")
    response = browser.come_back(forged)
    assert response.headers["Location"].endswith("/accounts/connect")
    assert "does not match a connection you started here" in browser.text("/accounts/connect")
    assert accounts(db) == []
    browser.come_back(location)
    assert [a.handle for a in accounts(db)] == ["metro911"]
    browser.come_back(location)  # replaying the answer connects nothing more
    assert "does not match" in browser.text("/accounts/connect") and len(accounts(db)) == 1


def test_cancelling_on_the_platform_changes_nothing(browser, admin, db):
    response = browser.come_back(consent(browser.start("x"), "cancel"))
    assert response.status_code == 302
    assert "You cancelled connecting the X account; nothing was changed." in browser.flashes()
    assert accounts(db) == []


def test_reconnect_replaces_the_tokens_of_the_same_account(browser, admin, db, cipher, factory):
    connect_x(browser)
    (account,) = accounts(db)
    old_token = cipher.decrypt(account.credentials_encrypted)["access_token"]
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, admin.id), text="Queued before the reconnect",
                          account_ids=[account.id], now=datetime.now(timezone.utc),
                          scheduled_at=datetime.now(timezone.utc) + timedelta(days=2))
        mark_reconnect_needed(s, s.get(SocialAccount, account.id), "X refused the token.",
                              now=datetime.now(timezone.utc))
        post_id = post.id
    page = browser.flashes()
    assert "1 account needs reconnecting." in page and "X refused the token." in page

    # Signing in as someone else does not swap the account.
    url = browser.handoff(browser.post(f"/accounts/{account.id}/reconnect"))
    browser.come_back(consent(url, "authorize", username="someone_else"))
    assert "you authorized @someone_else instead" in browser.flashes()
    assert accounts(db)[0].status == "reconnect_needed"

    url = browser.handoff(browser.post(f"/accounts/{account.id}/reconnect"))
    browser.come_back(consent(url, "authorize", username="metro911"))
    (again,) = accounts(db)
    assert again.id == account.id and again.status == "active" and again.status_detail == ""
    assert cipher.decrypt(again.credentials_encrypted)["access_token"] != old_token
    with db.session_scope(write=False) as s:
        (target,) = s.scalars(select(PostTarget).where(PostTarget.post_id == post_id))
        assert target.account_id == account.id and target.status == "scheduled"
    assert "Reconnected X @metro911." in browser.flashes()


# --- Facebook and Instagram -------------------------------------------------------------------


def test_facebook_offers_pages_and_instagram_and_connects_the_chosen(browser, admin, db, cipher):
    url = browser.start("facebook")
    response = browser.come_back(consent(url, "continue"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Metro 911 Communications" in page and "Metro 911 Recruiting" in page
    assert "platform-tag--instagram" in page and "@metro911" in page
    assert "page_access_token" not in page and "EAA" not in page  # tokens only sealed
    options = dict(re.findall(r'value="(\d+)" id="candidate-\d+"[^>]*>\s*<label[^>]*>\s*'
                              r'<span class="account-option__handle">([^<]+)<', page))
    assert len(options) == 3
    sealed = html.unescape(SEALED_RE.search(page).group(1))

    refused = browser.post("/accounts/connect/select", {"candidates": sealed})
    assert refused.status_code == 422 and "Choose at least one account" in refused.get_data(as_text=True)

    chosen = [n for n, label in options.items() if label in ("Metro 911 Communications", "@metro911")]
    response = browser.client.post("/accounts/connect/select", data={
        "candidates": sealed, "account": chosen, "csrf_token": browser.token("/")})
    assert response.status_code == 302
    rows = accounts(db)
    assert sorted((a.platform, a.handle, a.status) for a in rows) == [
        ("facebook", "metro911", "active"), ("instagram", "metro911", "active")]
    for row in rows:
        credentials = cipher.decrypt(row.credentials_encrypted)
        token = credentials.get("page_access_token") or credentials["access_token"]
        assert token not in row.credentials_encrypted
    assert "Connected Facebook @metro911 and Instagram @metro911." in browser.flashes()

    again = browser.client.post("/accounts/connect/select", data={
        "candidates": sealed, "account": chosen, "csrf_token": browser.token("/")})
    assert again.headers["Location"].endswith("/accounts/connect")  # a choice is used once
    assert len(accounts(db)) == 2


# --- Mastodon -------------------------------------------------------------------------------


def test_mastodon_asks_for_the_server_then_registers_an_app_there(browser, admin, db, cipher, sim):
    form = browser.text("/accounts/connect/mastodon")
    assert f'value="{sim.url}/mastodon"' in form  # the configured default, prefilled
    refused = browser.post("/accounts/connect/mastodon", {"instance": "not a server"})
    assert refused.status_code == 422 and "Give the server&#39;s address" in refused.get_data(as_text=True)

    url = browser.start("mastodon", {"instance": "@pio@Coastal.Mastodon.example/"})
    (registration,) = [r for r in sim.requests("mastodon") if r["path"] == "/mastodon/api/v1/apps"]
    assert registration["form"]["redirect_uris"] == "http://localhost/accounts/callback/mastodon"
    browser.come_back(consent(url, "approve", username="coastal_911"))
    (account,) = accounts(db)
    assert account.platform == "mastodon" and account.handle.startswith("coastal_911@")
    assert account.status == "active" and account.api_base_url is None
    credentials = cipher.decrypt(account.credentials_encrypted)
    assert credentials["instance_url"] == "https://coastal.mastodon.example"
    assert credentials["access_token"] not in account.credentials_encrypted


# --- Bluesky --------------------------------------------------------------------------------


def test_bluesky_app_password_is_checked_before_it_is_saved(browser, admin, db, cipher, sim):
    form = browser.text("/accounts/connect/bluesky")
    assert "App passwords" in form and 'type="password"' in form
    main_password = browser.post("/accounts/connect/bluesky", {"identifier": "metro911.bsky.social",
                                                               "app_password": "hunter2hunter2"})
    assert main_password.status_code == 422 and "never use the account" in main_password.get_data(as_text=True)

    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "bluesky", "token": "zzzz-zzzz-zzzz-zzzz"},
                  timeout=5).raise_for_status()
    wrong = browser.post("/accounts/connect/bluesky", {"identifier": "metro911.bsky.social",
                                                       "app_password": "zzzz-zzzz-zzzz-zzzz"})
    assert wrong.status_code == 422
    assert "Bluesky did not accept this handle and app password" in wrong.get_data(as_text=True)
    assert accounts(db) == []

    good = browser.post("/accounts/connect/bluesky", {"identifier": "@metro911.bsky.social",
                                                      "app_password": APP_PASSWORD})
    assert good.status_code == 302
    (account,) = accounts(db)
    assert (account.platform, account.handle, account.status) == ("bluesky", "metro911.bsky.social", "active")
    assert cipher.decrypt(account.credentials_encrypted) == {"identifier": "metro911.bsky.social",
                                                            "app_password": APP_PASSWORD}
    assert APP_PASSWORD not in account.credentials_encrypted


def test_test_connection_flags_a_revoked_password_and_reconnect_keeps_the_id(browser, admin, db, sim):
    browser.post("/accounts/connect/bluesky", {"identifier": "metro911.bsky.social", "app_password": APP_PASSWORD})
    (account,) = accounts(db)
    browser.post(f"/accounts/{account.id}/test")
    assert "Connected as @metro911.bsky.social." in browser.flashes()

    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "bluesky", "token": APP_PASSWORD},
                  timeout=5).raise_for_status()
    browser.post(f"/accounts/{account.id}/test")
    (flagged,) = accounts(db)
    assert flagged.status == "reconnect_needed" and "refused the app password" in flagged.status_detail
    page = browser.flashes()
    assert "1 account needs reconnecting." in page and "badge--reconnect_needed" in page
    assert "Needs reconnecting: new posts to it will fail." in page

    response = browser.post(f"/accounts/{account.id}/reconnect")
    assert response.status_code == 303
    form = browser.text(response.headers["Location"])
    assert 'value="metro911.bsky.social"' in form and f'name="account" value="{account.id}"' in form
    browser.post("/accounts/connect/bluesky", {"identifier": "metro911.bsky.social", "account": str(account.id),
                                               "app_password": "wxyz-wxyz-wxyz-wxyz"})
    (again,) = accounts(db)
    assert again.id == account.id and again.status == "active"
    assert "Reconnected Bluesky @metro911.bsky.social." in browser.flashes()


def test_test_connection_that_cannot_reach_the_platform_changes_nothing(browser, admin, db, factory):
    account = factory.account("bluesky", handle="metro911.bsky.social", api_base_url="http://127.0.0.1:9",
                              credentials={"identifier": "metro911.bsky.social", "app_password": APP_PASSWORD})
    browser.post(f"/accounts/{account.id}/test")
    assert "Could not check Bluesky @metro911.bsky.social:" in browser.flashes()
    assert accounts(db)[0].status == "active"


# --- who may, and what is shown -------------------------------------------------------------


def test_only_admins_connect_test_reconnect_or_disable(browser, factory, db):
    account = factory.account("sandbox", handle="metro911")
    browser.login(factory.user("pio"))
    page = browser.text("/accounts")
    assert "Test connection" not in page and "Reconnect" not in page and "/accounts/connect" not in page
    browser.text("/accounts/connect", 403)
    browser.text("/accounts/connect/bluesky", 403)
    browser.text("/accounts/callback/x?state=s&code=c", 403)
    browser.text(f"/accounts/{account.id}/disable", 403)
    for path in ("/accounts/connect/x", "/accounts/connect/bluesky", "/accounts/connect/select",
                 f"/accounts/{account.id}/test", f"/accounts/{account.id}/reconnect",
                 f"/accounts/{account.id}/disable", f"/accounts/{account.id}/credentials"):
        assert browser.post(path).status_code == 403, path
    assert accounts(db)[0].status == "active"


def test_disabling_keeps_the_account_and_cancels_what_was_queued(browser, admin, db, factory):
    account = factory.account("sandbox", handle="metro911")
    with db.session_scope() as s:
        queue_post(s, actor=s.get(User, admin.id), text="Queued", account_ids=[account.id],
                   now=datetime.now(timezone.utc), scheduled_at=datetime.now(timezone.utc) + timedelta(days=1))
    confirm = browser.text(f"/accounts/{account.id}/disable")
    assert "1 post queued to it" in confirm
    browser.post(f"/accounts/{account.id}/disable")
    (row,) = accounts(db)
    assert row.status == "disabled"
    with db.session_scope(write=False) as s:
        assert [t.status for t in s.scalars(select(PostTarget))] == ["canceled"]
    page = browser.flashes()
    assert "Disabled Sandbox @metro911. 1 post queued to it was canceled." in page
    assert "badge--disabled" in page and "Test and enable" in page
    browser.post(f"/accounts/{account.id}/enable")
    assert "The account is enabled again." in browser.flashes()
    assert accounts(db)[0].status == "active"


def test_reconnect_by_hand_replaces_the_credentials_of_the_same_row(browser, admin, db, cipher, factory):
    account = factory.account("sandbox", handle="metro911", credentials={"access_token": "old-token"})
    response = browser.post(f"/accounts/{account.id}/reconnect")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/accounts/{account.id}/credentials")
    empty = browser.post(f"/accounts/{account.id}/credentials", {"cred-sandbox-access_token": ""})
    assert empty.status_code == 422 and "Sandbox credentials need" in empty.get_data(as_text=True)
    browser.post(f"/accounts/{account.id}/credentials", {"cred-sandbox-access_token": "new-token"})
    (row,) = accounts(db)
    assert row.id == account.id and cipher.decrypt(row.credentials_encrypted) == {"access_token": "new-token"}
    assert "Reconnected Sandbox @metro911 with the new credentials." in browser.flashes()


def test_token_expiry_is_shown_with_a_warning_a_week_ahead(browser, admin, db, factory):
    soon = factory.account("facebook", handle="metro911", credentials={"page_id": "1", "page_access_token": "t"})
    later = factory.account("facebook", handle="metro911jobs", credentials={"page_id": "2", "page_access_token": "t"})
    with db.session_scope() as s:
        s.get(SocialAccount, soon.id).token_expires_at = datetime.now(timezone.utc) + timedelta(days=3, hours=1)
        s.get(SocialAccount, later.id).token_expires_at = datetime.now(timezone.utc) + timedelta(days=30)
    page = browser.flashes()
    row = page.split(f'id="account-{soon.id}"')[1].split("</tr>")[0]
    assert "Expires in 3 days: it must be reconnected before then." in row and ("CST" in row or "CDT" in row)
    other = page.split(f'id="account-{later.id}"')[1].split("</tr>")[0]
    assert "Expires in" not in other and "account-expiry--ok" in other


def test_missing_oauth_app_settings_are_named_instead_of_failing(settings, db, sim, factory):
    app = build_app(linked_settings(settings, sim, mastodon={"client_name": "Tenfour"}), db=db)
    browser = Browser(app.test_client(), factory.password)
    browser.login(factory.user("admin"))
    page = browser.text("/accounts/connect")
    assert "Set X_CLIENT_ID in Tenfour" in page
    assert "Set FACEBOOK_APP_ID and FACEBOOK_APP_SECRET in Tenfour" in page
    response = browser.post("/accounts/connect/x")
    assert response.status_code == 302
    assert "X_CLIENT_ID" in browser.text("/accounts/connect")
    assert 'action="/accounts/connect/x"' not in page and "Connect a Mastodon account" in page


def test_without_a_linker_only_manual_registration_is_offered(settings, db, factory):
    app = create_app(settings, db=db)
    browser = Browser(app.test_client(), factory.password)
    browser.login(factory.user("admin"))
    factory.account("sandbox", handle="metro911")
    page = browser.text("/accounts")
    assert "Test connection" not in page and 'href="/accounts/connect"' not in page
    assert "accounts are registered manually" in page
    assert "Manual registration only" in browser.text("/accounts/connect")
    response = browser.post("/accounts/connect/x")
    assert response.status_code == 302 and "register accounts manually" in browser.flashes()
