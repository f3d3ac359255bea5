"""Bluesky-specific behaviour of the connector against the simulator, through atproto."""

from __future__ import annotations

import uuid

import pytest
import requests

from content_queue.ports import AuthExpired, MediaItem, Permanent, PublishRequest, Transient
from tests.integration.harnesses.base import make_image
from tests.integration.harnesses.bluesky import make_connector

THUMBS = "👍🏽"  # two code points, 8 bytes, one grapheme
FAMILY = "👨‍👩‍👧"  # five code points, 18 bytes, one grapheme


def _fresh(sim, **kw):
    """A connector for an account no earlier test signed in (sessions are shared per process)."""
    return make_connector(sim.url, identifier=f"t{uuid.uuid4().hex[:10]}.bsky.social", **kw)


def _writes(sim) -> list[dict]:
    return [r for r in sim.requests("bluesky") if r["method"] == "POST" and "createSession" not in r["path"]]


def _stored(sim, uri: str) -> dict:
    return next(p for p in sim.posts("bluesky") if p["id"] == uri.rsplit("/", 1)[-1])


def test_links_and_hashtags_become_facets_with_utf8_byte_offsets(sim) -> None:
    text = "🚒🚑 Tours Saturday at https://example.org/tours — #NPSTW"
    result = _fresh(sim).publish(PublishRequest(text=text))
    facets = _stored(sim, result.platform_post_id)["extra"]["facets"]
    raw = text.encode("utf-8")
    link_start, tag_start = raw.index(b"https://"), raw.index(b"#NPSTW")
    assert link_start != text.index("https://")  # the emoji make bytes and characters differ
    by_kind = {f["features"][0]["$type"].rsplit("#", 1)[-1]: f for f in facets}
    assert by_kind["link"]["index"] == {"$type": "app.bsky.richtext.facet#byteSlice",
                                        "byteStart": link_start, "byteEnd": link_start + len(b"https://example.org/tours")}
    assert by_kind["link"]["features"][0]["uri"] == "https://example.org/tours"
    assert by_kind["tag"]["index"]["byteStart"] == tag_start
    assert by_kind["tag"]["index"]["byteEnd"] == tag_start + len(b"#NPSTW")
    assert by_kind["tag"]["features"][0]["tag"] == "NPSTW"


def test_the_simulator_refuses_facets_counted_in_characters(sim) -> None:
    base = f"{sim.url}/bluesky/xrpc"
    session = requests.post(f"{base}/com.atproto.server.createSession", timeout=5,
                            json={"identifier": "facets.bsky.social", "password": "abcd-efgh-ijkl-mnop"}).json()
    text = "🚒 #NPSTW"
    start = text.index("#")  # a code point offset, not a byte offset
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-04-12T12:00:00.000Z",
              "facets": [{"index": {"byteStart": start, "byteEnd": start + 6},
                          "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "NPSTW"}]}]}
    answer = requests.post(f"{base}/com.atproto.repo.createRecord", timeout=5,
                           headers={"Authorization": f"Bearer {session['accessJwt']}"},
                           json={"repo": session["did"], "collection": "app.bsky.feed.post", "record": record})
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidRequest" and "facets/0" in answer.json()["message"]


def test_graphemes_not_code_points_are_counted(sim) -> None:
    connector = _fresh(sim)
    with pytest.raises(Permanent) as err:
        connector.publish(PublishRequest(text=THUMBS * 301))
    assert err.value.reason == "text_too_long" and "301" in err.value.message
    assert _writes(sim) == []

    result = connector.publish(PublishRequest(text=THUMBS * 300))  # 600 code points, 2,400 bytes
    assert _stored(sim, result.platform_post_id)["text"] == THUMBS * 300


def test_three_hundred_joined_emoji_break_the_byte_limit_not_the_grapheme_limit(sim) -> None:
    """300 family emoji are 300 graphemes but 5,400 bytes; the lexicon caps the text at 3,000."""
    connector = _fresh(sim)
    problems = connector.check(PublishRequest(text=FAMILY * 300))
    assert [p.rule for p in problems] == ["text_too_many_bytes"]
    with pytest.raises(Permanent):
        connector.publish(PublishRequest(text=FAMILY * 300))
    assert _writes(sim) == []
    result = connector.publish(PublishRequest(text=FAMILY * 166))  # 2,988 bytes
    assert _stored(sim, result.platform_post_id)["text"] == FAMILY * 166


def test_an_image_over_two_million_bytes_is_refused_before_any_request(sim) -> None:
    png = make_image()
    big = png + b"\0" * (2_000_001 - len(png))
    with pytest.raises(Permanent) as err:
        _fresh(sim).publish(PublishRequest(text="Big photo", media=[MediaItem(big, "image/png", "A photo")]))
    assert err.value.reason == "image_too_large"
    assert _writes(sim) == []


def test_the_simulator_refuses_a_blob_over_the_image_limit(sim) -> None:
    base = f"{sim.url}/bluesky/xrpc"
    session = requests.post(f"{base}/com.atproto.server.createSession", timeout=5,
                            json={"identifier": "bigblob.bsky.social", "password": "pw"}).json()
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}
    png = make_image()
    blob = requests.post(f"{base}/com.atproto.repo.uploadBlob", data=png + b"\0" * (2_000_001 - len(png)),
                         headers={**auth, "Content-Type": "image/png"}, timeout=5).json()["blob"]
    record = {"$type": "app.bsky.feed.post", "text": "", "createdAt": "2026-04-12T12:00:00.000Z",
              "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "x", "image": blob}]}}
    answer = requests.post(f"{base}/com.atproto.repo.createRecord", headers=auth, timeout=5,
                           json={"repo": session["did"], "collection": "app.bsky.feed.post", "record": record})
    assert answer.status_code == 400 and answer.json()["error"] == "BlobTooLarge"


def test_an_expired_access_jwt_is_refreshed_without_signing_in_again(sim) -> None:
    connector = _fresh(sim)
    connector.publish(PublishRequest(text="Before the token expires"))
    sim.advance(3 * 3600)  # access JWTs live 2 hours on the simulator's clock
    result = connector.publish(PublishRequest(text="After the token expired"))
    assert _stored(sim, result.platform_post_id)["text"] == "After the token expired"
    calls = [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in sim.requests("bluesky")]
    assert calls.count(("com.atproto.server.createSession", 200)) == 1
    after = calls[calls.index(("com.atproto.repo.createRecord", 200)) + 1:]
    assert after == [("com.atproto.repo.createRecord", 400), ("com.atproto.server.refreshSession", 200),
                     ("com.atproto.repo.createRecord", 200)]


def test_a_revoked_app_password_is_auth_expired(sim) -> None:
    password = "rvkd-pass-word-0001"
    connector = _fresh(sim, app_password=password)
    connector.publish(PublishRequest(text="Posted before the password was revoked"))
    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "bluesky", "token": password},
                  timeout=5).raise_for_status()
    with pytest.raises(AuthExpired) as err:
        connector.publish(PublishRequest(text="After revocation"))
    assert "app password" in err.value.message
    tail = [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in sim.requests("bluesky")][-3:]
    assert tail == [("com.atproto.repo.createRecord", 400), ("com.atproto.server.refreshSession", 400),
                    ("com.atproto.server.createSession", 401)]
    assert [p["text"] for p in sim.posts("bluesky")] == ["Posted before the password was revoked"]


def test_sessions_are_reused_across_calls_and_connectors(sim) -> None:
    first = _fresh(sim)
    first.publish(PublishRequest(text="one"))
    first.fetch_metrics([first.recent_posts()[0].platform_post_id])
    second = make_connector(sim.url, identifier=first.identifier, app_password="abcd-efgh-ijkl-mnop")
    second.publish(PublishRequest(text="two"))
    sessions = [r for r in sim.requests("bluesky") if r["path"].endswith("createSession")]
    assert len(sessions) == 1


def test_a_thread_is_a_chain_of_replies_to_one_root(sim) -> None:
    connector = _fresh(sim)
    result = connector.publish(PublishRequest(text="NPSTW: a thread 🧵", thread=["Day 1", "Day 2"]))
    first, second = (_stored(sim, uri) for uri in result.thread_post_ids)
    root = _stored(sim, result.platform_post_id)
    assert first["reply_to_id"] == root["id"] and second["reply_to_id"] == first["id"]
    for part, parent_uri in ((first, result.platform_post_id), (second, result.thread_post_ids[0])):
        reply = part["extra"]["record"]["reply"]
        assert reply["root"]["uri"] == result.platform_post_id
        assert reply["parent"]["uri"] == parent_uri
    sim.advance(24 * 3600)
    replies = connector.fetch_replies(result.platform_post_id)
    assert replies and all(r.platform_reply_id not in result.thread_post_ids for r in replies)


def test_a_refused_connection_is_transient_not_unknown(sim) -> None:
    import socket

    connector = _fresh(sim)
    connector.verify()  # signed in
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    connector.client.update_base_url(f"http://127.0.0.1:{port}/bluesky")  # createRecord cannot connect
    with pytest.raises(Transient) as err:
        connector.publish(PublishRequest(text="Nobody is listening"))
    assert "could not be reached" in err.value.message
