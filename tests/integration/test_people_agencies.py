"""Many agencies on one installation (issue 11): every query of a page or API request is
scoped to the signed-in user's agency in one place (content_queue.agencies), so every route of
the app and the API, walked from the URL map with another agency's ids, answers 404 (never a
success, never a 403 that would confirm the id exists), and no list shows the other agency's
rows. The CLI creates agencies and puts users in them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.agencies import agencies_usage, create_agency
from content_queue.approvals import add_comment
from content_queue.campaigns import CampaignInput, create_campaign
from content_queue.media import store_media
from content_queue.migrate import upgrade
from content_queue.models import Agency, ApiToken, User
from content_queue.notifications import notify
from content_queue.pauses import create_pause
from content_queue.post_templates import create_template
from content_queue.services import queue_post
from content_queue.users import create_api_token, create_user, find_user
from tests.conftest import utcnow
from tests.integration.helpers import png
from tests.integration.test_cli import tenfour
from tests.integration.web_client import CSRF_RE, login_client

SECRET = "AGENCY-A-ONLY text 5c1e"
#: Arguments that are not ids of an agency's rows; a rule with only these is not walked here.
NOT_IDS = {"platform", "kit_id", "secret", "token", "sig", "filename", "action"}
#: Routes reached without a session by a secret in the URL (review links, the ICS feed, signed
#: media): another agency's id with a made-up secret is refused like any wrong secret.
PUBLIC = {"review.page", "review.decide", "calendar.feed", "media.public_file", "static"}
FILL = {"action": "hide", "platform": "sandbox"}


@pytest.fixture
def two_agencies(factory, db, settings):
    """Agency A with one of most kinds of row (ids from A's users), agency B with an admin."""
    a_admin = factory.user("admin")
    a_pio = factory.user("pio")
    account = factory.account()
    now = utcnow()
    ids = {"account_id": account.id, "user_id": a_pio.id}
    with db.session_scope() as s:
        admin, pio = s.get(User, a_admin.id), s.get(User, a_pio.id)
        post = queue_post(s, actor=pio, text=SECRET, account_ids=[account.id],
                          scheduled_at=now + timedelta(days=2), now=now)
        ids.update(post_id=post.id, target_id=post.targets[0].id)
        ids["campaign_id"] = create_campaign(s, actor=admin, data=CampaignInput(name=SECRET),
                                             now=now).id
        ids["template_id"] = create_template(s, actor=admin, name=SECRET, text=SECRET, now=now).id
        ids["media_id"] = store_media(s, actor=admin, data=png(), filename="a.png",
                                      alt_text=SECRET, now=now).id
        ids["notification_id"] = notify(s, "post.failed", agency_id=admin.agency_id,
                                        subject=SECRET, body=SECRET, now=now,
                                        recipients=[admin.id])[0]
        ids["comment_id"] = add_comment(s, actor=admin, post_id=post.id, body=SECRET, now=now).id
        ids["pause_id"] = create_pause(s, actor=admin, agency_id=admin.agency_id, reason=SECRET,
                                       now=now, account_ids=[account.id]).id
        create_api_token(s, pio, now=now, name=SECRET)
        ids["token_id"] = s.scalars(select(ApiToken.id).where(ApiToken.user_id == pio.id)).first()
        b = create_agency(s, name="Other County 911", timezone_name="America/Denver", now=now)
        b_admin = create_user(s, agency_id=b.id, email="admin@othercounty911.gov", role="admin",
                              password=factory.password, now=now)
        b_token = create_api_token(s, b_admin, now=now, name="b")
        b_email = b_admin.email
    return ids, b_email, b_token


def _value(name: str, ids: dict) -> str:
    if name in FILL:
        return FILL[name]
    if name in ids:
        return str(ids[name])
    for key in ("reply_id", "series_id", "link_id"):
        if name == key:
            return "1"  # the first such row, if any, is A's (B has none)
    return str(ids["post_id"])


def _walked_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or not set(rule.arguments) - NOT_IDS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_answers_404_for_another_agencys_ids(app, client, two_agencies):
    ids, b_email, b_token = two_agencies
    login_client(client, b_email, "correct horse battery")
    csrf = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    api = app.test_client()
    wrong = []
    walked = 0
    for rule, method in _walked_rules(app):
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:[^:<>]+:)?%s>" % name, _value(name, ids), path)
        if path.startswith("/api/"):
            response = api.open(path, method=method, json={},
                                headers={"Authorization": f"Bearer {b_token}"})
        elif method == "GET":
            response = client.get(path)
        else:
            response = client.open(path, method=method, data={"csrf_token": csrf})
        walked += 1
        if response.status_code != 404:
            wrong.append(f"{method} {path} ({rule.endpoint}) answered {response.status_code}")
    assert walked > 60
    assert not wrong, "another agency's ids must answer 404:\n" + "\n".join(wrong)


def test_lists_and_pages_show_none_of_another_agencys_rows(app, client, two_agencies):
    ids, b_email, b_token = two_agencies
    login_client(client, b_email, "correct horse battery")
    api = app.test_client()
    leaked = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint in PUBLIC:
            continue
        if rule.rule.startswith("/api/"):
            response = api.get(rule.rule, headers={"Authorization": f"Bearer {b_token}"})
        else:
            response = client.get(rule.rule)
        if SECRET.encode() in response.get_data():
            leaked.append(f"GET {rule.rule} ({rule.endpoint})")
    assert not leaked, "another agency's text was shown by:\n" + "\n".join(leaked)


def test_the_scope_is_per_request_and_follows_the_user(app, two_agencies, factory):
    """The same statement, cached by SQLAlchemy, reads each user's own agency."""
    ids, b_email, b_token = two_agencies
    a_client, b_client = app.test_client(), app.test_client()
    a_admin = factory.user("admin")
    login_client(a_client, a_admin.email, factory.password)
    login_client(b_client, b_email, factory.password)
    for _ in range(2):
        assert a_client.get(f"/posts/{ids['post_id']}").status_code == 200
        assert b_client.get(f"/posts/{ids['post_id']}").status_code == 404


def test_counts_are_each_agencys_own(app, two_agencies, db):
    """The dashboard tiles and the list totals read the whole table only when the
    installation holds one agency; with two, each agency counts its own rows."""
    from content_queue.agencies import scope_session
    from content_queue.reading import status_counts
    ids, b_email, b_token = two_agencies
    api = app.test_client()
    listing = api.get("/api/v1/posts", headers={"Authorization": f"Bearer {b_token}"}).get_json()
    assert listing["total"] == 0 and listing["posts"] == []
    with db.session_scope(write=False) as s:
        b_id = s.scalars(select(User.agency_id).where(User.email == b_email)).one()
        a_id = s.scalars(select(Agency.id).where(Agency.id != b_id)).one()
        scope_session(s, b_id)
        assert sum(status_counts(s, b_id).values()) == 0
        scope_session(s, a_id)
        assert sum(status_counts(s, a_id).values()) == 1  # its one post's one target


def test_the_owner_sees_usage_across_agencies_and_creates_one(app, client, two_agencies,
                                                               factory, db):
    with db.session_scope() as s:
        first = s.scalars(select(Agency.id).order_by(Agency.id)).first()
        create_user(s, agency_id=first, email="owner@regional911.gov", role="owner",
                    password=factory.password, now=utcnow())
    login_client(client, "owner@regional911.gov", factory.password)
    page = client.get("/admin/agencies").get_data(as_text=True)
    assert "Metro 911" in page and "Other County 911" in page
    csrf = CSRF_RE.search(page).group(1)
    made = client.post("/admin/agencies", data={
        "csrf_token": csrf, "name": "Lake County 911", "timezone": "America/Chicago",
        "admin_email": "admin@lake911.gov"}).get_data(as_text=True)
    password = re.search(r'id="generated-password">([^<]+)<', made).group(1)
    lake = app.test_client()
    login_client(lake, "admin@lake911.gov", password)
    assert SECRET not in lake.get("/posts").get_data(as_text=True)
    with db.session_scope(write=False) as s:
        assert {row["name"] for row in agencies_usage(s)} >= {"Lake County 911", "Other County 911"}
    admin = factory.user("admin")
    other = app.test_client()
    login_client(other, admin.email, factory.password)
    assert other.get("/admin/agencies").status_code == 403


@pytest.fixture
def migrated(settings, db_url):
    upgrade(db_url)
    return settings


def test_cli_creates_an_agency_and_a_user_in_it(migrated, db):
    settings = migrated
    tenfour(settings, "users", "create", "--email", "first@metro911.gov", "--role", "pio")
    out = tenfour(settings, "agencies", "create", "--name", "Pine County 911", "--timezone",
                  "America/Denver").stdout
    agency_id = int(out.strip().splitlines()[-1])
    tenfour(settings, "users", "create", "--email", "chief@pine911.gov", "--role", "admin",
            "--agency", str(agency_id))
    tenfour(settings, "users", "create", "--email", "second@metro911.gov", "--role", "pio")
    with db.session_scope(write=False) as s:
        assert find_user(s, "chief@pine911.gov").agency_id == agency_id
        first = find_user(s, "first@metro911.gov").agency_id
        assert first != agency_id and find_user(s, "second@metro911.gov").agency_id == first
        assert s.get(Agency, agency_id).timezone == "America/Denver"
    bad = tenfour(settings, "agencies", "create", "--name", "X", "--timezone", "Mars/Base",
                  check=False)
    assert bad.returncode != 0 and "timezone" in bad.stderr
