"""The media library: every image the agency uploaded, with its alt text, to find and reuse.

Images are stored once (:mod:`content_queue.media`) and attached to any number of posts by
id, so the photo of the dispatch floor used for NPSTW is picked again next year without
uploading it. Alt text stays required: an image without it cannot be attached
(:func:`require_alt_text`), and editing it to nothing is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from content_queue.errors import Forbidden, ValidationFailed
from content_queue.media import MAX_ALT, get_media
from content_queue.models import AUTHOR_ROLES, MediaAsset, PostMedia, User
from content_queue.users import audit

MAX_QUERY = 200


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_media(session: Session, agency_id: int, *, q: str = "", page: int = 1,
                 per_page: int = 24) -> tuple[list[MediaAsset], int]:
    """The agency's images, newest first; ``q`` matches words of the filename or alt text."""
    query = select(MediaAsset).where(MediaAsset.agency_id == agency_id)
    for word in (q or "")[:MAX_QUERY].split()[:8]:
        pattern = f"%{_escape_like(word.lower())}%"
        query = query.where(or_(func.lower(MediaAsset.filename).like(pattern, escape="\\"),
                                func.lower(MediaAsset.alt_text).like(pattern, escape="\\")))
    total = session.scalar(query.with_only_columns(func.count(MediaAsset.id))) or 0
    rows = session.scalars(query.options(defer(MediaAsset.data))
                           .order_by(MediaAsset.created_at.desc(), MediaAsset.id.desc())
                           .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


def usage_counts(session: Session, media_ids: Sequence[int]) -> dict[int, int]:
    """How many posts use each image (shown in the library)."""
    if not media_ids:
        return {}
    rows = session.execute(select(PostMedia.media_id, func.count()).where(
        PostMedia.media_id.in_(list(media_ids))).group_by(PostMedia.media_id)).all()
    return {media_id: n for media_id, n in rows}


def require_alt_text(assets: Sequence[MediaAsset]) -> None:
    """Refuse to attach an image that has no alt text."""
    for asset in assets:
        if not (asset.alt_text or "").strip():
            raise ValidationFailed(
                f"The image {asset.filename} has no alt text. Describe it in the media library "
                "first: people who cannot see it must be told what it shows.",
                code="alt_text_missing", fields={"media_ids": "An image has no alt text."})


def update_alt_text(session: Session, *, actor: User, media_id: int, alt_text: Any,
                    now: datetime) -> MediaAsset:
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers cannot change images.")
    asset = get_media(session, actor, media_id)
    alt = alt_text.strip() if isinstance(alt_text, str) else ""
    if not alt:
        raise ValidationFailed("Describe the image for people who cannot see it (alt text is "
                               "required).", code="alt_text_missing",
                               fields={"alt_text": "Required."})
    if len(alt) > MAX_ALT:
        raise ValidationFailed(f"The alt text is {len(alt)} characters; keep it under {MAX_ALT}.",
                               code="alt_text_too_long", fields={"alt_text": "Too long."})
    previous = asset.alt_text
    asset.alt_text = alt
    audit(session, "media.alt_text_changed", actor_id=actor.id, entity_type="media",
          entity_id=asset.id, now=now, details={"before": previous, "after": alt})
    session.flush()
    return asset
