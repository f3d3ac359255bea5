"""Mastodon-specific behaviour of the connector against the simulator, through Mastodon.py."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from connectors.mastodon import MastodonConnector, oauth_finish, oauth_start
from content_queue.ports import MediaItem, Permanent, PublishRequest, Transient
from tests.integration.harnesses.base import make_image
from tests.integration.harnesses.mastodon import make_connector
from tests.integration.helpers import PageForm

REDIRECT = "http://tenfour.test/accounts/oauth/mastodon/callback"


def _image(n: int = 1, alt: str = "Dispatchers at their consoles.") -> MediaItem:
    return MediaItem(make_image(color=(30 * n, 80, 120)), "image/png", alt, f"photo{n}.png")


def _configure(sim, instance: str, **settings) -> None:
    requests.post(f"{sim.url}/mastodon/{instance}/_sim/instance", json=settings, timeout=5).raise_for_status()


def _writes(sim) -> list[dict]:
    return [r for r in sim.requests("mastodon") if r["method"] in ("POST", "PUT")]


def test_the_same_idempotency_key_twice_makes_one_status(sim) -> None:
    connector = make_connector(sim.url)
    request = PublishRequest(text="Open house at the 911 center on Saturday.", idempotency_key="tenfour-target-7")
    first = connector.publish(request)
    again = connector.publish(request)  # a worker retrying after a lost answer
    assert again.platform_post_id == first.platform_post_id
    assert [p["id"] for p in sim.posts("mastodon")] == [first.platform_post_id]
    posts = [r for r in _writes(sim) if r["path"].endswith("/api/v1/statuses")]
    assert [r["headers"].get("Idempotency-Key") for r in posts] == ["tenfour-target-7"] * 2
    assert posts[0]["form"]["visibility"] == "public"


def test_every_status_carries_an_idempotency_key_even_without_one(sim) -> None:
    make_connector(sim.url).publish(PublishRequest(text="No key given by the caller."))
    (post,) = [r for r in _writes(sim) if r["path"].endswith("/api/v1/statuses")]
    assert post["headers"].get("Idempotency-Key")


def test_the_text_limit_is_the_instance_own(sim) -> None:
    _configure(sim, "bigcounty", max_characters=1000)
    text = "Thank you, telecommunicators. " * 20  # 600 characters
    result = make_connector(sim.url, instance="bigcounty").publish(PublishRequest(text=text))
    assert result.platform_post_id

    small = make_connector(sim.url)  # the default instance keeps Mastodon's 500
    before = len(_writes(sim))
    with pytest.raises(Permanent) as err:
        small.publish(PublishRequest(text=text))
    assert "limit is 500" in err.value.message and err.value.message.startswith("Mastodon:")
    assert len(_writes(sim)) == before
    reads = [r["path"] for r in sim.requests("mastodon") if r["method"] == "GET"]
    assert "/mastodon/bigcounty/api/v2/instance/" in reads and "/mastodon/api/v2/instance/" in reads


def test_the_instance_refusal_is_permanent_with_its_message(sim) -> None:
    _configure(sim, "shrinking", max_characters=1000)
    connector = make_connector(sim.url, instance="shrinking")
    assert connector.check(PublishRequest(text="a" * 600)) == []  # reads and caches the 1,000 limit
    _configure(sim, "shrinking", max_characters=500)  # the admin lowers it meanwhile
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest(text="a" * 600))
    assert err.value.reason == "validation"
    assert "Text character limit of 500 exceeded" in err.value.message


def test_five_images_are_refused_before_any_request(sim) -> None:
    connector = make_connector(sim.url)
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest(text="Meet the team", media=[_image(n) for n in range(5)]))
    assert "5 images; the limit is 4" in err.value.message
    assert _writes(sim) == []


def test_a_1501_character_description_is_refused_before_any_request(sim) -> None:
    connector = make_connector(sim.url)
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest(text="Meet the team", media=[_image(alt="x" * 1501)]))
    assert err.value.reason == "alt_text_too_long" and "1500" in err.value.message
    assert _writes(sim) == []


def test_a_thread_is_a_chain_of_replies(sim) -> None:
    connector = make_connector(sim.url)
    result = connector.publish(PublishRequest(text="NPSTW starts today: a thread.", idempotency_key="t-1",
                                              thread=["Day 1: meet the night shift.", "Day 2: open house."]))
    stored = {p["id"]: p for p in sim.posts("mastodon")}
    first, second = result.thread_post_ids
    assert stored[first]["reply_to_id"] == result.platform_post_id
    assert stored[second]["reply_to_id"] == first
    assert [stored[i]["idempotency_key"] for i in (first, second)] == ["t-1:thread:1", "t-1:thread:2"]
    # the account's own thread parts are not "replies from the public"
    sim.advance(24 * 3600)
    assert all(r.platform_reply_id not in (first, second) for r in connector.fetch_replies(result.platform_post_id))


def test_media_still_processing_is_awaited_then_posted(sim) -> None:
    _configure(sim, "slowmedia", media_processing_seconds=0.4)
    connector = make_connector(sim.url, instance="slowmedia")
    result = connector.publish(PublishRequest(text="Our new consoles", media=[_image()]))
    log = [(r["method"], r["path"], r["status"]) for r in sim.requests("mastodon")]
    upload = next(e for e in log if e[1].endswith("/api/v2/media"))
    polls = [e[2] for e in log if "/api/v1/media/" in e[1]]
    assert upload[2] == 202
    assert polls[0] == 206 and polls[-1] == 200
    (post,) = [p for p in sim.posts("mastodon") if p["id"] == result.platform_post_id]
    assert [m["alt_text"] for m in post["media"]] == ["Dispatchers at their consoles."]


def test_the_simulator_refuses_media_that_is_still_processing(sim) -> None:
    _configure(sim, "slowmedia", media_processing_seconds=30)
    base, auth = f"{sim.url}/mastodon/slowmedia", {"Authorization": "Bearer t"}
    media = requests.post(f"{base}/api/v2/media", headers=auth, timeout=5,
                          files={"file": ("a.png", make_image(), "image/png")}, data={"description": "alt"})
    assert media.status_code == 202 and media.json()["url"] is None
    status = requests.post(f"{base}/api/v1/statuses", headers=auth, timeout=5,
                           data={"status": "too soon", "media_ids[]": media.json()["id"]})
    assert status.status_code == 422
    assert status.json() == {"error": "Cannot attach files that have not finished processing. Try again in a moment!"}


def _consent(sim, url: str, **choices: str) -> requests.Response:
    """What the PIO's browser does: open the consent page, press a button, get redirected."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Authorize" in page.text
    form = PageForm(page.text)
    return requests.post(sim.url + form.action, data={**form.fields, **choices}, allow_redirects=False, timeout=5)


def test_connecting_an_account_registers_an_app_on_its_instance(sim) -> None:
    base = f"{sim.url}/mastodon/coastal"
    start = oauth_start(redirect_uri=REDIRECT, api_base_url=base, client={}, instance_url="coastal.mastodon.example")
    (app,) = [r for r in sim.requests("mastodon") if r["path"] == "/mastodon/coastal/api/v1/apps"]
    assert app["form"] == {"client_name": "Tenfour", "scopes": "read write", "redirect_uris": REDIRECT}
    assert start.secrets["client_id"] and start.secrets["client_secret"]
    assert start.url.startswith(f"{base}/oauth/authorize?")
    assert parse_qs(urlparse(start.url).query)["state"] == [start.state]

    answer = _consent(sim, start.url, username="coastal_911", decision="approve")
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT + "?")
    callback = {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}
    assert callback["state"] == start.state

    (linked,) = oauth_finish(callback_params=callback, start=start, redirect_uri=REDIRECT,
                             api_base_url=base, client={})
    assert linked.handle == "coastal_911@coastal.mastodon.example"
    assert linked.api_base_url == base
    assert set(linked.credentials) == {"instance_url", "access_token"}
    assert linked.credentials["instance_url"] == "https://coastal.mastodon.example"

    connector = MastodonConnector(handle=linked.handle, credentials=linked.credentials, api_base_url=base)
    assert connector.verify().handle == "coastal_911@coastal.mastodon.example"
    with pytest.raises(Permanent):  # an authorization code works once
        oauth_finish(callback_params=callback, start=start, redirect_uri=REDIRECT, api_base_url=base, client={})


def test_an_app_of_one_instance_is_unknown_on_another(sim) -> None:
    start = oauth_start(redirect_uri=REDIRECT, api_base_url=f"{sim.url}/mastodon/coastal", client={})
    elsewhere = start.url.replace("/mastodon/coastal/", "/mastodon/inland/")
    page = requests.get(elsewhere, timeout=5)
    assert page.status_code == 400 and "unknown client" in page.text


def test_declining_on_the_consent_page_is_permanent(sim) -> None:
    base = f"{sim.url}/mastodon"
    start = oauth_start(redirect_uri=REDIRECT, api_base_url=base, client={"client_name": "Tenfour Metro"})
    answer = _consent(sim, start.url, decision="deny")
    callback = {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}
    assert callback["error"] == "access_denied"
    with pytest.raises(Permanent) as err:
        oauth_finish(callback_params=callback, start=start, redirect_uri=REDIRECT, api_base_url=base, client={})
    assert err.value.reason == "access_denied"
    assert re.search(r"not authorized", err.value.message)


def _dead_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mastodon"


def test_a_refused_connection_is_transient_not_unknown(sim) -> None:
    connector = make_connector(sim.url)
    connector.check(PublishRequest(text="warm the instance cache"))
    connector.api.api_base_url = _dead_url()  # the status POST itself cannot connect
    with pytest.raises(Transient) as err:
        connector.publish(PublishRequest(text="Nobody is listening"))
    assert "could not be reached" in err.value.message
