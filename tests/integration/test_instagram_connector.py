"""Instagram: container publishing with images Instagram downloads itself, carousels, polling,
the caption rules checked before any request, the 50-a-day limit, metrics and login."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors import instagram as ig
from connectors.graph_common import GRAPH_API_VERSION
from content_queue.ports import AuthExpired, MediaItem, Permanent, PublishRequest, RateLimited, Transient
from simulator.state import StoredPost, utc_now
from tests.integration.harnesses.base import make_image
from tests.integration.harnesses.facebook import authorize_like_a_browser
from tests.integration.harnesses.facebook import make_connector as facebook_connector
from tests.integration.harnesses.instagram import IG_USER_ID, make_connector, media_server

ROOT = f"/graph/{GRAPH_API_VERSION}"
CLIENT = {"app_id": "424242", "app_secret": "app-secret"}
REDIRECT = "http://tenfour.test/accounts/callback/instagram"


def _jpeg(n: int, **kw) -> MediaItem:
    return MediaItem(make_image("image/jpeg", color=(20 * n, 120, 90)), "image/jpeg",
                     alt_text=f"Dispatcher {n} taking a call at night.", filename=f"p{n}.jpg", **kw)


def _calls(sim) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in sim.requests("instagram")]


def test_one_image_goes_container_status_publish_with_caption_and_alt_text(sim) -> None:
    item = _jpeg(1)
    result = make_connector(sim.url).publish(PublishRequest("Night shift, Metro 911. #NPSTW", media=[item]))
    log = sim.requests("instagram")
    create = log[0]
    assert (create["method"], create["path"]) == ("POST", f"{ROOT}/{IG_USER_ID}/media")
    assert create["form"]["caption"] == "Night shift, Metro 911. #NPSTW"
    assert create["form"]["alt_text"] == item.alt_text
    assert create["form"]["image_url"].startswith(media_server().base)
    publish = next(r for r in log if r["path"].endswith("/media_publish"))
    assert publish["form"]["creation_id"] == create_id(sim)
    post = next(p for p in sim.posts("instagram") if p["id"] == result.platform_post_id)
    assert post["text"] == "Night shift, Metro 911. #NPSTW"
    assert [m["alt_text"] for m in post["media"]] == [item.alt_text]
    assert result.permalink == f"{sim.url}/instagram/p/{result.platform_post_id}/"


def create_id(sim) -> str:
    """The id the simulator gave the first container (its answers are not logged)."""
    statuses = [r for r in sim.requests("instagram") if r["method"] == "GET" and "status_code" in
                r["query"].get("fields", "")]
    return statuses[0]["path"].rsplit("/", 1)[1]


def test_the_simulator_really_downloads_the_image(sim) -> None:
    server = media_server()
    item = _jpeg(7)
    url = server.host(item)
    server.fetched.clear()
    make_connector(sim.url).publish(PublishRequest("Fetched by URL", media=[item]))
    assert server.fetched == [url.removeprefix(server.base)]


def test_a_carousel_of_two_builds_items_then_the_album(sim) -> None:
    media = [_jpeg(1), _jpeg(2)]
    result = make_connector(sim.url).publish(PublishRequest("Two views of the floor.", media=media))
    creates = [r for r in sim.requests("instagram") if r["method"] == "POST" and r["path"].endswith("/media")]
    items, album = creates[:2], creates[2]
    assert [c["form"]["is_carousel_item"] for c in items] == ["true", "true"]
    assert [c["form"]["alt_text"] for c in items] == [m.alt_text for m in media]
    assert all("caption" not in c["form"] for c in items)
    assert album["form"]["media_type"] == "CAROUSEL" and album["form"]["caption"] == "Two views of the floor."
    assert len(album["form"]["children"].split(",")) == 2
    post = next(p for p in sim.posts("instagram") if p["id"] == result.platform_post_id)
    assert [m["alt_text"] for m in post["media"]] == [m.alt_text for m in media]
    assert post["extra"]["media_type"] == "CAROUSEL_ALBUM"


def test_publishing_waits_until_the_container_is_finished(sim) -> None:
    make_connector(sim.url).publish(PublishRequest("Polled", media=[_jpeg(1)]))
    calls = _calls(sim)
    publish_at = calls.index(("POST", f"{ROOT}/{IG_USER_ID}/media_publish"))
    polls = [c for c in calls[:publish_at] if c[0] == "GET"]
    assert len(polls) == 2  # IN_PROGRESS, then FINISHED


def test_polling_is_bounded_and_publishes_nothing_when_it_gives_up(sim) -> None:
    connector = make_connector(sim.url, poll_interval=0.05, poll_timeout=0.0)
    with pytest.raises(Transient) as err:
        connector.publish(PublishRequest("Never ready", media=[_jpeg(1)]))
    assert "still processing" in err.value.message
    assert sim.posts("instagram") == []
    assert not any(path.endswith("/media_publish") for _, path in _calls(sim))


@pytest.mark.parametrize(("text", "media", "rule"), [
    (" ".join(f"#tag{i}" for i in range(31)), "jpeg", "too_many_hashtags"),
    ("No picture this time.", None, "media_required"),
    ("A PNG", "png", "image_type"),
    ("x" * 2201, "jpeg", "text_too_long"),
])
def test_rules_refuse_before_any_request(sim, text, media, rule) -> None:
    items = {"jpeg": [_jpeg(1)], "png": [MediaItem(make_image("image/png"), "image/png", "A chart.")],
             None: []}[media]
    with pytest.raises(Permanent) as err:
        make_connector(sim.url).publish(PublishRequest(text, media=items))
    assert err.value.reason == rule and err.value.message.startswith("Instagram:")
    assert sim.requests("instagram") == []


def test_an_image_without_a_public_url_is_refused_before_any_request(sim) -> None:
    connector = make_connector(sim.url, media_host=None)
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest("No URL", media=[_jpeg(1)]))
    assert "public URL" in err.value.message and "PUBLIC_BASE_URL" in err.value.message
    assert sim.requests("instagram") == []


def test_a_media_item_url_is_used_as_given(sim) -> None:
    item = _jpeg(3)
    url = media_server().host(item)
    connector = make_connector(sim.url, media_host=None)
    connector.publish(PublishRequest("Given URL", media=[MediaItem(item.data, item.mime_type, item.alt_text,
                                                                   url=url)]))
    assert sim.requests("instagram")[0]["form"]["image_url"] == url


def test_a_loopback_url_is_refused_before_calling_the_real_instagram() -> None:
    class Refuse(HTTPAdapter):
        def send(self, request, **kwargs):  # type: ignore[override]
            raise AssertionError(f"no request expected, got {request.url}")

    session = requests.Session()
    session.mount("https://", Refuse())
    connector = ig.InstagramConnector(handle="metro911", credentials={"ig_user_id": IG_USER_ID,
                                                                      "access_token": "t"},
                                      api_base_url=None, session=session)
    item = _jpeg(1, url="http://127.0.0.1:5000/media/public/1/abc")
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest("Local URL", media=[item]))
    assert err.value.reason == "media_url_not_public" and "127.0.0.1" in err.value.message


def test_an_image_url_that_404s_is_permanent_and_names_the_url(sim) -> None:
    missing = media_server().base + "/m/not-there.jpg"
    connector = make_connector(sim.url, media_host=lambda item: missing)
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest("Broken link", media=[_jpeg(1)]))
    assert err.value.reason == "media_fetch_failed"
    assert missing in err.value.message and "publicly reachable" in err.value.message
    assert "/m/not-there.jpg" in media_server().fetched
    assert sim.posts("instagram") == []


def test_png_bytes_labelled_jpeg_are_refused_by_instagram(sim) -> None:
    fake = MediaItem(make_image("image/png"), "image/jpeg", "Looks like a JPEG, is a PNG.")
    with pytest.raises(Permanent) as err:
        make_connector(sim.url).publish(PublishRequest("Wrong bytes", media=[fake]))
    assert err.value.reason == "invalid_media" and "JPEG" in err.value.message


def test_the_51st_post_in_a_day_is_rate_limited(sim, simulator_server) -> None:
    state = simulator_server.state
    for i in range(50):
        state.add_post(StoredPost(platform="instagram", id=state.new_id(), handle=IG_USER_ID,
                                  text=f"earlier {i}", created_at=utc_now(), path="/instagram/p/x/",
                                  extra={"kind": "media"}))
    with pytest.raises(RateLimited) as err:
        make_connector(sim.url).publish(PublishRequest("Number 51", media=[_jpeg(1)]))
    assert "50 posts per 24 hours" in err.value.message
    assert err.value.retry_at is not None
    assert len(sim.posts("instagram")) == 50


def test_metrics_use_views_not_the_retired_impressions(sim) -> None:
    connector = make_connector(sim.url)
    ids = [connector.publish(PublishRequest(f"Metric {i}", media=[_jpeg(i)])).platform_post_id for i in (1, 2)]
    sim.advance(6 * 3600)
    metrics = {m.platform_post_id: m for m in connector.fetch_metrics(ids)}
    assert set(metrics) == set(ids)
    assert all(m.likes > 0 and m.impressions is not None and m.impressions >= m.likes for m in metrics.values())
    insight_calls = [r for r in sim.requests("instagram") if r["path"].endswith("/insights")]
    assert {c["query"]["metric"] for c in insight_calls} == {"views,shares"}
    batch = next(r for r in sim.requests("instagram") if r["path"] == f"{ROOT}/")
    assert batch["query"]["ids"] == ",".join(ids)


def test_replies_leave_out_the_accounts_own_comment(sim) -> None:
    connector = make_connector(sim.url)
    result = connector.publish(PublishRequest("Comment below", media=[_jpeg(1)], thread=["Link in bio."]))
    assert len(result.thread_post_ids) == 1
    sim.advance(24 * 3600)
    replies = connector.fetch_replies(result.platform_post_id)
    assert replies and all(r.author != "metro911" for r in replies)


def test_verify_names_the_account(sim) -> None:
    info = make_connector(sim.url).verify()
    assert info.handle == "metro911"
    assert sim.requests("instagram")[-1]["query"]["fields"] == "username,name"


def test_login_through_facebook_offers_the_instagram_account(sim) -> None:
    api = f"{sim.url}/graph"
    start = ig.oauth_start(redirect_uri=REDIRECT, api_base_url=api, client=CLIENT)
    params = authorize_like_a_browser(sim.url, start, REDIRECT)
    accounts = ig.oauth_finish(callback_params=params, start=start, redirect_uri=REDIRECT,
                               api_base_url=api, client=CLIENT)
    assert [(a.platform, a.handle) for a in accounts] == [("instagram", "metro911")]
    connector = ig.InstagramConnector(handle="metro911", credentials=accounts[0].credentials, api_base_url=api,
                                      media_host=media_server().host, poll_interval=0.01)
    result = connector.publish(PublishRequest("Linked through Facebook Login", media=[_jpeg(1)]))
    assert abs(result.published_at - utc_now()) < timedelta(minutes=1)


def test_a_token_revoked_on_instagram_stops_the_page_too(sim) -> None:
    """Instagram and its Page share the Page token: revoked once, refused by both."""
    sim.fault("revoke_token", platform="instagram", path_contains="/media_publish")
    with pytest.raises(AuthExpired):
        make_connector(sim.url).publish(PublishRequest("Revoked", media=[_jpeg(1)]))
    with pytest.raises(AuthExpired):
        facebook_connector(sim.url).verify()
