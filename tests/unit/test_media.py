"""Uploads: only real images, metadata stripped, alt text required, platform rules applied."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from content_queue.errors import ValidationFailed
from content_queue.media import store_media
from content_queue.models import MediaAsset, Post, User
from content_queue.reading import post_to_dict
from content_queue.services import queue_post

NOW = datetime.now(timezone.utc)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 80), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (38.0, 53.0, 0.0), 3: "W", 4: (77.0, 2.0, 0.0)}
    exif[0x8825] = gps
    buf = BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def png() -> bytes:
    buf = BytesIO()
    Image.new("RGB", (32, 32), (0, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def pio(db, factory):
    user = factory.user("admin")
    with db.session_scope() as s:
        return s.get(User, user.id)


def _store(db, user, data, alt="Two dispatchers at their consoles"):
    with db.session_scope() as s:
        return store_media(s, actor=s.get(User, user.id), data=data, filename="p.jpg",
                           alt_text=alt, now=NOW)


def test_gps_and_camera_metadata_are_removed_on_upload(db, pio) -> None:
    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif()
    asset = _store(db, pio, original)
    stored = Image.open(BytesIO(asset.data))
    assert not stored.getexif()
    assert asset.mime_type == "image/jpeg" and (asset.width, asset.height) == (120, 80)


@pytest.mark.parametrize("data,why", [
    (b"", "empty"),
    (b"GIF89a not really", "not decodable"),
    (png()[:-40], "truncated"),
    (b"%PDF-1.7 a document", "a pdf"),
])
def test_a_bad_file_is_refused_with_a_plain_message_and_nothing_stored(db, pio, data, why) -> None:
    with pytest.raises(ValidationFailed) as err:
        _store(db, pio, data)
    assert err.value.code == "invalid_image", why
    assert "image" in err.value.message.lower() or "empty" in err.value.message.lower()
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(MediaAsset)) == 0


def test_alt_text_is_required(db, pio) -> None:
    with pytest.raises(ValidationFailed) as err:
        _store(db, pio, png(), alt="   ")
    assert err.value.code == "alt_text_missing"


def test_five_images_to_bluesky_are_refused_naming_the_platform(db, factory, pio) -> None:
    account = factory.account("bluesky", credentials={"identifier": "metro911.bsky.social",
                                                      "app_password": "abcd-efgh-ijkl-mnop"})
    ids = [_store(db, pio, png()).id for _ in range(5)]
    with db.session_scope() as s:
        with pytest.raises(ValidationFailed) as err:
            queue_post(s, actor=s.get(User, pio.id), text="hi", account_ids=[account.id],
                       scheduled_at=NOW + timedelta(hours=1), now=NOW, media_ids=ids)
    assert "Bluesky" in err.value.message and "5 images" in err.value.message
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 0


def test_images_are_attached_in_order(db, factory, pio) -> None:
    account = factory.account()
    ids = [_store(db, pio, png(), alt=f"image {i}").id for i in range(3)]
    ids.reverse()
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, pio.id), text="hi", account_ids=[account.id],
                          scheduled_at=NOW + timedelta(hours=1), now=NOW, media_ids=ids)
        assert [m["id"] for m in post_to_dict(post)["media"]] == ids
