"""JSON API: images — upload (multipart), read, attach by id, and each platform's image rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from content_queue.media import MAX_UPLOAD
from content_queue.models import Agency, MediaAsset, Post
from content_queue.users import create_api_token, create_user
from tests.integration.helpers import X_CREDENTIALS, assert_api_error, count_rows, png

ALT = "Two dispatchers at their consoles during the storm"


@pytest.fixture
def world(factory):
    approver, viewer = factory.user("approver"), factory.user("viewer")
    return {"approver": {"Authorization": f"Bearer {factory.token(approver)}"},
            "viewer": {"Authorization": f"Bearer {factory.token(viewer)}"},
            "sandbox": factory.account("sandbox"),
            "bluesky": factory.account("bluesky", credentials={"identifier": "metro911.bsky.social",
                                                               "app_password": "abcd-efgh"}),
            "x": factory.account("x", credentials=X_CREDENTIALS)}


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (38.0, 53.0, 0.0), 3: "W", 4: (77.0, 2.0, 0.0)}
    buf = BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def upload(client, headers, data: bytes | None = None, alt: str | None = ALT,
           filename: str = "photo.png"):
    form = {}
    if data is not None:
        form["file"] = (BytesIO(data), filename)
    if alt is not None:
        form["alt_text"] = alt
    return client.post("/api/v1/media", data=form, headers=headers,
                       content_type="multipart/form-data")


def create_post(client, world, media_ids, account="sandbox", text="Storm prep tips."):
    when = (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat()
    return client.post("/api/v1/posts", headers=world["approver"], json={
        "text": text, "account_ids": [world[account].id], "scheduled_at": when,
        "media_ids": media_ids})


def test_png_upload_answers_201_with_its_facts_and_is_readable(client, world):
    response = upload(client, world["approver"], png(size=(40, 30)))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["width"], body["height"], body["mime_type"]) == (40, 30, "image/png")
    assert body["alt_text"] == ALT and body["filename"] == "photo.png" and body["id"]
    assert response.headers["Location"].endswith(f"/api/v1/media/{body['id']}")
    read = client.get(f"/api/v1/media/{body['id']}", headers=world["approver"])
    assert read.status_code == 200 and read.get_json() == body


@pytest.mark.parametrize("data,alt,code,field", [
    (png()[:-40], ALT, "invalid_image", "file"),           # truncated: Pillow cannot decode it
    (b"%PDF-1.7 not an image", ALT, "invalid_image", "file"),
    (png(), None, "alt_text_missing", "alt_text"),
    (png(), "   ", "alt_text_missing", "alt_text"),
    (None, ALT, "file_missing", "file"),
], ids=["truncated-png", "not-an-image", "no-alt", "blank-alt", "no-file"])
def test_bad_uploads_are_refused_with_422_and_nothing_is_stored(client, world, db, data, alt,
                                                                 code, field):
    error = assert_api_error(upload(client, world["approver"], data, alt), 422, code)
    assert field in error["fields"]
    assert count_rows(db, MediaAsset) == 0


def test_gps_metadata_never_leaves_tenfour(client, world, db, settings):
    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(0x8825)
    body = upload(client, world["approver"], original, filename="IMG_0042.jpg").get_json()
    with db.session_scope(write=False) as s:
        stored = s.get(MediaAsset, body["id"]).data
    from content_queue.media import media_signature

    sig = media_signature(body["id"], body["sha256"], settings.secret_key)
    served = client.get(f"/media/public/{body['id']}/{sig}")  # what Instagram would fetch
    assert served.status_code == 200 and served.data == stored
    image = Image.open(BytesIO(served.data))
    assert not image.getexif() and "exif" not in image.info
    assert (image.width, image.height) == (64, 48)


def test_an_upload_over_16_mb_is_refused_with_413_in_the_api_shape(client, world, db):
    response = upload(client, world["approver"], b"\0" * (MAX_UPLOAD + 300 * 1024))
    error = assert_api_error(response, 413, "too_large")
    assert "16 MB" in error["message"]
    assert count_rows(db, MediaAsset) == 0


def test_viewers_cannot_upload_and_tokens_are_required(client, world, db):
    assert_api_error(upload(client, world["viewer"], png()), 403, "forbidden")
    assert_api_error(upload(client, {}, png()), 401, "unauthorized")
    assert count_rows(db, MediaAsset) == 0


def test_another_agencys_image_is_not_found_nor_attachable(client, world, db, factory):
    with db.session_scope() as s:
        other = Agency(name="County 911", timezone="America/Denver",
                       created_at=datetime.now(timezone.utc))
        s.add(other)
        s.flush()
        user = create_user(s, agency_id=other.id, email="pio@county911.gov", role="approver",
                           password=factory.password, now=datetime.now(timezone.utc))
        token = create_api_token(s, user, now=datetime.now(timezone.utc))
    theirs = upload(client, {"Authorization": f"Bearer {token}"}, png()).get_json()["id"]
    assert_api_error(client.get(f"/api/v1/media/{theirs}", headers=world["approver"]), 404,
                     "not_found")
    assert_api_error(create_post(client, world, [theirs]), 422, "unknown_media")


def test_post_with_media_ids_carries_the_images_in_order(client, world, db):
    first = upload(client, world["approver"], png(color=(1, 2, 3)), alt="First").get_json()
    second = upload(client, world["approver"], png(color=(4, 5, 6)), alt="Second").get_json()
    response = create_post(client, world, [second["id"], first["id"]])
    assert response.status_code == 201, response.get_data(as_text=True)
    post = client.get(response.headers["Location"], headers=world["approver"]).get_json()
    assert [(m["id"], m["alt_text"]) for m in post["media"]] == [(second["id"], "Second"),
                                                                 (first["id"], "First")]
    assert post["media"][0]["mime_type"] == "image/png"


def test_five_images_to_bluesky_are_refused_naming_the_platform_and_rule(client, world, db):
    ids = [upload(client, world["approver"], png(color=(i, i, i))).get_json()["id"]
           for i in range(5)]
    error = assert_api_error(create_post(client, world, ids, account="bluesky"), 422,
                             "too_many_images")
    assert "Bluesky" in error["message"] and "images" in error["message"]
    assert "5 images; the limit is 4" in error["message"]
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 0
    # Four are fine.
    assert create_post(client, world, ids[:4], account="bluesky").status_code == 201


def test_alt_text_over_xs_limit_is_refused_for_x_but_fine_elsewhere(client, world):
    long_alt = "A dispatcher answers a call. " * 42  # ~1,200 characters: upload allows 1,500
    assert 1000 < len(long_alt.strip()) <= 1500
    media_id = upload(client, world["approver"], png(), alt=long_alt).get_json()["id"]
    error = assert_api_error(create_post(client, world, [media_id], account="x"), 422,
                             "alt_text_too_long")
    assert error["message"].startswith("X:") and "alt text" in error["message"]
    assert "the limit is 1000" in error["message"]
    assert create_post(client, world, [media_id], account="sandbox").status_code == 201
