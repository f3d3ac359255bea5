"""Every route, every role (issue 11): each route of the URL map is walked as anonymous,
viewer, pio, approver, admin and owner, in a browser session and with an API token, and the
answer is compared with :data:`WHO_MAY` below. A route without an entry fails the test with its
name, so a new route cannot be added without deciding who may use it.

Adding a route: add ``("endpoint", "METHOD"): <who>`` to :data:`WHO_MAY`, where <who> is
``ANYONE`` (no sign-in), ``SIGNED_IN`` (every role), or a set of the roles allowed (e.g.
``WRITERS``, ``APPROVERS``, ``ADMINS``, ``OWNERS``). Pages are reached with the browser
session only and ``/api/v1`` routes with a token only; the test checks that too.

"Refused" is a 403, a 401 (API) or a redirect to the login page; anything else (200, a 302
elsewhere, 404 for an id that does not exist, 400/422 for the empty form the walk sends, 409)
means the role got past the role check.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.models import ApiToken, User
from content_queue.services import queue_post
from content_queue.users import create_api_token, create_user
from tests.conftest import utcnow
from tests.integration.web_client import CSRF_RE, login_client

ROLES = ("viewer", "pio", "approver", "admin", "owner")
ANYONE = frozenset({"anonymous", *ROLES})
SIGNED_IN = frozenset(ROLES)
WRITERS = frozenset({"pio", "approver", "admin", "owner"})
APPROVERS = frozenset({"approver", "admin"})
ADMINS = frozenset({"admin"})
OWNERS = frozenset({"owner"})
NOT_VIEWER_NOT_OWNER = frozenset({"pio", "approver", "admin"})

#: (endpoint, method) → the roles that get past the role check. Written from the routes present
#: at 20:21 UTC on 2 Dec 2026 (a walk printed them) and read through; tightened on 3 Dec 2026,
#: when every route that writes declared its roles with ``web.common.auth.roles_allowed``, which
#: refuses before the body, the form or an id in the URL is read. "-": nobody (logout answers
#: everyone with the login page). The writes still open to every signed-in role are a person's
#: own things: their password, tokens and notifications, and the guard's dry-run check.
WHO_MAY: dict[tuple[str, str], frozenset[str]] = {}  # filled below from TABLE_TEXT

TABLE_TEXT = """
accounts.callback                        GET    ADMINS
accounts.connect_choose                  GET    ADMINS
accounts.connect_form                    GET    ADMINS
accounts.connect_selected                POST   ADMINS
accounts.connect_start                   POST   ADMINS
accounts.create                          POST   ADMINS
accounts.credentials                     GET    ADMINS
accounts.credentials                     POST   ADMINS
accounts.disable                         POST   ADMINS
accounts.disable_confirm                 GET    ADMINS
accounts.enable                          POST   ADMINS
accounts.index                           GET    SIGNED_IN
accounts.reconnect                       POST   ADMINS
accounts.test                            POST   ADMINS
admin.agencies                           GET    OWNERS
admin.agencies_create                    POST   OWNERS
admin.agency_settings                    GET    ADMINS
admin.agency_settings                    POST   ADMINS
admin.delivery_settings                  GET    ADMINS
admin.delivery_settings                  POST   ADMINS
admin.delivery_test                      POST   ADMINS
admin.users                              GET    ADMINS
admin.users_active                       POST   ADMINS
admin.users_create                       POST   ADMINS
admin.users_reset_password               POST   ADMINS
admin.users_role                         POST   ADMINS
api.accounts                             GET    SIGNED_IN
api.approvals_queue                      GET    APPROVERS
api.approve                              POST   APPROVERS
api.calendar_events                      GET    SIGNED_IN
api.campaigns                            GET    SIGNED_IN
api.cancel                               POST   NOT_VIEWER_NOT_OWNER
api.cancel_whole_series                  POST   NOT_VIEWER_NOT_OWNER
api.change_post                          POST   NOT_VIEWER_NOT_OWNER
api.change_rules                         PUT    ADMINS
api.change_series                        PATCH  NOT_VIEWER_NOT_OWNER
api.change_template                      PUT    NOT_VIEWER_NOT_OWNER
api.confirm                              POST   NOT_VIEWER_NOT_OWNER
api.create_account                       POST   ADMINS
api.create_campaign_route                POST   NOT_VIEWER_NOT_OWNER
api.create_consent                       POST   NOT_VIEWER_NOT_OWNER
api.create_one_template                  POST   NOT_VIEWER_NOT_OWNER
api.create_post                          POST   NOT_VIEWER_NOT_OWNER
api.create_token_api                     POST   SIGNED_IN
api.create_user_api                      POST   ADMINS
api.delete_token_api                     DELETE SIGNED_IN
api.duplicate                            POST   NOT_VIEWER_NOT_OWNER
api.engagement_summary                   GET    SIGNED_IN
api.export_archive                       GET    ADMINS
api.export_csv                           GET    SIGNED_IN
api.get_user_api                         GET    ADMINS
api.guard_check                          POST   SIGNED_IN
api.hide_reply                           POST   APPROVERS
api.highlight_reply                      POST   APPROVERS
api.import_csv                           POST   NOT_VIEWER_NOT_OWNER
api.list_active_pauses                   GET    APPROVERS
api.list_all_posts                       GET    SIGNED_IN
api.list_all_templates                   GET    SIGNED_IN
api.list_consents                        GET    SIGNED_IN
api.list_feedback                        GET    SIGNED_IN
api.list_kits                            GET    SIGNED_IN
api.list_media                           GET    SIGNED_IN
api.list_my_notifications                GET    SIGNED_IN
api.list_tokens_api                      GET    SIGNED_IN
api.list_users_api                       GET    ADMINS
api.new_comment                          POST   NOT_VIEWER_NOT_OWNER
api.new_review_link                      POST   APPROVERS
api.openapi_document                     GET    ANYONE
api.patch_user_api                       PATCH  ADMINS
api.post_comments                        GET    SIGNED_IN
api.post_engagement                      GET    SIGNED_IN
api.post_guard                           GET    SIGNED_IN
api.post_guard_override                  POST   APPROVERS
api.post_versions                        GET    SIGNED_IN
api.read_campaign                        GET    SIGNED_IN
api.read_media                           GET    SIGNED_IN
api.read_notification                    POST   SIGNED_IN
api.read_post                            GET    SIGNED_IN
api.read_rules                           GET    SIGNED_IN
api.read_series                          GET    SIGNED_IN
api.read_slots                           GET    SIGNED_IN
api.read_template                        GET    SIGNED_IN
api.record_deletion                      POST   APPROVERS
api.reject                               POST   APPROVERS
api.remove_template                      DELETE NOT_VIEWER_NOT_OWNER
api.repost                               POST   NOT_VIEWER_NOT_OWNER
api.reschedule                           POST   NOT_VIEWER_NOT_OWNER
api.reset_password_api                   POST   ADMINS
api.resume                               POST   APPROVERS
api.revoke_review_link                   POST   APPROVERS
api.revoke_token_api                     POST   SIGNED_IN
api.start                                POST   NOT_VIEWER_NOT_OWNER
api.start_pause                          POST   APPROVERS
api.unhide_reply                         POST   APPROVERS
api.unhighlight_reply                    POST   APPROVERS
api.upload_media                         POST   NOT_VIEWER_NOT_OWNER
api.write_slots                          PUT    NOT_VIEWER_NOT_OWNER
approvals.comment                        POST   NOT_VIEWER_NOT_OWNER
approvals.decide_post                    POST   APPROVERS
approvals.edit                           GET    NOT_VIEWER_NOT_OWNER
approvals.edit                           POST   NOT_VIEWER_NOT_OWNER
approvals.make_link                      POST   APPROVERS
approvals.queue                          GET    APPROVERS
approvals.revoke                         POST   APPROVERS
approvals.rules                          GET    ADMINS
approvals.rules                          POST   ADMINS
archive.export                           POST   ADMINS
archive.index                            GET    ADMINS
archive.record_deletion                  POST   APPROVERS
auth.login                               GET    ANYONE
auth.login                               POST   ANYONE
auth.logout                              POST   -
briefing.show                            GET    SIGNED_IN
calendar.feed                            GET    ANYONE
calendar.feed_secret                     POST   APPROVERS
calendar.index                           GET    SIGNED_IN
calendar.move                            POST   NOT_VIEWER_NOT_OWNER
calendar.save_slots                      POST   NOT_VIEWER_NOT_OWNER
calendar.series                          GET    SIGNED_IN
calendar.series                          POST   NOT_VIEWER_NOT_OWNER
calendar.slots                           GET    SIGNED_IN
campaigns.create                         POST   WRITERS
campaigns.index                          GET    SIGNED_IN
compose.compose                          GET    WRITERS
compose.compose                          POST   WRITERS
compose.duplicate                        POST   WRITERS
compose.repeats                          POST   WRITERS
dashboard.index                          GET    SIGNED_IN
engagement.export_csv                    GET    admin,approver,pio,viewer
engagement.index                         GET    admin,approver,pio,viewer
engagement.post                          GET    admin,approver,pio,viewer
feedback.moderate                        POST   APPROVERS
feedback.on_duty                         GET    ADMINS
feedback.on_duty                         POST   ADMINS
feedback.wall                            GET    SIGNED_IN
guard.override                           POST   APPROVERS
guard.settings                           GET    SIGNED_IN
guard.settings                           POST   ADMINS
health.healthz                           GET    ANYONE
health.readyz                            GET    ANYONE
kits.campaign                            GET    SIGNED_IN
kits.index                               GET    SIGNED_IN
kits.record                              POST   WRITERS
kits.start                               POST   WRITERS
kits.start_form                          GET    SIGNED_IN
me.email_choices                         POST   SIGNED_IN
me.index                                 GET    SIGNED_IN
me.password                              POST   SIGNED_IN
me.tokens_create                         POST   SIGNED_IN
me.tokens_revoke                         POST   SIGNED_IN
media.file                               GET    SIGNED_IN
media.public_file                        GET    ANYONE
media_library.change_alt_text            POST   NOT_VIEWER_NOT_OWNER
media_library.index                      GET    SIGNED_IN
media_library.search_json                GET    SIGNED_IN
metrics.metrics                          GET    ANYONE
notifications.index                      GET    SIGNED_IN
notifications.read                       POST   SIGNED_IN
notifications.read_all                   POST   SIGNED_IN
pauses.index                             GET    SIGNED_IN
pauses.resume                            POST   APPROVERS
pauses.start                             POST   APPROVERS
posts.approve                            POST   APPROVERS
posts.cancel                             POST   NOT_VIEWER_NOT_OWNER
posts.confirm                            POST   NOT_VIEWER_NOT_OWNER
posts.detail                             GET    SIGNED_IN
posts.queue                              GET    SIGNED_IN
posts.reject                             POST   APPROVERS
posts.repost                             POST   NOT_VIEWER_NOT_OWNER
posts.reschedule                         POST   NOT_VIEWER_NOT_OWNER
posts.retry                              POST   APPROVERS
posts.submit                             POST   NOT_VIEWER_NOT_OWNER
review.decide                            POST   ANYONE
review.page                              GET    ANYONE
static                                   GET    ANYONE
sso.callback                             GET    ANYONE
sso.settings                             GET    ADMINS
sso.settings                             POST   ADMINS
sso.start                                GET    ANYONE
templates_lib.create                     POST   NOT_VIEWER_NOT_OWNER
templates_lib.delete                     POST   NOT_VIEWER_NOT_OWNER
templates_lib.edit                       GET    NOT_VIEWER_NOT_OWNER
templates_lib.edit                       POST   NOT_VIEWER_NOT_OWNER
templates_lib.export_page_csv            GET    SIGNED_IN
templates_lib.import_example             GET    SIGNED_IN
templates_lib.import_page                GET    NOT_VIEWER_NOT_OWNER
templates_lib.import_submit              POST   NOT_VIEWER_NOT_OWNER
templates_lib.index                      GET    SIGNED_IN
"""

def _parse_table(text: str) -> None:
    groups = {"ANYONE": ANYONE, "SIGNED_IN": SIGNED_IN, "WRITERS": WRITERS,
              "APPROVERS": APPROVERS, "ADMINS": ADMINS, "OWNERS": OWNERS,
              "NOT_VIEWER_NOT_OWNER": NOT_VIEWER_NOT_OWNER}
    for line in text.strip().splitlines():
        endpoint, method, who = line.split()
        WHO_MAY[(endpoint, method)] = (groups.get(who) or frozenset()
                                       if who == "-" or who in groups else frozenset(who.split(",")))


_parse_table(TABLE_TEXT)
NOT_IDS = {"platform", "kit_id", "secret", "token", "sig", "filename", "action"}
FILL = {"action": "hide", "platform": "sandbox", "kit_id": "npstw", "secret": "x",
        "token": "x", "sig": "x", "filename": "tenfour.css"}


@pytest.fixture
def people(factory, db):
    users = {role: factory.user(role) for role in ("viewer", "pio", "approver", "admin")}
    account = factory.account()
    now = utcnow()
    with db.session_scope() as s:
        agency_id = s.get(User, users["admin"].id).agency_id
        users["owner"] = create_user(s, agency_id=agency_id, email="owner@regional911.gov",
                                     role="owner", password=factory.password, now=now)
        victim = create_user(s, agency_id=agency_id, email="victim@metro911.gov", role="pio",
                             password=factory.password, now=now)
        post = queue_post(s, actor=s.get(User, users["pio"].id), text="Role walk post",
                          account_ids=[account.id], scheduled_at=now + timedelta(days=2),
                          now=now)
        create_api_token(s, victim, now=now, name="victim")
        ids = {"post_id": post.id, "target_id": post.targets[0].id, "account_id": account.id,
               "user_id": victim.id,
               "token_id": s.scalars(select(ApiToken.id).where(ApiToken.user_id == victim.id)).one()}
        tokens = {role: create_api_token(s, s.get(User, u.id), now=now, name="walk")
                  for role, u in users.items()}
    return users, tokens, ids


def _path(rule, ids: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = FILL.get(name) or str(ids.get(name, ids["post_id"]))
        path = re.sub(r"<(?:[^<>]+:)?%s>" % name, value, path)
    return path


def _refused(response, api: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    return (not api and response.status_code == 302
            and "/login" in response.headers.get("Location", ""))


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _walk(app, factory, users, tokens, ids):
    """{(endpoint, method): (roles allowed by session, roles allowed by token)}"""
    clients = {"anonymous": app.test_client()}
    for role in ROLES:
        clients[role] = app.test_client()
        login_client(clients[role], users[role].email, factory.password)
    csrf = {}
    for who, client in clients.items():
        csrf[who] = CSRF_RE.search(client.get("/login" if who == "anonymous" else "/me")
                                   .get_data(as_text=True)).group(1)
    seen = {}
    for rule, method in _routes(app):
        path = _path(rule, ids)
        api = rule.rule.startswith("/api/")
        by_session, by_token = set(), set()
        for who in ("anonymous", *ROLES):
            client = clients[who]
            form = {"csrf_token": csrf[who]}
            response = client.open(path, method=method, data=None if method == "GET" else form)
            if not _refused(response, api):
                by_session.add(who)
            if rule.endpoint == "auth.logout" and who != "anonymous":
                login_client(client, users[who].email, factory.password)
                csrf[who] = CSRF_RE.search(client.get("/me").get_data(as_text=True)).group(1)
            headers = {} if who == "anonymous" else {"Authorization": f"Bearer {tokens[who]}"}
            bare = app.test_client()
            response = bare.open(path, method=method, headers=headers,
                                 json={} if method != "GET" and api else None)
            # A page's form with no session: CSRF refuses it (400) before anything else.
            if not (_refused(response, api) or (not api and response.status_code == 400)):
                by_token.add(who)
        seen[(rule.endpoint, method)] = (frozenset(by_session), frozenset(by_token))
    return seen


def test_every_route_lets_exactly_the_roles_in_the_table(app, factory, people):
    users, tokens, ids = people
    seen = _walk(app, factory, users, tokens, ids)
    missing = sorted(f"{e} {m}" for e, m in seen if (e, m) not in WHO_MAY)
    assert not missing, ("routes without an entry in WHO_MAY (tests/integration/"
                         "test_people_role_routes.py); decide who may use them:\n"
                         + "\n".join(missing))
    wrong = []
    for (endpoint, method), (by_session, by_token) in seen.items():
        expected = WHO_MAY[(endpoint, method)]
        is_api = endpoint.startswith("api.")
        public = "anonymous" in expected
        want_session = expected if (not is_api or public) else frozenset()
        want_token = expected if (is_api or public) else frozenset({"anonymous"} & expected)
        if by_session != want_session:
            wrong.append(f"{method} {endpoint} (session): {sorted(by_session)} != {sorted(want_session)}")
        if by_token != want_token and not (public and not is_api):
            wrong.append(f"{method} {endpoint} (token): {sorted(by_token)} != {sorted(want_token)}")
    assert not wrong, "\n".join(wrong)

