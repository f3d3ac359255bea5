"""Images: checked and cleaned on upload, attached to posts, handed to connectors.

An upload is refused unless Pillow can fully decode it as JPEG, PNG, GIF or WebP, and is then
re-encoded: only its pixels are kept, never the uploaded bytes, so no metadata (EXIF can hold
the GPS position and time a photo was taken — on a dispatch floor, or in a dispatcher's home),
comment or trailing data survives. Every image needs alt text before it can be attached.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings
from datetime import datetime
from io import BytesIO
from typing import Any, Sequence

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import NotFound, ValidationFailed
from content_queue.ids import to_id
from content_queue.models import MediaAsset, User
from content_queue.platforms import MediaFacts
from content_queue.ports import MediaItem
from content_queue.users import audit

MAX_UPLOAD = 16 * 1024 * 1024
MAX_ALT = 1500
#: A post carries at most this many images (Instagram allows 10 in a carousel, X 4).
MAX_MEDIA = 10
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def _refuse(message: str, code: str = "invalid_image", field: str = "file") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: message})


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data))
            probe.verify()  # structure and checksums
            image = Image.open(BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse("The image has too many pixels (over 40 megapixels).")
            image.load()  # decodes every byte: a truncated file fails here
            return image
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("This file is not an image Tenfour can post. Use a JPEG, PNG, GIF or "
                      "WebP file that opens on your computer.") from None


def _fresh(frame: Image.Image, mode: str) -> Image.Image:
    """The pixels of ``frame`` in a new image that carries nothing else (no info, no EXIF)."""
    clean = frame.convert(mode) if frame.mode != mode else frame.copy()
    clean.info = {}
    return clean


def _reencode(image: Image.Image, fmt: str) -> bytes:
    """A new file holding only the pixels (every frame of an animation, and its timing): no
    EXIF, XMP, ICC, JPEG COM or APP segments, PNG text chunks, GIF comments, nor bytes after
    the image's end. Photos are turned upright first, since their EXIF orientation goes."""
    frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    durations = [int(f.info.get("duration") or 100) for f in frames]
    loop = int(image.info.get("loop", 0) or 0)
    out = BytesIO()
    if fmt == "JPEG":
        first = ImageOps.exif_transpose(frames[0]) or frames[0]
        mode = first.mode if first.mode in ("RGB", "L") else "RGB"
        _fresh(first, mode).save(out, format="JPEG", quality=92, optimize=True)
    elif fmt == "PNG":
        first = ImageOps.exif_transpose(frames[0]) or frames[0]
        mode = first.mode if first.mode in ("RGB", "RGBA", "L", "LA", "I", "I;16") else "RGBA"
        _fresh(first, mode).save(out, format="PNG", optimize=True)
    else:  # GIF and WebP, perhaps animated
        clean = [_fresh(frame, "RGBA") for frame in frames]
        options: dict[str, Any] = {"save_all": len(clean) > 1, "append_images": clean[1:]}
        if len(clean) > 1:
            options.update(duration=durations, loop=loop)
        if fmt == "GIF":
            options["disposal"] = 2
        else:
            options.update(quality=90, method=4)
        clean[0].save(out, format=fmt, **options)
    return out.getvalue()


def store_media(session: Session, *, actor: User, data: bytes, filename: str, alt_text: Any,
                now: datetime) -> MediaAsset:
    if not data:
        raise _refuse("The file is empty.")
    if len(data) > MAX_UPLOAD:
        raise _refuse(f"The file is {len(data) / 1048576:.1f} MB; the largest Tenfour accepts "
                      "is 16 MB.", code="image_too_large")
    alt = alt_text.strip() if isinstance(alt_text, str) else ""
    if not alt:
        raise _refuse("Describe the image for people who cannot see it (alt text is required).",
                      code="alt_text_missing", field="alt_text")
    if len(alt) > MAX_ALT:
        raise _refuse(f"The alt text is {len(alt)} characters; keep it under {MAX_ALT}.",
                      code="alt_text_too_long", field="alt_text")
    image = _decode(data)
    fmt = image.format or ""
    if fmt not in FORMATS:
        raise _refuse(f"{fmt or 'This'} images cannot be posted; use JPEG, PNG, GIF or WebP.")
    clean = _reencode(image, fmt)
    width, height = Image.open(BytesIO(clean)).size  # an upright photo may have turned
    asset = MediaAsset(agency_id=actor.agency_id, uploaded_by_id=actor.id,
                       filename=(filename or "image")[:255], mime_type=FORMATS[fmt],
                       size=len(clean), width=width, height=height,
                       sha256=hashlib.sha256(clean).hexdigest(), alt_text=alt, data=clean,
                       created_at=now)
    session.add(asset)
    session.flush()
    audit(session, "media.uploaded", actor_id=actor.id, entity_type="media", entity_id=asset.id,
          now=now, details={"filename": asset.filename, "mime_type": asset.mime_type,
                            "size": asset.size})
    return asset


def load_media(session: Session, actor: User, media_ids: Any) -> list[MediaAsset]:
    if media_ids in (None, []):
        return []
    if not isinstance(media_ids, (list, tuple)):
        raise ValidationFailed("media_ids must be a list.", fields={"media_ids": "Must be a list."})
    if len(media_ids) > MAX_MEDIA:
        raise ValidationFailed(f"A post can carry at most {MAX_MEDIA} images.",
                               code="too_many_media", fields={"media_ids": f"At most {MAX_MEDIA}."})
    ids: dict[int, None] = {}  # ordered and de-duplicated in one pass
    for raw in media_ids:
        media_id = to_id(raw)
        if media_id is None:
            raise ValidationFailed(f"{raw!r} is not a media id.", code="unknown_media",
                                   fields={"media_ids": f"{raw!r} is not a media id."})
        ids[media_id] = None
    found = {m.id: m for m in session.scalars(
        select(MediaAsset).where(MediaAsset.id.in_(list(ids)), MediaAsset.agency_id == actor.agency_id))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"No image with id {', '.join(map(str, missing))}.",
                               code="unknown_media", fields={"media_ids": "Unknown image."})
    return [found[i] for i in ids]


def get_media(session: Session, actor: User, media_id: int) -> MediaAsset:
    asset = session.get(MediaAsset, media_id)
    if asset is None or asset.agency_id != actor.agency_id:
        raise NotFound(f"No image with id {media_id}.")
    return asset


def media_facts(assets: Sequence[MediaAsset]) -> list[MediaFacts]:
    return [MediaFacts(a.mime_type, a.size, a.alt_text) for a in assets]


def media_items(assets: Sequence[MediaAsset], url_for=None) -> tuple[MediaItem, ...]:
    return tuple(MediaItem(data=a.data, mime_type=a.mime_type, alt_text=a.alt_text,
                           filename=a.filename, url=url_for(a) if url_for else None)
                 for a in assets)


def media_signature(media_id: int, sha256: str, secret: str) -> str:
    """An unguessable path component for the public image URL Instagram fetches."""
    msg = f"{media_id}:{sha256}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]
