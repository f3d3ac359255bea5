"""The ``facebook`` platform: Facebook Pages on the simulated Graph host (see ``graph_api``).

Wire format (under ``/graph/<version>``; token in ``access_token`` (query, form or multipart)
or a bearer header; any non-empty token is a Page token for any Page unless revoked, except
the simulator's own user tokens (``EAAU…``), which Facebook refuses for Page writes):

``GET  /<page-id>?fields=name,username,link`` → the Page (demo Pages have names; any other
    numeric id is "Page <id>").
``POST /<page-id>/feed`` form ``message``, ``link``?, ``attached_media[i]={"media_fbid": "<id>"}``
    → ``{"id": "<page-id>_<n>"}``. Refusals: no message/link/media → (#100); message over
    63,206 characters → (#100); ``link`` not http(s) → (#100); ``link`` with attached media →
    (#100); a media_fbid that is not an unpublished, unattached photo of this Page → (#100);
    the same message without media within 24 h → (#506) "Duplicate status message"; a user
    token → (#200) pages_manage_posts. Request kind "post".
``POST /<page-id>/photos`` multipart ``source`` (JPEG/PNG/GIF/WebP by magic bytes, < 10 MB),
    ``message``?, ``alt_text_custom``?, ``published`` (default true) → published:
    ``{"id": <photo>, "post_id": "<page-id>_<n>"}`` (request kind "post"); ``published=false``:
    ``{"id": <photo>}``, to attach to a feed post later (request kind "media"). Not an image →
    (#324); 10 MB or more → (#100).
``GET  /<page-id>/published_posts`` (also ``/feed``, ``/posts``) ``?fields&limit&since`` →
    ``{"data": [...], "paging"}`` newest first (comments excluded).
``GET  /<post-id>?fields=message,created_time,permalink_url,shares,reactions.summary(total_count)
    .limit(0),comments.summary(total_count).limit(0),insights.metric(post_media_view)`` and
    ``GET /?ids=a,b&fields=...`` for several posts at once.
``GET  /<post-id>/insights?metric=post_media_view,post_total_media_view_unique`` (or
    ``/insights/<metric>``) → ``{"data": [{"name", "period": "lifetime", "values": [{"value"}]}]}``;
    ``post_impressions*`` → (#100) (replaced by ``post_media_view`` on 2025-11-15).
``POST /<post-id>/comments`` ``message`` → ``{"id"}`` (request kind "comment");
    ``GET /<post-id>/comments`` → the Page's own comments and the community's, oldest first,
    each ``{"id", "message", "created_time", "from": {"id", "name"}}``.

Faults (core kinds) come out as Graph errors: rate_limit → (#80001) with
``X-Business-Use-Case-Usage`` (``estimated_time_to_regain_access`` in minutes), revoke_token →
190, duplicate → 506, server_error → 500 code 2.
Pages: ``/facebook/feed``, ``/facebook/<page-id>/posts/<n>``, ``/facebook/photos/<id>``.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for

from simulator.context import page, public_base, sim_state
from simulator.engagement import Reply, metrics_for, visible_replies
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
from simulator.platform import PlatformSpec
from simulator.platforms import graph_oauth  # noqa: F401  (registers /me and the OAuth routes)
from simulator.platforms.graph_api import bp as graph_bp
from simulator.platforms.graph_api import fallback_resolver, fields, handles, resolver
from simulator.platforms.graph_core import (
    IG_USER_RE,
    PAGE_ID_RE,
    error_responder,
    graph_error,
    graph_time,
    is_user_token,
    limit_arg,
    metric_list,
    page_of,
    parse_since,
    require_token,
    select,
    usage_headers,
)
from simulator.platforms.graph_oauth import DEMO_PAGES
from simulator.state import StoredMedia, StoredPost, utc_now

NAME = "facebook"
MAX_TEXT = 63206
MAX_PHOTO_BYTES = 10 * 1024 * 1024
DUPLICATE_WINDOW_SECONDS = 24 * 3600
INSIGHT_METRICS = ("post_media_view", "post_total_media_view_unique")
ATTACHED_RE = re.compile(r"^attached_media\[(\d+)\]$")

bp = Blueprint(NAME, __name__)
bp.register_blueprint(graph_bp)


# -- which objects are ours --------------------------------------------------------------------
@resolver
def _stored(object_id: str) -> tuple[str, str, str] | None:
    state = sim_state()
    post = state.get_post(NAME, object_id)
    if post is not None:
        return NAME, "comment" if post.extra.get("kind") == "comment" else "post", post.handle
    photo = state.get_media(NAME, object_id)
    if photo is not None:
        return NAME, "photo", photo.extra.get("page_id", "")
    return None


@fallback_resolver
def _page(object_id: str) -> tuple[str, str, str] | None:
    """Any other numeric id is a Page (asked after the stores and the Instagram patterns)."""
    if PAGE_ID_RE.match(object_id) and not IG_USER_RE.match(object_id):
        return NAME, "page", object_id
    return None


def _page_token(page_id: str) -> str:
    token = require_token(NAME)
    if is_user_token(token):
        raise graph_error(403, 200, "If posting to a page, requires both pages_read_engagement and "
                          "pages_manage_posts as an admin with sufficient administrative permission")
    return token


def _page_record(page_id: str) -> dict[str, Any]:
    demo = next((p for p in DEMO_PAGES if p["id"] == page_id), None)
    name = demo["name"] if demo else f"Page {page_id}"
    username = demo["username"] if demo else None
    return {"id": page_id, "name": name, "username": username, "category": "Government organization",
            "link": f"https://www.facebook.com/{username or page_id}", "fan_count": 1200}


# -- Pages -------------------------------------------------------------------------------------
@handles("page", "GET")
def get_page(page_id: str) -> Response:
    require_token(NAME)
    return jsonify(select(_page_record(page_id), fields(), ("name",)))


def _attached_media(page_id: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for key, value in request.form.items():
        match = ATTACHED_RE.match(key)
        if match is None:
            continue
        try:
            media_fbid = str(json.loads(value)["media_fbid"])
        except (ValueError, TypeError, KeyError):
            raise graph_error(400, 100, f"Param {key} must be a JSON object with media_fbid") from None
        found.append((int(match.group(1)), media_fbid))
    ids = [media_id for _, media_id in sorted(found)]
    if len(ids) > 30:
        raise graph_error(400, 100, "A post can have at most 30 attached_media items")
    for media_id in ids:
        photo = sim_state().get_media(NAME, media_id)
        if (photo is None or photo.extra.get("page_id") != page_id or photo.extra.get("published")
                or photo.extra.get("attached_to")):
            raise graph_error(400, 100, f"Invalid attached_media: media_fbid {media_id} is not an "
                              "unpublished photo of this Page")
    if len(set(ids)) != len(ids):
        raise graph_error(400, 100, "The same media_fbid is attached twice")
    return ids


def _check_message(message: str) -> None:
    if len(message) > MAX_TEXT:
        raise graph_error(400, 100, f"The message is {len(message)} characters; the limit is {MAX_TEXT}")


def _new_post(page_id: str, message: str, media_ids: list[str], **extra: Any) -> StoredPost:
    state = sim_state()
    number = state.new_id()
    post = state.add_post(StoredPost(
        platform=NAME, id=f"{page_id}_{number}", handle=page_id, text=message, created_at=utc_now(),
        path=f"/{NAME}/{page_id}/posts/{number}", media_ids=media_ids,
        extra={"kind": "post", **extra}))
    for media_id in media_ids:
        photo = state.get_media(NAME, media_id)
        if photo is not None:
            photo.extra["attached_to"] = post.id
    return post


@handles("page", "POST", "feed")
def create_feed_post(page_id: str) -> Response:
    _page_token(page_id)
    faulted = apply_faults(NAME, "post")
    if faulted is not None:
        return faulted
    message = request.form.get("message", "")
    link = request.form.get("link") or None
    if request.form.get("published", "true").lower() == "false":
        raise graph_error(400, 100, "Unpublished posts need scheduled_publish_time, which the simulator "
                          "does not support")
    state = sim_state()
    with state.lock:
        media_ids = _attached_media(page_id)
        if not message.strip() and not link and not media_ids:
            raise graph_error(400, 100, "Missing message or attachment")
        _check_message(message)
        if link is not None:
            if not re.match(r"^https?://[^\s/]+\.[^\s]+$", link):
                raise graph_error(400, 100, "The parameter link must be a valid URL")
            if media_ids:
                raise graph_error(400, 100, "link and attached_media cannot be used together")
        if message.strip() and not media_ids:
            for other in state.posts_with_text(NAME, page_id, message):
                if (other.extra.get("kind") == "post" and not other.media_ids
                        and state.age_seconds(other) < DUPLICATE_WINDOW_SECONDS):
                    raise graph_error(400, 506, "Duplicate status message")
        post = _new_post(page_id, message, media_ids, link=link)
    return jsonify({"id": post.id})


@handles("page", "POST", "photos")
def upload_photo(page_id: str) -> Response:
    _page_token(page_id)
    published = request.form.get("published", "true").lower() != "false"
    faulted = apply_faults(NAME, "post" if published else "media")
    if faulted is not None:
        return faulted
    upload = request.files.get("source")
    if upload is None:
        raise graph_error(400, 324, "Requires upload file")
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) >= MAX_PHOTO_BYTES:
        raise graph_error(400, 100, "Photos must be smaller than 10 MB")
    mime_type = sniff_image_type(data)
    if mime_type is None:
        raise graph_error(400, 324, "Missing or invalid image file")
    message = request.form.get("message", "")
    _check_message(message)
    state = sim_state()
    with state.lock:
        photo = state.add_media(StoredMedia(
            NAME, state.new_id(), mime_type, data, request.form.get("alt_text_custom", ""), utc_now(),
            extra={"page_id": page_id, "published": published, "attached_to": None}))
        if not published:
            return jsonify({"id": photo.id})
        post = _new_post(page_id, message, [photo.id])
    return jsonify({"id": photo.id, "post_id": post.id})


def _post_json(post: StoredPost) -> dict[str, Any]:
    return {"id": post.id, "message": post.text or None, "created_time": graph_time(post.created_at),
            "permalink_url": public_base() + post.path, "status_type": "added_photos" if post.media_ids
            else "mobile_status_update", "is_published": True}


@handles("page", "GET", "published_posts")
@handles("page", "GET", "posts")
@handles("page", "GET", "feed")
def list_page_posts(page_id: str) -> Response:
    require_token(NAME)
    limit = limit_arg()
    since = parse_since(request.args.get("since"))
    posts = [p for p in reversed(sim_state().list_posts(NAME, page_id))
             if p.extra.get("kind") == "post" and (since is None or p.created_at >= since)]
    wanted = fields()
    return jsonify(page_of([select(_post_json(p), wanted, ("message", "created_time")) for p in posts], limit))


# -- posts ---------------------------------------------------------------------------------------
def _own_comments(post: StoredPost) -> list[StoredPost]:
    return [c for c in sim_state().list_posts(NAME, post.handle)
            if c.extra.get("kind") == "comment" and c.reply_to_id == post.id]


def _comment_records(post: StoredPost) -> list[dict[str, Any]]:
    state = sim_state()
    page = _page_record(post.handle)
    own = [{"id": c.id, "message": c.text, "created_time": graph_time(c.created_at), "_at": c.created_at,
            "from": {"id": page["id"], "name": page["name"]}} for c in _own_comments(post)]
    community = [{"id": f"{post.id.split('_')[-1]}_{r.id}", "message": r.text,
                  "created_time": graph_time(r.created_at), "_at": r.created_at,
                  "from": {"id": str(10**14 + zlib.crc32(r.author.encode())), "name": r.author}}
                 for r in visible_replies(post.id, post.created_at, state.age_seconds(post))]
    rows = sorted(own + community, key=lambda r: r["_at"])
    for row in rows:
        row.pop("_at")
    return rows


def _insights(post: StoredPost, metrics: list[str]) -> dict[str, Any]:
    m = metrics_for(post.id, sim_state().age_seconds(post))
    values = {"post_media_view": m.views, "post_total_media_view_unique": int(m.views * 0.7)}
    out = []
    for name in metrics:
        if name not in values:
            raise graph_error(400, 100, f"The value must be a valid insights metric: {name} "
                              "(post_impressions* were replaced by post_media_view on 2025-11-15)")
        out.append({"name": name, "period": "lifetime", "values": [{"value": values[name]}],
                    "title": name.replace("_", " ").title(), "id": f"{post.id}/insights/{name}/lifetime"})
    return {"data": out}


def _summary(count: int) -> dict[str, Any]:
    return {"data": [], "summary": {"total_count": count, "can_comment": True, "order": "chronological"}}


@handles("post", "GET")
def get_post(post_id: str) -> Response:
    require_token(NAME)
    post = sim_state().get_post(NAME, post_id)
    assert post is not None
    wanted = fields()
    m = metrics_for(post.id, sim_state().age_seconds(post))
    record = _post_json(post)
    if "shares" in wanted and m.reposts:
        record["shares"] = {"count": m.reposts}
    if "reactions" in wanted:
        record["reactions"] = _summary(m.likes)
    if "likes" in wanted:
        record["likes"] = _summary(m.likes)
    if "comments" in wanted:
        record["comments"] = _summary(m.replies + len(_own_comments(post)))
    if "insights" in wanted:
        record["insights"] = _insights(post, metric_list(wanted["insights"]) or list(INSIGHT_METRICS))
    if "attachments" in wanted:
        record["attachments"] = {"data": [{"media_type": "photo", "target": {"id": media_id}}
                                          for media_id in post.media_ids]}
    return jsonify(select(record, wanted, ("message", "created_time")))


@handles("post", "GET", "insights")
def post_insights(post_id: str) -> Response:
    require_token(NAME)
    post = sim_state().get_post(NAME, post_id)
    assert post is not None
    metrics = [g.get("graph_path_rest")] if g.get("graph_path_rest") else \
        [s for s in request.args.get("metric", "").split(",") if s]
    if not metrics:
        raise graph_error(400, 100, "The parameter metric is required")
    return jsonify(_insights(post, metrics))


@handles("post", "GET", "comments")
def list_comments(post_id: str) -> Response:
    require_token(NAME)
    post = sim_state().get_post(NAME, post_id)
    assert post is not None
    rows = _comment_records(post)
    wanted = fields()
    return jsonify(page_of([select(r, wanted, ("created_time", "from", "message")) for r in rows],
                           limit_arg(default=25, high=100)))


@handles("post", "POST", "comments")
def create_comment(post_id: str) -> Response:
    post = sim_state().get_post(NAME, post_id)
    assert post is not None
    _page_token(post.handle)
    faulted = apply_faults(NAME, "comment")
    if faulted is not None:
        return faulted
    message = request.form.get("message", "")
    if not message.strip():
        raise graph_error(400, 100, "Missing message or attachment")
    _check_message(message)
    state = sim_state()
    comment_id = f"{post.id.split('_')[-1]}_{state.new_id()}"
    state.add_post(StoredPost(platform=NAME, id=comment_id, handle=post.handle, text=message,
                              created_at=utc_now(), path=post.path, reply_to_id=post.id,
                              extra={"kind": "comment"}))
    return jsonify({"id": comment_id})


@handles("comment", "GET")
def get_comment(comment_id: str) -> Response:
    require_token(NAME)
    comment = sim_state().get_post(NAME, comment_id)
    assert comment is not None
    page = _page_record(comment.handle)
    record = {"id": comment.id, "message": comment.text, "created_time": graph_time(comment.created_at),
              "from": {"id": page["id"], "name": page["name"]}, "parent_id": comment.reply_to_id}
    return jsonify(select(record, fields(), ("created_time", "from", "message")))


@handles("photo", "GET")
def get_photo(photo_id: str) -> Response:
    require_token(NAME)
    photo = sim_state().get_media(NAME, photo_id)
    assert photo is not None
    record = {"id": photo.id, "alt_text_custom": photo.alt_text or None,
              "alt_text": "May be an image", "published": photo.extra.get("published"),
              "link": public_base() + url_for("facebook.photo_file", photo_id=photo.id),
              "page_story_id": photo.extra.get("attached_to")}
    return jsonify(select(record, fields(), ("created_time", "name")))


# -- pages for people ---------------------------------------------------------------------------
def _feed_item(post: StoredPost) -> FeedItem:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    images = [FeedImage(url_for("facebook.photo_file", photo_id=media.id), media.alt_text)
              for media in (state.get_media(NAME, i) for i in post.media_ids) if media is not None]
    text = post.text + (f"\n{post.extra['link']}" if post.extra.get("link") and
                        post.extra["link"] not in post.text else "")
    return FeedItem(id=post.id, handle=_page_record(post.handle).get("username") or post.handle,
                    text=text, created_at=post.created_at, permalink=post.path, likes=m.likes,
                    reposts=m.reposts, replies=m.replies + len(_own_comments(post)), views=m.views,
                    images=images)


@bp.get("/facebook/feed")
@page
def feed() -> str:
    posts = [p for p in reversed(sim_state().list_posts(NAME)) if p.extra.get("kind") == "post"]
    return render_feed("Facebook", [_feed_item(p) for p in posts])


@bp.get("/facebook/<page_id>/posts/<number>")
@page
def permalink(page_id: str, number: str) -> str | tuple[str, int]:
    state = sim_state()
    post = state.get_post(NAME, f"{page_id}_{number}")
    if post is None:
        return render_not_found("This post does not exist (or the simulator was reset).")
    own = [Reply(c.id, _page_record(post.handle)["name"], c.text, c.created_at) for c in _own_comments(post)]
    community = visible_replies(post.id, post.created_at, state.age_seconds(post))
    replies = sorted(own + community, key=lambda r: r.created_at)
    return render_post("Facebook", url_for("facebook.feed"), _feed_item(post), replies)


@bp.get("/facebook/photos/<photo_id>")
@page
def photo_file(photo_id: str) -> Response | tuple[str, int]:
    return media_page(NAME, photo_id, missing="No such photo.")


PLATFORM = PlatformSpec(
    name=NAME,
    title="Facebook",
    blueprint=bp,
    feed_endpoint="facebook.feed",
    error_response=error_responder(80001, "There have been too many calls to this Page account. "
                                   "Wait a bit and try again."),
    rate_limit_headers=usage_headers("pages"),
    rate_limit=4800,
    rate_window_seconds=24 * 3600,
    description="Facebook Pages on a simulated Graph API (graph.facebook.com = /graph).",
    path_prefixes=("graph",),
)
