"""The sandbox platform over real HTTP: the behaviour Tenfour's sandbox connector relies on."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulator.server import RunningSimulator, start_in_thread

TOKEN = "token-metro911"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HANDLE = "metro911"


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSimulator]:
    with start_in_thread() as sim:
        yield sim


@pytest.fixture()
def sim(running: RunningSimulator) -> RunningSimulator:
    requests.post(f"{running.url}/_sim/reset", timeout=5).raise_for_status()
    return running


def create_post(sim: RunningSimulator, text: str, **extra: Any) -> requests.Response:
    headers = {**AUTH, **extra.pop("headers", {})}
    return requests.post(
        f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}/posts", json={"text": text, **extra}, headers=headers, timeout=5
    )


def upload(sim: RunningSimulator, data: bytes, alt_text: str = "", name: str = "photo.png") -> requests.Response:
    return requests.post(
        f"{sim.url}/sandbox/api/v1/media",
        files={"file": (name, data, "image/png")},
        data={"alt_text": alt_text},
        headers=AUTH,
        timeout=5,
    )


def add_fault(sim: RunningSimulator, kind: str, **options: Any) -> None:
    body = {"platform": "sandbox", "kind": kind, **options}
    requests.post(f"{sim.url}/_sim/faults", json=body, timeout=5).raise_for_status()


def stored_posts(sim: RunningSimulator) -> list[dict[str, Any]]:
    posts: list[dict[str, Any]] = requests.get(f"{sim.url}/_sim/posts?platform=sandbox", timeout=5).json()["posts"]
    return posts


def advance_clock(sim: RunningSimulator, seconds: float) -> None:
    requests.post(f"{sim.url}/_sim/clock", json={"advance_seconds": seconds}, timeout=5).raise_for_status()


def error_code(response: requests.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def test_text_post_returns_201_with_permalink_and_utc_time(sim: RunningSimulator) -> None:
    response = create_post(sim, "Happy National Public Safety Telecommunicators Week!")
    assert response.status_code == 201
    post = response.json()
    assert post["url"] == f"{sim.url}/sandbox/@{HANDLE}/{post['id']}"
    assert post["created_at"].endswith("Z")
    assert post["handle"] == HANDLE and post["media"] == []
    assert requests.get(post["url"], timeout=5).status_code == 200
    assert [p["id"] for p in stored_posts(sim)] == [post["id"]]


def test_account_lookup_verifies_credentials(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}", headers=AUTH, timeout=5)
    assert response.status_code == 200
    assert response.json()["handle"] == HANDLE and response.json()["display_name"]


def test_missing_token_is_401_unauthorized(sim: RunningSimulator) -> None:
    response = requests.post(f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}/posts", json={"text": "hi"}, timeout=5)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert stored_posts(sim) == []


def test_repeated_idempotency_key_returns_first_post_without_a_second(sim: RunningSimulator) -> None:
    first = create_post(sim, "Tour day is Saturday", headers={"Idempotency-Key": "target-7"})
    again = create_post(sim, "Tour day is Saturday", headers={"Idempotency-Key": "target-7"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert len(stored_posts(sim)) == 1


def test_post_with_two_images_keeps_each_alt_text(sim: RunningSimulator) -> None:
    png = tiny_png()
    alts = ["Dispatchers at their consoles", "The director holding the proclamation"]
    uploads = [upload(sim, png, alt) for alt in alts]
    assert [u.status_code for u in uploads] == [201, 201]
    assert uploads[0].json()["mime_type"] == "image/png" and uploads[0].json()["size"] == len(png)
    ids = [u.json()["id"] for u in uploads]
    response = create_post(sim, "Meet the team behind the headset", media_ids=ids)
    assert response.status_code == 201
    assert [m["alt_text"] for m in response.json()["media"]] == alts
    assert [m["alt_text"] for m in stored_posts(sim)[0]["media"]] == alts
    image = requests.get(response.json()["media"][0]["url"], timeout=5)
    assert image.content == png and image.headers["Content-Type"] == "image/png"
    feed = requests.get(f"{sim.url}/sandbox/feed", timeout=5).text
    assert all(alt in feed for alt in alts)


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [("x" * 501, 400, "text_too_long"), ("   ", 400, "text_empty"), ("x" * 500, 201, None)],
)
def test_text_length_limit_is_500_characters(sim: RunningSimulator, text: str, status: int, code: str | None) -> None:
    response = create_post(sim, text)
    assert response.status_code == status
    if code:
        assert error_code(response) == code


def test_unknown_media_id_is_refused(sim: RunningSimulator) -> None:
    response = create_post(sim, "With a picture", media_ids=["999"])
    assert response.status_code == 400 and error_code(response) == "unknown_media"
    assert stored_posts(sim) == []


def test_non_image_upload_is_invalid_media(sim: RunningSimulator) -> None:
    response = upload(sim, b"%PDF-1.7 not an image", "A flyer", name="flyer.png")
    assert response.status_code == 400
    assert error_code(response) == "invalid_media"


def test_rate_limit_fault_answers_429_with_retry_headers(sim: RunningSimulator) -> None:
    add_fault(sim, "rate_limit", retry_after=7)
    before = int(time.time())
    response = create_post(sim, "Rate limited?")
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    assert response.headers["Retry-After"] == "7"
    assert before + 7 <= int(response.headers["X-RateLimit-Reset"]) <= int(time.time()) + 8
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert create_post(sim, "Rate limited?").status_code == 201  # the fault was used up


def test_server_error_fault_answers_503_for_count_requests(sim: RunningSimulator) -> None:
    add_fault(sim, "server_error", count=2)
    assert [create_post(sim, "Outage test").status_code for _ in range(3)] == [503, 503, 201]
    assert len(stored_posts(sim)) == 1


def test_slow_fault_delays_the_answer(sim: RunningSimulator) -> None:
    add_fault(sim, "slow", delay=0.6)
    started = time.monotonic()
    response = create_post(sim, "Slow network")
    assert response.status_code == 201
    assert time.monotonic() - started >= 0.6


def test_drop_after_accept_stores_post_but_client_sees_connection_error(sim: RunningSimulator) -> None:
    add_fault(sim, "drop_after_accept")
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        create_post(sim, "Did this go out?", headers={"Idempotency-Key": "k-1"})
    assert not isinstance(caught.value, requests.exceptions.Timeout)
    posts = stored_posts(sim)
    assert [p["text"] for p in posts] == ["Did this go out?"]
    log = requests.get(f"{sim.url}/_sim/requests?platform=sandbox", timeout=5).json()["requests"]
    assert log[-1]["dropped"] is True and log[-1]["status"] == 201
    retry = create_post(sim, "Did this go out?", headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == 200 and retry.json()["id"] == posts[0]["id"]


def test_revoke_token_fault_revokes_that_token_for_later_requests(sim: RunningSimulator) -> None:
    add_fault(sim, "revoke_token")
    first = create_post(sim, "Revoked now")
    assert first.status_code == 401 and error_code(first) == "token_revoked"
    later = requests.get(f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}", headers=AUTH, timeout=5)
    assert later.status_code == 401 and error_code(later) == "token_revoked"
    other = requests.get(f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}", headers={"Authorization": "Bearer other"}, timeout=5)
    assert other.status_code == 200


def test_control_revoke_makes_token_fail(sim: RunningSimulator) -> None:
    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "sandbox", "token": TOKEN}, timeout=5).raise_for_status()
    response = create_post(sim, "After revocation")
    assert response.status_code == 401 and error_code(response) == "token_revoked"


def test_duplicate_fault_answers_403_duplicate_content(sim: RunningSimulator) -> None:
    add_fault(sim, "duplicate")
    response = create_post(sim, "Fresh text")
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "duplicate", "message": "duplicate content"}


def test_identical_text_within_24_hours_is_duplicate(sim: RunningSimulator) -> None:
    assert create_post(sim, "Thank you, dispatchers").status_code == 201
    again = create_post(sim, "Thank you, dispatchers")
    assert again.status_code == 403 and error_code(again) == "duplicate"
    advance_clock(sim, 25 * 3600)
    assert create_post(sim, "Thank you, dispatchers").status_code == 201


def test_path_contains_fault_targets_only_that_endpoint(sim: RunningSimulator) -> None:
    add_fault(sim, "server_error", path_contains="/media")
    assert create_post(sim, "Posts unaffected").status_code == 201
    assert upload(sim, tiny_png(), "alt").status_code == 503


def metrics(sim: RunningSimulator, ids: list[str]) -> dict[str, dict[str, int]]:
    response = requests.get(f"{sim.url}/sandbox/api/v1/posts", params={"ids": ",".join(ids)}, headers=AUTH, timeout=5)
    assert response.status_code == 200
    return {m["id"]: m for m in response.json()["posts"]}


def test_metrics_grow_with_clock_and_never_decrease(sim: RunningSimulator) -> None:
    post_id = create_post(sim, "Engagement test").json()["id"]
    start = metrics(sim, [post_id, "404404"])
    assert set(start) == {post_id}  # unknown ids are omitted
    seen = [start[post_id]]
    for _ in range(4):
        advance_clock(sim, 3 * 3600)
        seen.append(metrics(sim, [post_id])[post_id])
    for field in ("likes", "reposts", "replies", "views"):
        values = [m[field] for m in seen]
        assert values == sorted(values), field
    assert seen[-1]["views"] > seen[0]["views"] and seen[-1]["likes"] > 0
    assert all(m["views"] >= m["likes"] for m in seen)


def test_new_post_starts_at_zero_age_after_clock_advance(sim: RunningSimulator) -> None:
    advance_clock(sim, 48 * 3600)
    post_id = create_post(sim, "Posted after the advance").json()["id"]
    assert metrics(sim, [post_id])[post_id]["views"] == 0


def test_replies_appear_over_time_and_match_reply_count(sim: RunningSimulator) -> None:
    post = create_post(sim, "Thank a dispatcher today").json()
    url = f"{sim.url}/sandbox/api/v1/posts/{post['id']}/replies"
    assert requests.get(url, headers=AUTH, timeout=5).json()["replies"] == []
    advance_clock(sim, 3 * 24 * 3600)
    replies = requests.get(url, headers=AUTH, timeout=5).json()["replies"]
    assert len(replies) >= 2
    assert all(r["author"] and r["text"] and r["created_at"].endswith("Z") for r in replies)
    assert metrics(sim, [post["id"]])[post["id"]]["replies"] == len(replies)
    assert replies[0]["text"] in requests.get(post["url"], timeout=5).text


def test_feed_page_escapes_script_in_post_text(sim: RunningSimulator) -> None:
    create_post(sim, "<script>alert('x')</script> open house")
    page = requests.get(f"{sim.url}/sandbox/feed", timeout=5)
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert" in page.text


def test_unknown_permalink_is_a_404_page(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/sandbox/@{HANDLE}/123", timeout=5)
    assert response.status_code == 404 and "text/html" in response.headers["Content-Type"]


def test_list_posts_since_returns_newest_first(sim: RunningSimulator) -> None:
    first = create_post(sim, "One").json()
    second = create_post(sim, "Two").json()
    url = f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}/posts"
    listed = requests.get(url, headers=AUTH, timeout=5).json()["posts"]
    assert [p["id"] for p in listed] == [second["id"], first["id"]]
    later = requests.get(url, params={"since": second["created_at"]}, headers=AUTH, timeout=5).json()["posts"]
    assert second["id"] in [p["id"] for p in later]


def test_every_api_answer_has_rate_limit_headers(sim: RunningSimulator) -> None:
    answers = [
        create_post(sim, "With headers"),
        requests.get(f"{sim.url}/sandbox/api/v1/accounts/{HANDLE}", timeout=5),  # 401
        upload(sim, b"nope"),  # 400
    ]
    for answer in answers:
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(answer.headers)
    assert int(answers[0].headers["X-RateLimit-Reset"]) > time.time()


def test_request_log_keeps_headers_and_body_in_order(sim: RunningSimulator) -> None:
    create_post(sim, "Logged", headers={"Idempotency-Key": "abc"})
    upload(sim, tiny_png(), "Alt for log")
    log = requests.get(f"{sim.url}/_sim/requests", params={"platform": "sandbox"}, timeout=5).json()["requests"]
    assert [(e["method"], e["status"]) for e in log] == [("POST", 201), ("POST", 201)]
    assert log[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert log[0]["headers"]["Idempotency-Key"] == "abc"
    assert log[0]["json"] == {"text": "Logged"}
    assert log[1]["form"] == {"alt_text": "Alt for log"}


def test_reset_forgets_posts_faults_and_revocations(sim: RunningSimulator) -> None:
    create_post(sim, "Before reset")
    add_fault(sim, "server_error")
    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "sandbox", "token": TOKEN}, timeout=5)
    requests.post(f"{sim.url}/_sim/reset", timeout=5).raise_for_status()
    assert stored_posts(sim) == []
    assert requests.get(f"{sim.url}/_sim/requests", timeout=5).json()["requests"] == []
    assert create_post(sim, "After reset").status_code == 201


def test_cleared_faults_no_longer_fire(sim: RunningSimulator) -> None:
    add_fault(sim, "server_error")
    requests.delete(f"{sim.url}/_sim/faults", timeout=5).raise_for_status()
    assert create_post(sim, "No fault").status_code == 201
