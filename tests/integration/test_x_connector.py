"""X-specific behaviour of the connector against the simulator (the contract suite covers the rest)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import tweepy

from connectors.x import XConnector, oauth_finish, oauth_start
from connectors.x_transport import map_error
from content_queue.platforms import count_x_weighted
from content_queue.ports import (
    AuthExpired,
    MediaItem,
    Permanent,
    PublishRequest,
    RateLimited,
    UnknownOutcome,
)
from simulator.platforms.x_text import weighted_length
from tests.integration.harnesses.base import make_image
from tests.integration.harnesses.x import CLIENT_ID, HANDLE, oauth2_credentials
from tests.integration.helpers import PageForm

REDIRECT_URI = "http://tenfour.test/accounts/x/callback"
OAUTH1 = {"consumer_key": "ck-tenfour", "consumer_secret": "cs-tenfour",
          "access_token": f"{HANDLE}-oauth1token", "access_token_secret": "ats-tenfour"}


def _connector(sim, credentials: dict) -> XConnector:
    return XConnector(handle=HANDLE, credentials=credentials, api_base_url=f"{sim.url}/x")


def _image(n: int) -> MediaItem:
    return MediaItem(make_image(color=(50 * n, 80, 120)), "image/png",
                     alt_text=f"Telecommunicator {n} wearing a headset at the console.",
                     filename=f"photo{n}.png")


def _writes(sim) -> list[dict]:
    return [r for r in sim.requests("x") if r["method"] == "POST"]


def _stored(sim, post_id: str) -> dict:
    return next(p for p in sim.posts("x") if p["id"] == post_id)


# -- text ------------------------------------------------------------------------------------

def test_emoji_heavy_text_under_280_code_points_is_refused_by_weight(sim) -> None:
    text = "Thank you, dispatchers! " + "\N{HEAVY BLACK HEART}\N{VARIATION SELECTOR-16}" * 5 \
        + "\N{POLICE CARS REVOLVING LIGHT}" * 130
    assert len(text) <= 280 < count_x_weighted(text)
    connector = _connector(sim, oauth2_credentials())
    problems = connector.check(PublishRequest(text=text))
    assert [p.rule for p in problems] == ["text_too_long"]
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest(text=text))
    assert "weighted characters" in err.value.message and err.value.message.startswith("X:")
    assert sim.requests("x") == []


@pytest.mark.parametrize("text", [
    "a" * 280, "\N{POLICE CARS REVOLVING LIGHT}" * 140, "緊急" * 70,
    "Read more: https://example.org/a/very/long/path/that/is/not/counted/in/full " + "x" * 200,
    "Our crew \N{WOMAN}\N{ZERO WIDTH JOINER}\N{FIRE ENGINE} and \N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}",
    "Flag \N{REGIONAL INDICATOR SYMBOL LETTER U}\N{REGIONAL INDICATOR SYMBOL LETTER S} – “quoted” — ok",
    "Visit metro911.gov/jobs & apply",
])
def test_the_simulator_counts_like_twitter_text(text: str) -> None:
    assert weighted_length(text) == count_x_weighted(text)


def test_the_simulator_itself_refuses_an_overweight_post(sim) -> None:
    token = oauth2_credentials()["access_token"]
    r = requests.post(f"{sim.url}/x/2/tweets", json={"text": "\N{FIRE ENGINE}" * 141},
                      headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert r.status_code == 400
    assert r.json()["title"] == "Invalid Request"
    assert "too long" in r.json()["errors"][0]["message"]
    assert sim.posts("x") == []


# -- auth ------------------------------------------------------------------------------------

def test_oauth1_user_keys_publish_with_signed_requests(sim) -> None:
    connector = _connector(sim, OAUTH1)
    result = connector.publish(PublishRequest(text="OAuth 1.0a post", media=[_image(1)]))
    assert _stored(sim, result.platform_post_id)["media"][0]["alt_text"] == _image(1).alt_text
    writes = _writes(sim)
    assert [w["path"] for w in writes] == ["/x/2/media/upload", "/x/2/media/metadata", "/x/2/tweets"]
    for w in writes:
        header = w["headers"]["Authorization"]
        assert header.startswith("OAuth ") and 'oauth_consumer_key="ck-tenfour"' in header
        assert f'oauth_token="{HANDLE}-oauth1token"' in header
    assert result.permalink == f"{sim.url}/x/{HANDLE}/status/{result.platform_post_id}"
    page = requests.get(result.permalink, timeout=5)
    assert page.status_code == 200 and "OAuth 1.0a post" in page.text
    assert connector.verify().handle == HANDLE
    assert connector.refreshed_credentials is None


def test_oauth2_token_publishes_with_a_bearer_header(sim) -> None:
    credentials = oauth2_credentials()
    result = _connector(sim, credentials).publish(PublishRequest(text="OAuth 2.0 post"))
    assert _stored(sim, result.platform_post_id)["text"] == "OAuth 2.0 post"
    (write,) = _writes(sim)
    assert write["headers"]["Authorization"] == f"Bearer {credentials['access_token']}"
    assert write["json"] == {"text": "OAuth 2.0 post"}


def test_an_expired_oauth2_token_is_refreshed_first_and_the_new_tokens_are_exposed(sim) -> None:
    credentials = {**oauth2_credentials(),
                   "expires_at": (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()}
    connector = _connector(sim, credentials)
    connector.publish(PublishRequest(text="Posted after a refresh"))
    fresh = connector.refreshed_credentials
    assert fresh is not None and set(fresh) == set(credentials)
    assert fresh["access_token"] != credentials["access_token"]
    assert fresh["refresh_token"] != credentials["refresh_token"]
    assert datetime.fromisoformat(fresh["expires_at"]) > datetime.now(timezone.utc) + timedelta(hours=1)
    token_call, post_call = _writes(sim)
    assert token_call["path"] == "/x/2/oauth2/token"
    assert token_call["form"]["grant_type"] == "refresh_token"
    assert post_call["headers"]["Authorization"] == f"Bearer {fresh['access_token']}"
    # X rotates refresh tokens: the old one is spent, the new one works.
    with pytest.raises(AuthExpired):
        _connector(sim, {**credentials, "expires_at": "2000-01-01T00:00:00+00:00"}).verify()
    assert _connector(sim, fresh).verify().handle == HANDLE


def test_a_401_is_refreshed_once_then_the_call_is_repeated(sim) -> None:
    credentials = oauth2_credentials(expires_in=-30)  # expired, but the connector can't tell
    connector = _connector(sim, credentials)
    result = connector.publish(PublishRequest(text="Posted after a 401"))
    assert [(w["path"], w["status"]) for w in _writes(sim)] == [
        ("/x/2/tweets", 401), ("/x/2/oauth2/token", 200), ("/x/2/tweets", 201)]
    assert connector.refreshed_credentials["access_token"] != credentials["access_token"]
    assert _stored(sim, result.platform_post_id)


def test_a_revoked_grant_cannot_be_refreshed(sim) -> None:
    credentials = oauth2_credentials()
    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "x", "token": credentials["access_token"]},
                  timeout=5).raise_for_status()
    connector = _connector(sim, credentials)
    with pytest.raises(AuthExpired):
        connector.publish(PublishRequest(text="Never posted"))
    assert [w["path"] for w in _writes(sim)] == ["/x/2/tweets", "/x/2/oauth2/token"]
    assert sim.posts("x") == []


# -- media, duplicates, threads ----------------------------------------------------------

def test_four_images_travel_with_alt_text_in_order(sim) -> None:
    media = [_image(n) for n in range(1, 5)]
    result = _connector(sim, oauth2_credentials()).publish(PublishRequest("Meet the team", media))
    stored = _stored(sim, result.platform_post_id)
    assert [m["alt_text"] for m in stored["media"]] == [m.alt_text for m in media]
    upload = next(w for w in _writes(sim) if w["path"] == "/x/2/media/upload")
    assert upload["form"]["media_category"] == "tweet_image"
    assert upload["files"][0]["field"] == "media"


def test_five_images_are_refused_before_any_request(sim) -> None:
    with pytest.raises(Permanent) as err:
        _connector(sim, oauth2_credentials()).publish(
            PublishRequest("Too many", [_image(n) for n in range(1, 6)]))
    assert err.value.reason == "too_many_images"
    assert sim.requests("x") == []


def test_a_duplicate_post_is_permanent_duplicate(sim) -> None:
    connector = _connector(sim, oauth2_credentials())
    connector.publish(PublishRequest(text="Happy Telecommunicators Week!"))
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest(text="Happy Telecommunicators Week!"))
    assert err.value.reason == "duplicate"
    assert _writes(sim)[-1]["status"] == 403
    assert len(sim.posts("x")) == 1


def test_a_thread_of_three_is_a_reply_chain(sim) -> None:
    connector = _connector(sim, oauth2_credentials())
    result = connector.publish(PublishRequest(
        text="1/3 What happens when you call 911?", thread=["2/3 We ask where.", "3/3 Then what."]))
    assert len(result.thread_post_ids) == 2
    chain = [result.platform_post_id, *result.thread_post_ids]
    stored = {p["id"]: p for p in sim.posts("x")}
    assert [stored[i]["reply_to_id"] for i in chain] == [None, chain[0], chain[1]]
    assert [w["json"].get("reply") for w in _writes(sim)] == [
        None, {"in_reply_to_tweet_id": chain[0]}, {"in_reply_to_tweet_id": chain[1]}]
    sim.advance(24 * 3600)
    replies = connector.fetch_replies(result.platform_post_id)
    assert replies and not {r.platform_reply_id for r in replies} & set(chain)
    assert all(r.author != HANDLE for r in replies)


def test_a_refused_thread_part_ends_the_chain_but_keeps_the_published_root(sim) -> None:
    connector = _connector(sim, oauth2_credentials())
    connector.publish(PublishRequest(text="Call 911 only for emergencies."))
    result = connector.publish(PublishRequest(
        text="A reminder for the weekend:", thread=["Call 911 only for emergencies.", "Thanks!"]))
    assert result.thread_post_ids == []
    assert _stored(sim, result.platform_post_id)["text"] == "A reminder for the weekend:"
    assert [w["status"] for w in _writes(sim)] == [201, 201, 403]


def test_an_overlong_thread_part_is_refused_before_any_request(sim) -> None:
    with pytest.raises(Permanent) as err:
        _connector(sim, oauth2_credentials()).publish(
            PublishRequest(text="Fine", thread=["\N{FIRE ENGINE}" * 141]))
    assert "post 2 of the thread" in err.value.message
    assert sim.requests("x") == []


# -- reading back ----------------------------------------------------------------------------

def test_reconciliation_sees_the_text_as_written_despite_tco_links(sim) -> None:
    text = "Tours & open house: https://metro911.example.org/tours <RSVP>"
    sim.fault("drop_after_accept", platform="x", path_contains="/2/tweets")
    connector = _connector(sim, oauth2_credentials())
    with pytest.raises(UnknownOutcome):
        connector.publish(PublishRequest(text=text, media=[_image(1)]))
    recent = connector.recent_posts(since=datetime.now(timezone.utc) - timedelta(minutes=5))
    assert [p.text for p in recent] == [text]
    raw = requests.get(f"{sim.url}/x/2/users/{connector._my_id()}/tweets",
                       headers={"Authorization": f"Bearer {oauth2_credentials()['access_token']}"},
                       timeout=5).json()["data"][0]["text"]
    assert "https://t.co/" in raw and "&amp;" in raw  # what X really answers


def test_metrics_count_quotes_as_reposts(sim) -> None:
    credentials = oauth2_credentials()
    connector = _connector(sim, credentials)
    post_id = connector.publish(PublishRequest(text="Metrics, please")).platform_post_id
    sim.advance(48 * 3600)
    (metrics,) = connector.fetch_metrics([post_id])
    raw = requests.get(f"{sim.url}/x/2/tweets", params={"ids": post_id, "tweet.fields": "public_metrics"},
                       headers={"Authorization": f"Bearer {credentials['access_token']}"},
                       timeout=5).json()["data"][0]["public_metrics"]
    assert raw["quote_count"] > 0
    assert metrics.reposts == raw["retweet_count"] + raw["quote_count"]
    assert (metrics.likes, metrics.replies, metrics.impressions) == (
        raw["like_count"], raw["reply_count"], raw["impression_count"])


def test_a_used_up_24_hour_cap_sets_the_retry_time_not_the_15_minute_window() -> None:
    now = int(datetime.now(timezone.utc).timestamp())
    response = requests.Response()
    response.status_code, response._content = 429, b'{"title": "Too Many Requests"}'
    response.headers.update({"x-rate-limit-reset": str(now + 60),
                             "x-user-limit-24hour-remaining": "0",
                             "x-user-limit-24hour-reset": str(now + 5 * 3600)})
    error = map_error(tweepy.TooManyRequests(response, reset_time=now + 60), sends_post=True)
    assert isinstance(error, RateLimited)
    assert error.retry_at == datetime.fromtimestamp(now + 5 * 3600, timezone.utc)


# -- connecting an account -------------------------------------------------------------------

def _consent(sim, url: str, decision: str) -> dict:
    """Drive the simulator's consent page as a browser would; return the callback params."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Authorize app" in page.text
    form = PageForm(page.text)
    answer = requests.post(f"{sim.url}{form.action}", data={**form.fields, "decision": decision},
                           allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = urlparse(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_the_oauth_connect_flow_links_an_account_that_can_post(sim) -> None:
    base = f"{sim.url}/x"
    client = {"client_id": CLIENT_ID}
    start = oauth_start(redirect_uri=REDIRECT_URI, api_base_url=base, client=client)
    query = parse_qs(urlparse(start.url).query)
    assert start.url.startswith(f"{base}/i/oauth2/authorize?")
    assert query["scope"] == ["tweet.read tweet.write users.read media.write offline.access"]
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [start.state]
    assert start.secrets["code_verifier"] not in start.url

    params = _consent(sim, start.url, "authorize")
    (account,) = oauth_finish(callback_params=params, start=start, redirect_uri=REDIRECT_URI,
                              api_base_url=base, client=client)
    assert (account.platform, account.handle) == ("x", HANDLE)
    assert set(account.credentials) == {"client_id", "access_token", "refresh_token", "expires_at"}
    assert account.token_expires_at > datetime.now(timezone.utc) + timedelta(hours=1)
    exchange = next(w for w in _writes(sim) if w["path"] == "/x/2/oauth2/token")
    assert exchange["form"]["code_verifier"] == start.secrets["code_verifier"]
    assert exchange["form"]["grant_type"] == "authorization_code"

    connector = _connector(sim, account.credentials)
    result = connector.publish(PublishRequest(text="Connected through OAuth", media=[_image(1)]))
    assert _stored(sim, result.platform_post_id)["media"][0]["alt_text"] == _image(1).alt_text
    # the code works once
    with pytest.raises(Permanent):
        oauth_finish(callback_params=params, start=start, redirect_uri=REDIRECT_URI,
                     api_base_url=base, client=client)


def test_a_confidential_client_sends_basic_auth_and_keeps_its_secret(sim) -> None:
    base = f"{sim.url}/x"
    client = {"client_id": CLIENT_ID, "client_secret": "app-secret"}
    start = oauth_start(redirect_uri=REDIRECT_URI, api_base_url=base, client=client)
    (account,) = oauth_finish(callback_params=_consent(sim, start.url, "authorize"), start=start,
                              redirect_uri=REDIRECT_URI, api_base_url=base, client=client)
    exchange = next(w for w in _writes(sim) if w["path"] == "/x/2/oauth2/token")
    assert exchange["headers"]["Authorization"].startswith("Basic ")
    assert account.credentials["client_secret"] == "app-secret"


def test_a_denied_or_mismatched_authorization_links_nothing(sim) -> None:
    base = f"{sim.url}/x"
    client = {"client_id": CLIENT_ID}
    start = oauth_start(redirect_uri=REDIRECT_URI, api_base_url=base, client=client)
    denied = _consent(sim, start.url, "cancel")
    assert denied["error"] == "access_denied"
    with pytest.raises(Permanent) as err:
        oauth_finish(callback_params=denied, start=start, redirect_uri=REDIRECT_URI,
                     api_base_url=base, client=client)
    assert err.value.reason == "oauth_denied"
    granted = _consent(sim, start.url, "authorize")
    with pytest.raises(Permanent) as err:
        oauth_finish(callback_params={**granted, "state": "forged"}, start=start,
                     redirect_uri=REDIRECT_URI, api_base_url=base, client=client)
    assert err.value.reason == "oauth_state"
    other = oauth_start(redirect_uri=REDIRECT_URI, api_base_url=base, client=client)
    with pytest.raises(Permanent):  # a verifier from another attempt fails PKCE
        oauth_finish(callback_params=granted, start=type(start)(start.url, start.state, other.secrets),
                     redirect_uri=REDIRECT_URI, api_base_url=base, client=client)


def test_without_an_override_the_browser_goes_to_x_com() -> None:
    start = oauth_start(redirect_uri=REDIRECT_URI, api_base_url=None, client={"client_id": "abc"})
    assert start.url.startswith("https://x.com/i/oauth2/authorize?")
