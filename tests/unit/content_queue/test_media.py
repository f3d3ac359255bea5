"""Uploads: only real images, metadata stripped, alt text required, platform rules applied."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from content_queue.errors import ValidationFailed
from content_queue.media import store_media
from content_queue.models import MediaAsset, Post
from content_queue.services import queue_post
from web.api.shapes import post_to_dict

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
def pio(make):
    return make.user("admin")


def _store(session, user, data, alt="Two dispatchers at their consoles"):
    """Upload as the web app does: in a transaction of its own, undone if it is refused."""
    with session.begin_nested():
        return store_media(session, actor=user, data=data, filename="p.jpg", alt_text=alt,
                           now=NOW)


def test_gps_and_camera_metadata_are_removed_on_upload(session, pio) -> None:
    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif()
    asset = _store(session, pio, original)
    stored = Image.open(BytesIO(asset.data))
    assert not stored.getexif()
    assert asset.mime_type == "image/jpeg" and (asset.width, asset.height) == (120, 80)


@pytest.mark.parametrize("data,why", [
    (b"", "empty"),
    (b"GIF89a not really", "not decodable"),
    (png()[:-40], "truncated"),
    (b"%PDF-1.7 a document", "a pdf"),
])
def test_a_bad_file_is_refused_with_a_plain_message_and_nothing_stored(session, pio, data,
                                                                       why) -> None:
    with pytest.raises(ValidationFailed) as err:
        _store(session, pio, data)
    assert err.value.code == "invalid_image", why
    assert "image" in err.value.message.lower() or "empty" in err.value.message.lower()
    assert session.scalar(select(func.count()).select_from(MediaAsset)) == 0


def test_alt_text_is_required(session, pio) -> None:
    with pytest.raises(ValidationFailed) as err:
        _store(session, pio, png(), alt="   ")
    assert err.value.code == "alt_text_missing"


def test_five_images_to_bluesky_are_refused_naming_the_platform(session, make, pio) -> None:
    account = make.account("bluesky")
    ids = [_store(session, pio, png()).id for _ in range(5)]
    with pytest.raises(ValidationFailed) as err:
        with session.begin_nested():
            queue_post(session, actor=pio, text="hi", account_ids=[account.id],
                       scheduled_at=NOW + timedelta(hours=1), now=NOW, media_ids=ids)
    assert "Bluesky" in err.value.message and "5 images" in err.value.message
    assert session.scalar(select(func.count()).select_from(Post)) == 0


def test_images_are_attached_in_order(session, make, pio) -> None:
    account = make.account()
    ids = [_store(session, pio, png(), alt=f"image {i}").id for i in range(3)]
    ids.reverse()
    post = queue_post(session, actor=pio, text="hi", account_ids=[account.id],
                      scheduled_at=NOW + timedelta(hours=1), now=NOW, media_ids=ids)
    assert [m.id for m in post.media] == ids
    assert [m["id"] for m in post_to_dict(post)["media"]] == ids


# --- nothing but pixels survives an upload --------------------------------------------------

SECRET = b"SECRET-dispatcher-home-38.88N-77.03W"


def _jpeg_with_comment() -> bytes:
    buf = BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, format="JPEG", comment=SECRET)
    return buf.getvalue()


def _png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", SECRET.decode())
    info.add_itxt("Location", SECRET.decode(), zip=False)
    buf = BytesIO()
    Image.new("RGBA", (40, 30), (0, 200, 0, 128)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def _gif_with_comment() -> bytes:
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=80,
                   loop=0, comment=SECRET)
    return buf.getvalue()


def _webp_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = SECRET.decode()  # ImageDescription
    buf = BytesIO()
    Image.new("RGB", (40, 30), (5, 5, 200)).save(buf, format="WEBP", exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("make_file,what", [
    (_jpeg_with_comment, "JPEG COM segment"),
    (_png_with_text, "PNG tEXt and iTXt chunks"),
    (_gif_with_comment, "GIF comment extension"),
    (_webp_with_exif, "WebP EXIF chunk"),
    (lambda: _jpeg_with_comment() + SECRET, "bytes after a JPEG's end"),
    (lambda: png() + SECRET, "bytes after a PNG's end"),
    (lambda: jpeg_with_gps().replace(b"PhoneMaker", SECRET[:10]), "EXIF in a JPEG"),
])
def test_no_comment_metadata_or_trailing_data_survives_an_upload(session, pio, make_file, what):
    original = make_file()
    assert SECRET[:10] in original, what  # the crafted file does carry it
    asset = _store(session, pio, original)
    assert SECRET[:10] not in asset.data, what
    assert asset.data != original
    stored = Image.open(BytesIO(asset.data))
    assert not stored.getexif() and "comment" not in stored.info and "Comment" not in stored.info
    assert asset.size == len(asset.data)


def test_an_animated_gif_keeps_its_frames_when_re_encoded(session, pio):
    asset = _store(session, pio, _gif_with_comment())
    stored = Image.open(BytesIO(asset.data))
    assert stored.format == "GIF" and getattr(stored, "n_frames", 1) == 3


def test_a_photo_is_turned_upright_when_its_orientation_tag_goes(session, pio):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = BytesIO()
    Image.new("RGB", (120, 80), (10, 120, 200)).save(buf, format="JPEG", exif=exif)
    asset = _store(session, pio, buf.getvalue())
    assert (asset.width, asset.height) == (80, 120)
    assert Image.open(BytesIO(asset.data)).size == (80, 120)
