"""One post with an image, queued through the API to X, Facebook, Instagram, Mastodon, Bluesky
and the sandbox at once, published by a real scheduler and Celery worker through each
platform's real client library to the simulator — with the image and its alt text everywhere,
and Instagram fetching the image from Tenfour's public media URL."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest

from content_queue.models import PostTarget
from tests.integration.harnesses.facebook import PAGE_ID
from tests.integration.harnesses.instagram import IG_USER_ID
from tests.integration.browser_support import serve
from tests.integration.harnesses.x import oauth2_credentials
from tests.integration.helpers import jpeg, wait_until
from web import create_app

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_post_with_an_image_reaches_every_platform_once(
        db, factory, sim, stack_settings, spawn) -> None:
    port = _free_port()
    settings = replace(stack_settings, public_base_url=f"http://127.0.0.1:{port}")
    accounts = {
        "sandbox": factory.account("sandbox", handle="metro911"),
        "x": factory.account("x", handle="metro911", credentials=oauth2_credentials(),
                             api_base_url=f"{sim.url}/x"),
        "facebook": factory.account("facebook", handle="metro911",
                                    credentials={"page_id": PAGE_ID,
                                                 "page_access_token": "all-platforms-token"},
                                    api_base_url=f"{sim.url}/graph"),
        "instagram": factory.account("instagram", handle="metro911",
                                     credentials={"ig_user_id": IG_USER_ID,
                                                  "access_token": "all-platforms-token"},
                                     api_base_url=f"{sim.url}/graph"),
        "mastodon": factory.account("mastodon", handle="metro911",
                                    credentials={"instance_url": "https://mastodon.example",
                                                 "access_token": "all-platforms-token"},
                                    api_base_url=f"{sim.url}/mastodon"),
        "bluesky": factory.account("bluesky", handle="metro911.bsky.social",
                                   credentials={"identifier": "metro911.bsky.social",
                                                "app_password": "abcd-efgh-ijkl-mnop"},
                                   api_base_url=f"{sim.url}/bluesky"),
    }
    admin = factory.user("admin")
    token = factory.token(admin)
    alt = "Three dispatchers at their consoles during a night shift."
    text = "Meet the night shift of Metro 911. Thank you for every call. #NPSTW"

    app = create_app(settings, db=db)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    image = jpeg((320, 200), (180, 20, 40))
    upload = client.post("/api/v1/media", headers=auth, content_type="multipart/form-data",
                         data={"file": (BytesIO(image), "shift.jpg"), "alt_text": alt})
    assert upload.status_code == 201, upload.get_json()
    when = datetime.now(timezone.utc) + timedelta(seconds=3)
    created = client.post("/api/v1/posts", headers=auth, json={
        "text": text, "account_ids": [a.id for a in accounts.values()],
        "scheduled_at": when.isoformat(), "media_ids": [upload.get_json()["id"]]})
    assert created.status_code == 201, created.get_json()
    post_id = created.get_json()["id"]

    with serve(app, port):  # the web app must answer Instagram's image fetch
        worker = spawn("worker", "worker", "-c", "2", PUBLIC_BASE_URL=settings.public_base_url)
        worker.wait_for("ready.", timeout=60)
        spawn("scheduler", "scheduler").wait_for("scheduler ticking")

        def all_done():
            with db.session_scope(write=False) as s:
                rows = s.query(PostTarget).filter(PostTarget.post_id == post_id).all()
                states = {r.account.platform: (r.status, r.last_error) for r in rows}
            return states if all(st in ("published", "failed") for st, _ in states.values()) else None

        states = wait_until(all_done, timeout=60, message="every target to finish")
    assert {p: st for p, (st, _) in states.items()} == {p: "published" for p in accounts}, states

    for platform in accounts:
        stored = [p for p in sim.posts(platform) if "Meet the night shift" in (p.get("text") or "")]
        assert len(stored) == 1, (platform, stored)
        assert [m.get("alt_text") for m in stored[0].get("media", [])] == [alt], platform
