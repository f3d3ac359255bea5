"""The ``sandbox`` platform: Tenfour's own simple JSON API, for demos without any real network.

Wire format (all under ``/sandbox``; every API answer is JSON and carries
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (epoch s)):

Auth: ``Authorization: Bearer <token>``. Any non-empty token is valid unless it
was revoked (``POST /_sim/revoke`` or a ``revoke_token`` fault). Missing → 401
``unauthorized``; revoked → 401 ``token_revoked``. Errors are always
``{"error": {"code": str, "message": str}}``.

``GET  /api/v1/accounts/<handle>`` → 200 ``{"handle", "display_name"}``. Verifies credentials.
    Handles are 1–30 of ``A-Z a-z 0-9 _ . -``; anything else → 404 ``unknown_account``.
``POST /api/v1/media`` multipart ``file`` (PNG/JPEG/GIF/WebP by magic bytes, ≤ 5 MB) and
    optional ``alt_text`` (≤ 1,500 chars) → 201 ``{"id", "mime_type", "size", "alt_text", "url"}``.
    Not an image / too big / missing → 400 ``invalid_media``; long alt text → 400 ``alt_text_too_long``.
``POST /api/v1/accounts/<handle>/posts`` JSON ``{"text", "media_ids"?, "reply_to_id"?}``
    → 201 ``{"id", "url", "created_at", "text", "handle", "media": [...], "reply_to_id"}``.
    ``created_at`` is ISO 8601 UTC with ``Z``; ``url`` = ``<public base>/sandbox/@<handle>/<id>``.
    Errors (400): ``invalid_request`` (not a JSON object / wrong types), ``text_empty``,
    ``text_too_long`` (> 500 characters), ``too_many_media`` (> 4), ``unknown_media``,
    ``unknown_post`` (reply target). 403 ``duplicate`` ("duplicate content") for the same
    text from the same account within 24 h of engagement time.
    ``Idempotency-Key`` header: a key already used by this account → 200 with the first
    post (checked before validation and duplicate detection, so a retry never fails).
``GET  /api/v1/accounts/<handle>/posts?limit=20&since=<iso>`` → 200 ``{"posts": [...]}`` newest
    first, ``limit`` 1–100, ``since`` inclusive. For reconciling an unknown outcome.
``GET  /api/v1/posts?ids=a,b,c`` → 200 ``{"posts": [{"id", "likes", "reposts", "replies",
    "views"}]}``; ≤ 100 ids (else 400 ``too_many_ids``); unknown ids are omitted.
``GET  /api/v1/posts/<id>/replies`` → 200 ``{"replies": [{"id", "author", "text", "created_at"}]}``
    oldest first; unknown post → 404 ``not_found``.

Pages (HTML, not logged): ``/sandbox/feed``, ``/sandbox/@<handle>/<id>``, ``/sandbox/media/<id>``.
Faults apply to the two writes, request kinds ``"media"`` and ``"post"``, and to the recent-posts
look-up, request kind ``"lookup"`` (a failing look-up after a dropped connection). A fault with no
``request_kind`` matches the writes only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from simulator.auth import require_bearer
from simulator.context import page, public_base, sim_state
from simulator.engagement import metrics_for, visible_replies
from simulator.faults import apply_faults
from simulator.media import sniff_image_type
from simulator.pages import (
    FeedImage,
    FeedItem,
    media_page,
    render_feed,
    render_not_found,
    render_post,
)
from simulator.platform import ApiError, PlatformSpec
from simulator.state import StoredMedia, StoredPost, iso_z, utc_now

NAME = "sandbox"
MAX_TEXT = 500
MAX_MEDIA = 4
MAX_MEDIA_BYTES = 5 * 1024 * 1024
MAX_ALT_TEXT = 1500
MAX_IDS = 100
DUPLICATE_WINDOW_SECONDS = 24 * 3600
HANDLE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,30}$")

bp = Blueprint(NAME, __name__, url_prefix=f"/{NAME}")


def _check_handle(handle: str) -> str:
    if not HANDLE_RE.match(handle):
        raise ApiError(404, "unknown_account", f"No account named {handle!r}.")
    return handle


def _media_json(media: StoredMedia) -> dict[str, Any]:
    return {
        "id": media.id,
        "mime_type": media.mime_type,
        "size": media.size,
        "alt_text": media.alt_text,
        "url": public_base() + url_for("sandbox.media_file", media_id=media.id),
    }


def _post_json(post: StoredPost) -> dict[str, Any]:
    state = sim_state()
    media = [state.get_media(NAME, media_id) for media_id in post.media_ids]
    return {
        "id": post.id,
        "url": public_base() + post.path,
        "created_at": iso_z(post.created_at),
        "text": post.text,
        "handle": post.handle,
        "media": [_media_json(m) for m in media if m is not None],
        "reply_to_id": post.reply_to_id,
    }


@bp.get("/api/v1/accounts/<handle>")
def get_account(handle: str) -> Response:
    require_bearer(NAME)
    _check_handle(handle)
    return jsonify({"handle": handle, "display_name": handle.replace("_", " ").title()})


@bp.post("/api/v1/media")
def upload_media() -> Response | tuple[Response, int]:
    require_bearer(NAME)
    faulted = apply_faults(NAME, "media")
    if faulted is not None:
        return faulted
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "invalid_media", "Attach the image as the multipart field 'file'.")
    data = upload.read(MAX_MEDIA_BYTES + 1)
    if len(data) > MAX_MEDIA_BYTES:
        raise ApiError(400, "invalid_media", "The image is larger than 5 MB.")
    mime_type = sniff_image_type(data)
    if mime_type is None:
        raise ApiError(400, "invalid_media", "The file is not a PNG, JPEG, GIF or WebP image.")
    alt_text = request.form.get("alt_text", "")
    if len(alt_text) > MAX_ALT_TEXT:
        raise ApiError(400, "alt_text_too_long", f"Alt text is limited to {MAX_ALT_TEXT} characters.")
    state = sim_state()
    media = state.add_media(StoredMedia(NAME, state.new_id(), mime_type, data, alt_text, utc_now()))
    return jsonify(_media_json(media)), 201


def _validated_post(body: Any) -> tuple[str, list[str], str | None]:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "Send a JSON object with a 'text' field.")
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "invalid_request", "'text' must be a string.")
    if not text.strip():
        raise ApiError(400, "text_empty", "The post has no text.")
    if len(text) > MAX_TEXT:
        raise ApiError(400, "text_too_long", f"The text is {len(text)} characters; the limit is {MAX_TEXT}.")
    media_ids = body.get("media_ids") or []
    if not isinstance(media_ids, list) or not all(isinstance(m, str) for m in media_ids):
        raise ApiError(400, "invalid_request", "'media_ids' must be a list of strings.")
    if len(media_ids) > MAX_MEDIA:
        raise ApiError(400, "too_many_media", f"A post can carry at most {MAX_MEDIA} images.")
    for media_id in media_ids:
        if sim_state().get_media(NAME, media_id) is None:
            raise ApiError(400, "unknown_media", f"No uploaded media with id {media_id!r}.")
    reply_to = body.get("reply_to_id")
    if reply_to is not None and (not isinstance(reply_to, str) or sim_state().get_post(NAME, reply_to) is None):
        raise ApiError(400, "unknown_post", f"Cannot reply: no post with id {reply_to!r}.")
    return text, media_ids, reply_to


@bp.post("/api/v1/accounts/<handle>/posts")
def create_post(handle: str) -> tuple[Response, int] | Response:
    require_bearer(NAME)
    _check_handle(handle)
    faulted = apply_faults(NAME, "post")
    if faulted is not None:
        return faulted
    key = request.headers.get("Idempotency-Key") or None
    state = sim_state()
    with state.lock:  # check-then-write must be atomic across request threads
        if key is not None:
            earlier = state.find_by_idempotency_key(NAME, handle, key)
            if earlier is not None:
                return jsonify(_post_json(earlier)), 200
        text, media_ids, reply_to = _validated_post(request.get_json(silent=True))
        now = utc_now()
        for other in state.posts_with_text(NAME, handle, text):
            if state.age_seconds(other, now) < DUPLICATE_WINDOW_SECONDS:
                raise ApiError(403, "duplicate", "duplicate content")
        post_id = state.new_id()
        post = state.add_post(
            StoredPost(
                platform=NAME,
                id=post_id,
                handle=handle,
                text=text,
                created_at=now,
                path=f"/{NAME}/@{handle}/{post_id}",
                media_ids=list(media_ids),
                reply_to_id=reply_to,
                idempotency_key=key,
            )
        )
        return jsonify(_post_json(post)), 201


def _parse_since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        since = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_request", "'since' must be an ISO 8601 time.") from None
    return since if since.tzinfo else since.replace(tzinfo=UTC)


@bp.get("/api/v1/accounts/<handle>/posts")
def list_posts(handle: str) -> Response:
    require_bearer(NAME)
    _check_handle(handle)
    limit = request.args.get("limit", 20, type=int)
    if limit is None or not 1 <= limit <= 100:
        raise ApiError(400, "invalid_request", "'limit' must be from 1 to 100.")
    since = _parse_since(request.args.get("since"))
    faulted = apply_faults(NAME, "lookup")
    if faulted is not None:
        return faulted
    posts = [p for p in sim_state().list_posts(NAME, handle) if since is None or p.created_at >= since]
    return jsonify({"posts": [_post_json(p) for p in reversed(posts)][:limit]})


@bp.get("/api/v1/posts")
def post_metrics() -> Response:
    require_bearer(NAME)
    faulted = apply_faults(NAME, "metrics")  # a failing engagement read (request_kind=metrics)
    if faulted is not None:
        return faulted
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if len(ids) > MAX_IDS:
        raise ApiError(400, "too_many_ids", f"Ask for at most {MAX_IDS} ids at a time.")
    state = sim_state()
    found = []
    for post_id in ids:
        post = state.get_post(NAME, post_id)
        if post is None:
            continue
        m = metrics_for(post.id, state.age_seconds(post))
        found.append({"id": post.id, "likes": m.likes, "reposts": m.reposts, "replies": m.replies, "views": m.views})
    return jsonify({"posts": found})


@bp.get("/api/v1/posts/<post_id>/replies")
def post_replies(post_id: str) -> Response:
    require_bearer(NAME)
    state = sim_state()
    post = state.get_post(NAME, post_id)
    if post is None:
        raise ApiError(404, "not_found", f"No post with id {post_id!r}.")
    replies = visible_replies(post.id, post.created_at, state.age_seconds(post))
    return jsonify(
        {"replies": [{"id": r.id, "author": r.author, "text": r.text, "created_at": iso_z(r.created_at)} for r in replies]}
    )


# -- pages ----------------------------------------------------------------------------
def _feed_item(post: StoredPost) -> FeedItem:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    images = [
        FeedImage(url_for("sandbox.media_file", media_id=media.id), media.alt_text)
        for media in (state.get_media(NAME, media_id) for media_id in post.media_ids)
        if media is not None
    ]
    parent = state.get_post(NAME, post.reply_to_id) if post.reply_to_id else None
    return FeedItem(
        id=post.id,
        handle=post.handle,
        text=post.text,
        created_at=post.created_at,
        permalink=post.path,
        likes=m.likes,
        reposts=m.reposts,
        replies=m.replies,
        views=m.views,
        images=images,
        reply_to_url=parent.path if parent else None,
    )


@bp.get("/feed")
@page
def feed() -> str:
    """What a PIO opens to see what Tenfour "published", newest first."""
    return render_feed("Sandbox", [_feed_item(p) for p in reversed(sim_state().list_posts(NAME))])


@bp.get("/@<handle>/<post_id>")
@page
def permalink(handle: str, post_id: str) -> str | tuple[str, int]:
    state = sim_state()
    post = state.get_post(NAME, post_id)
    if post is None or post.handle != handle:
        return render_not_found("This post does not exist (or the simulator was reset).")
    replies = visible_replies(post.id, post.created_at, state.age_seconds(post))
    return render_post("Sandbox", url_for("sandbox.feed"), _feed_item(post), replies)


@bp.get("/media/<media_id>")
@page
def media_file(media_id: str) -> Response | tuple[str, int]:
    return media_page(NAME, media_id)


PLATFORM = PlatformSpec(
    name=NAME,
    title="Sandbox",
    blueprint=bp,
    feed_endpoint="sandbox.feed",
    description="Tenfour's own test network: simple JSON API, no credentials needed.",
)
