"""Facebook Pages: what the contract suite does not cover — the facebook-sdk version workaround,
link and multi-photo posts, the first comment, every Graph error family, Facebook Login."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import facebook
import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors import facebook as fb
from connectors.graph_common import GRAPH_API_VERSION
from content_queue.ports import (
    AuthExpired,
    MediaItem,
    Permanent,
    PublishRequest,
    RateLimited,
    Transient,
    UnknownOutcome,
)
from tests.integration.harnesses.base import make_image
from tests.integration.harnesses.facebook import PAGE_ID, authorize_like_a_browser, make_connector

CLIENT = {"app_id": "424242", "app_secret": "app-secret"}
REDIRECT = "http://tenfour.test/accounts/callback/facebook"


def _image(n: int) -> MediaItem:
    return MediaItem(make_image("image/png", color=(30 * n, 80, 120)), "image/png",
                     alt_text=f"Telecommunicator {n} wearing a headset at the console.",
                     filename=f"photo{n}.png")


def _writes(sim) -> list[dict]:
    return [r for r in sim.requests("facebook") if r["method"] == "POST"]


# -- facebook-sdk 3.1.0 and the Graph version --------------------------------------------------
def test_the_library_still_refuses_our_version_so_the_workaround_is_needed() -> None:
    """If this fails, facebook-sdk learned current versions: drop the override in make_graph."""
    assert GRAPH_API_VERSION.lstrip("v") not in facebook.VALID_API_VERSIONS
    with pytest.raises(facebook.GraphAPIError):
        facebook.GraphAPI(access_token="t", version=GRAPH_API_VERSION.lstrip("v"))


def test_our_graph_calls_our_version_on_the_accounts_host(sim) -> None:
    connector = make_connector(sim.url)
    assert connector.graph.version == GRAPH_API_VERSION
    info = connector.verify()
    assert (info.handle, info.display_name) == ("metro911", "Metro 911 Communications")
    last = sim.requests("facebook")[-1]
    assert last["path"] == f"/graph/{GRAPH_API_VERSION}/{PAGE_ID}"
    assert last["query"]["fields"] == "name,username,link"
    assert facebook.FACEBOOK_GRAPH_URL == "https://graph.facebook.com/"  # never mutated


def test_hosts_are_per_connector_and_safe_across_threads(sim) -> None:
    """Two connectors, two hosts, used at the same time: each request reaches its own host."""
    good = make_connector(sim.url)
    dead = fb.FacebookConnector(handle="other", credentials={"page_id": PAGE_ID, "page_access_token": "t"},
                                api_base_url="http://127.0.0.1:9/graph")
    outcomes: list[object] = []

    def run(connector) -> None:
        for _ in range(5):
            try:
                outcomes.append(connector.verify().handle)
            except Transient:
                outcomes.append("unreachable")

    threads = [threading.Thread(target=run, args=(c,)) for c in (good, dead, good)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["metro911", "unreachable"]
    assert outcomes.count("metro911") == 10
    assert len([r for r in sim.requests("facebook") if r["method"] == "GET"]) == 10


# -- publishing --------------------------------------------------------------------------------
def test_a_link_post_sends_the_link_for_its_card(sim) -> None:
    text = "Open house Saturday 10-2, tours every half hour: https://metro911.example.gov/openhouse"
    result = make_connector(sim.url).publish(PublishRequest(text))
    post = next(p for p in sim.posts("facebook") if p["id"] == result.platform_post_id)
    assert post["text"] == text
    assert post["extra"]["link"] == "https://metro911.example.gov/openhouse"
    assert _writes(sim)[0]["form"]["link"] == "https://metro911.example.gov/openhouse"
    assert result.permalink.startswith(sim.url + "/facebook/")


def test_three_photos_are_uploaded_unpublished_with_alt_text_then_attached(sim) -> None:
    media = [_image(1), _image(2), _image(3)]
    result = make_connector(sim.url).publish(PublishRequest("Meet the day shift.", media=media))
    uploads, feed_post = _writes(sim)[:3], _writes(sim)[3]
    assert [u["path"].endswith(f"/{PAGE_ID}/photos") for u in uploads] == [True] * 3
    assert [u["form"]["published"] for u in uploads] == ["false"] * 3
    assert [u["form"]["alt_text_custom"] for u in uploads] == [m.alt_text for m in media]
    assert feed_post["path"].endswith(f"/{PAGE_ID}/feed")
    attached = [json.loads(feed_post["form"][f"attached_media[{i}]"])["media_fbid"] for i in range(3)]
    post = next(p for p in sim.posts("facebook") if p["id"] == result.platform_post_id)
    assert [m["id"] for m in post["media"]] == attached
    assert [m["alt_text"] for m in post["media"]] == [m.alt_text for m in media]


def test_one_photo_is_a_published_photo_with_its_alt_text(sim) -> None:
    result = make_connector(sim.url).publish(PublishRequest("Our new console room.", media=[_image(1)]))
    (upload,) = _writes(sim)
    assert upload["form"]["published"] == "true" and upload["form"]["message"] == "Our new console room."
    post = next(p for p in sim.posts("facebook") if p["id"] == result.platform_post_id)
    assert [m["alt_text"] for m in post["media"]] == [_image(1).alt_text]


def test_the_thread_becomes_the_first_comment_by_the_page(sim) -> None:
    connector = make_connector(sim.url)
    result = connector.publish(PublishRequest("Hiring: telecommunicator trainees.",
                                              thread=["Apply by May 1 at metro911.example.gov/jobs"]))
    assert len(result.thread_post_ids) == 1
    comment = next(p for p in sim.posts("facebook") if p["id"] == result.thread_post_ids[0])
    assert comment["reply_to_id"] == result.platform_post_id
    assert comment["text"] == "Apply by May 1 at metro911.example.gov/jobs"
    sim.advance(24 * 3600)
    replies = connector.fetch_replies(result.platform_post_id)
    assert replies and result.thread_post_ids[0] not in {r.platform_reply_id for r in replies}


def test_a_failed_first_comment_does_not_fail_the_published_post(sim) -> None:
    sim.fault("server_error", platform="facebook", path_contains="/comments")
    result = make_connector(sim.url).publish(PublishRequest("Drill today at noon.", thread=["More soon."]))
    assert result.thread_post_ids == []
    assert [p["text"] for p in sim.posts("facebook")] == ["Drill today at noon."]


def test_metrics_are_batched_with_media_views_as_impressions(sim) -> None:
    connector = make_connector(sim.url)
    ids = [connector.publish(PublishRequest(f"Metrics {i}")).platform_post_id for i in range(3)]
    sim.advance(8 * 3600)
    before = len(sim.requests("facebook"))
    metrics = connector.fetch_metrics(ids)
    calls = sim.requests("facebook")[before:]
    assert [c["path"] for c in calls] == [f"/graph/{GRAPH_API_VERSION}/"] * 2
    assert calls[1]["query"]["fields"] == "insights.metric(post_media_view)"
    assert {m.platform_post_id for m in metrics} == set(ids)
    assert all(m.impressions is not None and m.impressions >= m.likes > 0 for m in metrics)


def test_recent_posts_respect_since(sim) -> None:
    connector = make_connector(sim.url)
    connector.publish(PublishRequest("Earlier post"))
    recent = connector.recent_posts(since=datetime.now(timezone.utc) + timedelta(minutes=1))
    assert recent == []
    assert [p.text for p in connector.recent_posts()] == ["Earlier post"]


# -- Graph errors, from the body ------------------------------------------------------------------
class Canned(HTTPAdapter):
    """Answers every request with one prepared response (as graph.facebook.com would)."""

    def __init__(self, status: int, body: dict | None, headers: dict[str, str] | None = None,
                 content_type: str | None = "application/json") -> None:
        super().__init__()
        self.status, self.body, self.headers, self.content_type = status, body, headers or {}, content_type
        self.seen: list[str] = []

    def send(self, request, **kwargs):  # type: ignore[override]
        self.seen.append(request.url)
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode() if self.body is not None else b""
        response.headers.update(self.headers)
        if self.content_type:
            response.headers["Content-Type"] = self.content_type
        response.url = request.url
        response.request = request
        return response


def _canned_connector(adapter: Canned) -> fb.FacebookConnector:
    session = requests.Session()
    session.mount("https://graph.facebook.com/", adapter)
    return fb.FacebookConnector(handle="metro911", credentials={"page_id": PAGE_ID, "page_access_token": "t"},
                                api_base_url=None, session=session)


def _error(code: int, message: str, subcode: int | None = None) -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(("status", "body", "expected", "reason"), [
    (400, _error(190, "Error validating access token: Session has expired", 463), AuthExpired, None),
    (403, _error(10, "(#10) Application does not have permission for this action"), Permanent, "permission"),
    (403, _error(200, "(#200) If posting to a page, requires both pages_read_engagement and "
                      "pages_manage_posts as an admin"), Permanent, "permission"),
    (400, _error(100, "(#100) Invalid parameter"), Permanent, "invalid_parameter"),
    (400, _error(368, "(#368) The action attempted has been deemed abusive or is otherwise disallowed"),
     Permanent, "blocked"),
    (400, _error(506, "(#506) Duplicate status message"), Permanent, "duplicate"),
    (500, _error(1, "An unknown error occurred"), Transient, None),
    (500, _error(2, "An unexpected error has occurred. Please retry your request later."), Transient, None),
])
def test_graph_error_families_map_to_the_taxonomy(status, body, expected, reason) -> None:
    adapter = Canned(status, body)
    with pytest.raises(expected) as err:
        _canned_connector(adapter).publish(PublishRequest("Hello"))
    assert err.value.message.startswith("Facebook")
    if reason:
        assert err.value.reason == reason
    assert adapter.seen[0].startswith(f"https://graph.facebook.com/{GRAPH_API_VERSION}/{PAGE_ID}/feed")


def test_a_permission_error_names_the_permission() -> None:
    adapter = Canned(403, _error(200, "(#200) If posting to a page, requires both pages_read_engagement "
                                      "and pages_manage_posts as an admin"))
    with pytest.raises(Permanent) as err:
        _canned_connector(adapter).publish(PublishRequest("Hello"))
    assert "pages_manage_posts" in err.value.message and "Reconnect" in err.value.message
    with pytest.raises(Permanent) as err:
        _canned_connector(Canned(403, _error(10, "(#10) Permission denied"))).publish(PublishRequest("Hi"))
    assert "pages_manage_posts" in err.value.message  # the permission a Page post needs


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_rate_limit_codes_wait_for_the_usage_headers_regain_time(code: int) -> None:
    usage = json.dumps({PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 40,
                                   "total_time": 60, "estimated_time_to_regain_access": 3}]})
    adapter = Canned(400, _error(code, "Too many calls"), headers={"X-Business-Use-Case-Usage": usage})
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as err:
        _canned_connector(adapter).publish(PublishRequest("Hello"))
    assert before + timedelta(minutes=3) <= err.value.retry_at <= before + timedelta(minutes=3, seconds=5)


def test_a_rate_limit_without_usage_headers_waits_five_minutes() -> None:
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as err:
        _canned_connector(Canned(400, _error(32, "Page request limit reached"))).publish(PublishRequest("Hi"))
    assert before + timedelta(minutes=5) <= err.value.retry_at <= before + timedelta(minutes=5, seconds=5)


def test_an_answer_without_content_type_is_transient() -> None:
    with pytest.raises(Transient):
        _canned_connector(Canned(502, None, content_type=None)).verify()
    with pytest.raises(Transient):
        _canned_connector(Canned(502, None, content_type=None)).publish(PublishRequest("Hello"))


def test_an_accepted_write_with_an_unreadable_answer_is_an_unknown_outcome() -> None:
    with pytest.raises(UnknownOutcome):
        _canned_connector(Canned(200, None, content_type=None)).publish(PublishRequest("Hello"))


def test_the_simulators_throttle_says_minutes_and_the_connector_uses_them(sim) -> None:
    sim.fault("rate_limit", platform="facebook", retry_after=150, path_contains="/feed")
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as err:
        make_connector(sim.url).publish(PublishRequest("Throttled"))
    # 150 s is "2 minutes" in X-Business-Use-Case-Usage, and Graph's minutes win over Retry-After.
    assert before + timedelta(seconds=119) <= err.value.retry_at <= before + timedelta(seconds=125)


def test_a_user_token_cannot_post_as_the_page(sim) -> None:
    connector = make_connector(sim.url, token="EAAUnot-a-page-token")
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest("Posted with the wrong token"))
    assert err.value.reason == "permission" and "pages_manage_posts" in err.value.message
    assert sim.posts("facebook") == []


# -- Facebook Login ---------------------------------------------------------------------------------
def _authorize(sim, start, decision: str = "continue") -> dict:
    return authorize_like_a_browser(sim.url, start, REDIRECT, decision)


def test_login_offers_each_page_and_its_instagram_account(sim) -> None:
    api = f"{sim.url}/graph"
    start = fb.oauth_start(redirect_uri=REDIRECT, api_base_url=api, client=CLIENT)
    query = parse_qs(urlparse(start.url).query)
    assert start.url.startswith(f"{api}/{GRAPH_API_VERSION}/dialog/oauth?")
    assert query["client_id"] == ["424242"] and query["state"] == [start.state]
    assert {"pages_manage_posts", "instagram_content_publish"} <= set(query["scope"][0].split(","))
    params = _authorize(sim, start)
    accounts = fb.oauth_finish(callback_params=params, start=start, redirect_uri=REDIRECT,
                               api_base_url=api, client=CLIENT)
    assert [(a.platform, a.handle) for a in accounts] == [
        ("facebook", "metro911"), ("instagram", "metro911"), ("facebook", "metro911jobs")]
    page, ig = accounts[0], accounts[1]
    assert page.credentials["page_id"] == PAGE_ID
    assert ig.credentials == {"ig_user_id": "17841400000000001",
                              "access_token": page.credentials["page_access_token"]}
    assert all(a.api_base_url == api for a in accounts)
    token_calls = [r for r in sim.requests("facebook") if r["path"].endswith("/oauth/access_token")]
    assert [c["query"].get("grant_type") for c in token_calls] == [None, "fb_exchange_token"]
    assert token_calls[0]["query"]["redirect_uri"] == REDIRECT
    connector = fb.build(handle=page.handle, credentials=page.credentials, api_base_url=api)
    assert connector.publish(PublishRequest("Connected!")).platform_post_id.startswith(PAGE_ID + "_")


def test_login_cancelled_or_forged_is_refused(sim) -> None:
    api = f"{sim.url}/graph"
    start = fb.oauth_start(redirect_uri=REDIRECT, api_base_url=api, client=CLIENT)
    params = _authorize(sim, start, decision="cancel")
    with pytest.raises(Permanent) as err:
        fb.oauth_finish(callback_params=params, start=start, redirect_uri=REDIRECT, api_base_url=api,
                        client=CLIENT)
    assert err.value.reason == "access_denied"
    params = _authorize(sim, start)
    with pytest.raises(Permanent) as err:
        fb.oauth_finish(callback_params={**params, "state": "forged"}, start=start, redirect_uri=REDIRECT,
                        api_base_url=api, client=CLIENT)
    assert err.value.reason == "state_mismatch"
    with pytest.raises(Permanent) as err:  # the code is bound to the redirect_uri of the dialog
        fb.oauth_finish(callback_params=params, start=start, redirect_uri=REDIRECT + "/other",
                        api_base_url=api, client=CLIENT)
    assert "redirect_uri" in err.value.message


def test_login_without_a_base_url_uses_facebooks_dialog() -> None:
    start = fb.oauth_start(redirect_uri=REDIRECT, api_base_url=None, client=CLIENT)
    assert re.match(rf"^https://www\.facebook\.com/{GRAPH_API_VERSION}/dialog/oauth\?", start.url)
