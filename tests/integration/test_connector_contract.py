"""One contract, every connector: each test runs through the platform's real client library
against the simulator over HTTP, and checks the behaviour the workers rely on."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime, timedelta, timezone

import pytest

from content_queue.ports import (
    AuthExpired,
    MediaItem,
    Permanent,
    PlatformConnector,
    PublishRequest,
    RateLimited,
    Transient,
    UnknownOutcome,
)
from tests.integration import harnesses
from tests.integration.harnesses.base import Harness, make_image


def _all_harnesses() -> list[Harness]:
    found = []
    for info in pkgutil.iter_modules(harnesses.__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{harnesses.__name__}.{info.name}")
        found.append(module.HARNESS)
    return sorted(found, key=lambda h: h.platform)


HARNESSES = _all_harnesses()


@pytest.fixture(params=HARNESSES, ids=[h.platform for h in HARNESSES])
def harness(request) -> Harness:
    return request.param


@pytest.fixture
def connector(harness: Harness, sim) -> PlatformConnector:
    return harness.make_connector(sim.url)


def _image(harness: Harness, n: int) -> MediaItem:
    return MediaItem(make_image(harness.image_mime, color=(40 * n, 90, 160)), harness.image_mime,
                     alt_text=f"Dispatcher number {n} at a console with three monitors.",
                     filename=f"photo{n}.{'jpg' if harness.image_mime == 'image/jpeg' else 'png'}")


def _request(harness: Harness, text: str, **kw) -> PublishRequest:
    media = kw.pop("media", None)
    if media is None and harness.requires_media:
        media = [_image(harness, 1)]
    return PublishRequest(text=text, media=media or (), **kw)


def _writes(sim, harness: Harness) -> list[dict]:
    return [r for r in sim.requests(harness.platform) if r["method"] in ("POST", "PUT")]


def test_verify_answers_with_the_account(connector) -> None:
    info = connector.verify()
    assert info.handle


def test_a_text_post_is_published_with_an_id_and_permalink(harness, connector, sim) -> None:
    text = "Thank you, telecommunicators, for every call you answer. #NPSTW"
    result = connector.publish(_request(harness, text, idempotency_key="contract-1"))
    assert result.platform_post_id
    assert result.permalink.startswith("http")
    stored = [p for p in sim.posts(harness.platform) if text in (p.get("text") or "")]
    assert len(stored) == 1
    assert abs(result.published_at - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_two_images_travel_with_their_alt_text(harness, connector, sim) -> None:
    media = [_image(harness, 1), _image(harness, 2)]
    result = connector.publish(_request(harness, "Meet the night shift.", media=media))
    assert harness.stored_alt_texts(sim, result) == [m.alt_text for m in media]


def test_too_long_text_is_refused_before_any_request(harness, connector, sim) -> None:
    request = _request(harness, harness.too_long_text)
    problems = connector.check(request)
    assert problems and problems[0].rule == "text_too_long"
    with pytest.raises(Permanent) as err:
        connector.publish(request)
    assert err.value.message.split(":")[0] in {"X", "Facebook", "Instagram", "Mastodon",
                                               "Bluesky", "Sandbox"}
    assert _writes(sim, harness) == []


def test_a_429_says_when_to_retry(harness, connector, sim) -> None:
    sim.fault("rate_limit", platform=harness.platform, retry_after=7,
              path_contains=harness.post_path)
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as err:
        connector.publish(_request(harness, "Rate limited post"))
    assert err.value.retry_at is not None
    assert before + timedelta(seconds=4) <= err.value.retry_at <= before + timedelta(seconds=12)


def test_a_revoked_token_is_auth_expired(harness, connector, sim) -> None:
    sim.fault("revoke_token", platform=harness.platform, path_contains=harness.post_path)
    with pytest.raises(AuthExpired):
        connector.publish(_request(harness, "Revoked token post"))


def test_a_server_error_is_transient(harness, connector, sim) -> None:
    sim.fault("server_error", platform=harness.platform, path_contains=harness.post_path)
    with pytest.raises(Transient):
        connector.publish(_request(harness, "Server error post"))


def test_a_dropped_connection_after_acceptance_is_an_unknown_outcome_then_found(
        harness, connector, sim) -> None:
    sim.fault("drop_after_accept", platform=harness.platform, path_contains=harness.post_path)
    text = "Dropped after acceptance"
    with pytest.raises(UnknownOutcome):
        connector.publish(_request(harness, text))
    recent = connector.recent_posts(since=datetime.now(timezone.utc) - timedelta(minutes=5))
    assert [p.text for p in recent if text in p.text]


def test_metrics_for_many_posts_grow_with_time(harness, connector, sim) -> None:
    ids = [connector.publish(_request(harness, f"Metrics post {i}")).platform_post_id
           for i in range(2)]
    sim.advance(6 * 3600)
    metrics = {m.platform_post_id: m for m in connector.fetch_metrics(ids)}
    assert set(metrics) == set(ids)
    assert all(m.likes > 0 for m in metrics.values())


def test_replies_are_fetched(harness, connector, sim) -> None:
    post_id = connector.publish(_request(harness, "Replies post")).platform_post_id
    sim.advance(24 * 3600)
    replies = connector.fetch_replies(post_id)
    assert replies and all(r.text and r.author for r in replies)
    assert all(r.platform_post_id == post_id for r in replies)
