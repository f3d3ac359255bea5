"""The ``instagram`` platform: Instagram professional accounts on the simulated Graph host.

Instagram Graph API through Facebook Login lives on graph.facebook.com, like Pages, so its API
is served by ``graph_api`` under ``/graph/<version>``; this module adds the Instagram objects.
Any non-empty, unrevoked token works (a Page token in real life).

``GET  /<ig-user-id>?fields=username,name`` → the account (``1784`` + 13 digits; the demo
    account 17841400000000001 is @metro911).
``POST /<ig-user-id>/media`` form ``image_url``, ``caption``?, ``alt_text``?,
    ``is_carousel_item``? → ``{"id": <container>}`` (request kind "container"). The simulator
    really fetches ``image_url`` (GET, 10 s timeout) like Instagram's crawler: not http(s), an
    error status or no answer → (#9004) subcode 2207052 "Media download has failed"; not a
    JPEG → (#36001) 2207005; 8 MiB or more → (#36000) 2207004. Caption over 2,200 characters
    or with more than 30 hashtags → (#36004) 2207010.
    ``media_type=CAROUSEL`` with ``children`` (2–10 comma-separated item containers of this
    account) and ``caption`` → a carousel container; bad children → (#100).
``GET  /<container-id>?fields=status_code,status`` → ``IN_PROGRESS`` on the first read (processing
    takes one poll here), then ``FINISHED``; ``PUBLISHED`` once published.
``POST /<ig-user-id>/media_publish`` ``creation_id`` → ``{"id": <media id>}`` (request kind "post").
    A container not FINISHED yet → (#9007) 2207027 "Media ID is not available"; published
    already / unknown / another account's → (#100); the 51st post within 24 h →
    (#9) 2207042 "You reached maximum number of posts…".
``GET  /<ig-user-id>/content_publishing_limit`` → ``{"data": [{"quota_usage", "config"}]}``.
``GET  /<ig-user-id>/media?fields=id,caption,permalink,timestamp&limit`` → newest first.
``GET  /<media-id>?fields=caption,permalink,timestamp,like_count,comments_count,media_type,username``
    (also through ``GET /?ids=a,b``).
``GET  /<media-id>/insights?metric=views,reach,likes,comments,shares,saved,total_interactions``
    → ``{"data": [{"name", "period": "lifetime", "values": [{"value"}]}]}``; ``impressions``,
    ``plays`` → (#100) (deprecated since v22.0).
``GET  /<media-id>/comments`` → ``{"data": [{"id", "text", "username", "timestamp"}]}`` oldest first;
    ``POST /<media-id>/comments`` ``message`` (request kind "comment").

Faults: rate_limit → (#80002) with ``X-Business-Use-Case-Usage`` (type ``instagram``);
revoke_token → 190; server_error → 500 code 2; duplicate → 506.
Pages: ``/instagram/feed``, ``/instagram/p/<media-id>/``, ``/instagram/media/<container-id>``.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from simulator.context import page, public_base, sim_state
from simulator.engagement import Reply, metrics_for, visible_replies
from simulator.faults import apply_faults
from simulator.media import JPEG_MAGIC
from simulator.pages import (
    FeedImage,
    FeedItem,
    media_page,
    render_feed,
    render_not_found,
    render_post,
)
from simulator.platform import PlatformSpec
from simulator.platforms.graph_api import fields, handles, resolver
from simulator.platforms.graph_core import (
    IG_USER_RE,
    error_responder,
    graph_error,
    graph_time,
    limit_arg,
    page_of,
    require_token,
    select,
    usage_headers,
)
from simulator.platforms.graph_oauth import DEMO_PAGES
from simulator.state import StoredMedia, StoredPost, utc_now

NAME = "instagram"
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_CHILDREN = 10
PUBLISH_LIMIT = 50
PUBLISH_WINDOW_SECONDS = 24 * 3600
FETCH_TIMEOUT_SECONDS = 10
HASHTAG_RE = re.compile(r"(?:^|\s)#\w+", re.UNICODE)
METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
CAROUSEL_MIME = "application/x-instagram-carousel"

bp = Blueprint(NAME, __name__, url_prefix=f"/{NAME}")


@resolver
def _instagram(object_id: str) -> tuple[str, str, str] | None:
    state = sim_state()
    post = state.get_post(NAME, object_id)
    if post is not None:
        return NAME, "media", post.handle
    container = state.get_media(NAME, object_id)
    if container is not None:
        return NAME, "container", container.extra["ig_user_id"]
    if IG_USER_RE.match(object_id):
        return NAME, "ig_user", object_id
    return None


def _username(ig_user_id: str) -> str:
    for demo in DEMO_PAGES:
        account = demo["instagram_business_account"]
        if account and account["id"] == ig_user_id:
            return str(account["username"])
    return f"ecc_{ig_user_id[-6:]}"


@handles("ig_user", "GET")
def get_user(ig_user_id: str) -> Response:
    require_token(NAME)
    record = {"id": ig_user_id, "username": _username(ig_user_id), "name": _username(ig_user_id).upper(),
              "media_count": len(sim_state().list_posts(NAME, ig_user_id)), "followers_count": 800}
    return jsonify(select(record, fields(), ("id",)))


# -- containers --------------------------------------------------------------------------------
def _fetch_image(url: str) -> bytes:
    """Download ``url`` the way Instagram's crawler does, refusing what it would refuse."""
    failed = "Media download has failed. The media URI doesn't meet our requirements."
    if not re.match(r"^https?://", url):
        raise graph_error(400, 9004, failed, subcode=2207052)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "facebookexternalhit/1.1"}),
                                    timeout=FETCH_TIMEOUT_SECONDS) as response:
            data = response.read(MAX_IMAGE_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError):
        raise graph_error(400, 9004, failed, subcode=2207052) from None
    if len(data) >= MAX_IMAGE_BYTES:
        raise graph_error(400, 36000, "The image size is too large. It should be less than 8 MiB.",
                          subcode=2207004)
    if not data.startswith(JPEG_MAGIC):
        raise graph_error(400, 36001, "The image format is not supported. Supported formats are: JPEG",
                          subcode=2207005)
    return data


def _check_caption(caption: str) -> None:
    tags = len(HASHTAG_RE.findall(caption))
    if len(caption) > MAX_CAPTION or tags > MAX_HASHTAGS:
        raise graph_error(400, 36004, f"The caption was too long: {len(caption)} characters and {tags} "
                          f"hashtags (limits: {MAX_CAPTION} characters, {MAX_HASHTAGS} hashtags).",
                          subcode=2207010)


def _children(ig_user_id: str) -> list[str]:
    raw = request.form.get("children", "")
    ids = [c.strip() for c in raw.split(",") if c.strip()]
    if not 2 <= len(ids) <= MAX_CHILDREN:
        raise graph_error(400, 100, f"A carousel needs 2 to {MAX_CHILDREN} children; got {len(ids)}")
    for child_id in ids:
        child = sim_state().get_media(NAME, child_id)
        if child is None or child.extra["ig_user_id"] != ig_user_id or child.extra["kind"] != "CAROUSEL_ITEM":
            raise graph_error(400, 100, f"The parameter children is invalid: {child_id} is not a carousel "
                              "item container of this account")
    return ids


@handles("ig_user", "POST", "media")
def create_container(ig_user_id: str) -> Response:
    require_token(NAME)
    faulted = apply_faults(NAME, "container")
    if faulted is not None:
        return faulted
    caption = request.form.get("caption", "")
    state = sim_state()
    if request.form.get("media_type", "").upper() == "CAROUSEL":
        _check_caption(caption)
        children = _children(ig_user_id)
        container = state.add_media(StoredMedia(
            NAME, state.new_id(), CAROUSEL_MIME, b"", "", utc_now(),
            extra={"ig_user_id": ig_user_id, "kind": "CAROUSEL", "caption": caption,
                   "children": children, "status_reads": 0, "published_media_id": None}))
        return jsonify({"id": container.id})
    if request.form.get("media_type") not in (None, "", "IMAGE"):
        raise graph_error(400, 100, "The simulator supports image and carousel containers only")
    image_url = request.form.get("image_url")
    if not image_url:
        raise graph_error(400, 100, "The parameter image_url is required")
    item = request.form.get("is_carousel_item", "false").lower() == "true"
    if not item:
        _check_caption(caption)
    data = _fetch_image(image_url)
    container = state.add_media(StoredMedia(
        NAME, state.new_id(), "image/jpeg", data, request.form.get("alt_text", ""), utc_now(),
        extra={"ig_user_id": ig_user_id, "kind": "CAROUSEL_ITEM" if item else "IMAGE",
               "caption": "" if item else caption, "image_url": image_url, "status_reads": 0,
               "published_media_id": None}))
    return jsonify({"id": container.id})


def _status(container: StoredMedia) -> str:
    if container.extra.get("published_media_id"):
        return "PUBLISHED"
    return "FINISHED" if container.extra["status_reads"] > 0 else "IN_PROGRESS"


@handles("container", "GET")
def get_container(container_id: str) -> Response:
    require_token(NAME)
    state = sim_state()
    with state.lock:
        container = state.get_media(NAME, container_id)
        assert container is not None
        status = _status(container)
        container.extra["status_reads"] += 1
    record = {"id": container.id, "status_code": status,
              "status": "Finished: Media has been uploaded and it is ready to be published."
              if status != "IN_PROGRESS" else "In Progress: Media is still being processed."}
    return jsonify(select(record, fields(), ("id",)))


def _published_in_window(ig_user_id: str) -> int:
    state = sim_state()
    return sum(1 for p in state.list_posts(NAME, ig_user_id) if state.age_seconds(p) < PUBLISH_WINDOW_SECONDS)


@handles("ig_user", "POST", "media_publish")
def publish(ig_user_id: str) -> Response:
    require_token(NAME)
    faulted = apply_faults(NAME, "post")
    if faulted is not None:
        return faulted
    creation_id = request.form.get("creation_id", "")
    state = sim_state()
    with state.lock:
        container = state.get_media(NAME, creation_id)
        if container is None or container.extra["ig_user_id"] != ig_user_id:
            raise graph_error(400, 24, f"The media with id {creation_id or '(none)'} cannot be found",
                              subcode=2207006)
        if container.extra["kind"] == "CAROUSEL_ITEM":
            raise graph_error(400, 100, "A carousel item container cannot be published on its own")
        if container.extra.get("published_media_id"):
            raise graph_error(400, 100, "This container was already published")
        if _status(container) != "FINISHED":
            raise graph_error(400, 9007, "Media ID is not available. The media is not ready for "
                              "publishing, please wait for a moment", subcode=2207027)
        if _published_in_window(ig_user_id) >= PUBLISH_LIMIT:
            raise graph_error(400, 9, "You reached maximum number of posts that is allowed to be "
                              "published by Content Publishing API.", subcode=2207042)
        media_id = state.new_id()
        carousel = container.extra["kind"] == "CAROUSEL"
        state.add_post(StoredPost(
            platform=NAME, id=media_id, handle=ig_user_id, text=container.extra["caption"],
            created_at=utc_now(), path=f"/{NAME}/p/{media_id}/",
            media_ids=list(container.extra["children"]) if carousel else [container.id],
            extra={"kind": "media", "container_id": container.id,
                   "media_type": "CAROUSEL_ALBUM" if carousel else "IMAGE"}))
        container.extra["published_media_id"] = media_id
    return jsonify({"id": media_id})


@handles("ig_user", "GET", "content_publishing_limit")
def publishing_limit(ig_user_id: str) -> Response:
    require_token(NAME)
    return jsonify({"data": [{"quota_usage": _published_in_window(ig_user_id),
                              "config": {"quota_total": PUBLISH_LIMIT, "quota_duration": PUBLISH_WINDOW_SECONDS}}]})


# -- media ---------------------------------------------------------------------------------------
def _own_comments(post: StoredPost) -> list[StoredPost]:
    return [c for c in sim_state().list_posts(NAME, post.handle)
            if c.extra.get("kind") == "comment" and c.reply_to_id == post.id]


def _media_json(post: StoredPost) -> dict[str, Any]:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    first = state.get_media(NAME, post.media_ids[0]) if post.media_ids else None
    return {"id": post.id, "caption": post.text, "media_type": post.extra.get("media_type", "IMAGE"),
            "media_product_type": "FEED", "permalink": public_base() + post.path,
            "timestamp": graph_time(post.created_at), "username": _username(post.handle),
            "like_count": m.likes, "comments_count": m.replies + len(_own_comments(post)),
            "media_url": public_base() + url_for("instagram.media_file", container_id=first.id) if first else None,
            "alt_text": first.alt_text if first else None}


@handles("ig_user", "GET", "media")
def list_media(ig_user_id: str) -> Response:
    require_token(NAME)
    limit = limit_arg(default=25, high=100)
    posts = [p for p in reversed(sim_state().list_posts(NAME, ig_user_id)) if p.extra.get("kind") == "media"]
    wanted = fields()
    return jsonify(page_of([select(_media_json(p), wanted, ("id",)) for p in posts], limit))


@handles("media", "GET")
def get_media(media_id: str) -> Response:
    require_token(NAME)
    post = sim_state().get_post(NAME, media_id)
    assert post is not None
    return jsonify(select(_media_json(post), fields(), ("id",)))


@handles("media", "GET", "insights")
def media_insights(media_id: str) -> Response:
    require_token(NAME)
    post = sim_state().get_post(NAME, media_id)
    assert post is not None
    asked = [s.strip() for s in request.args.get("metric", "").split(",") if s.strip()]
    if not asked:
        raise graph_error(400, 100, "The parameter metric is required")
    m = metrics_for(post.id, sim_state().age_seconds(post))
    comments = m.replies + len(_own_comments(post))
    values = {"views": m.views, "reach": int(m.views * 0.7), "likes": m.likes, "comments": comments,
              "shares": m.reposts, "saved": m.bookmarks, "total_interactions": m.likes + comments + m.reposts + m.bookmarks}
    data = []
    for name in asked:
        if name not in values:
            raise graph_error(400, 100, f"metric[0] must be one of the following values: {', '.join(METRICS)} "
                              f"({name} is not supported for this media: impressions and plays were "
                              "deprecated in v22.0)")
        data.append({"name": name, "period": "lifetime", "values": [{"value": values[name]}],
                     "title": name.replace("_", " ").title(), "id": f"{post.id}/insights/{name}/lifetime"})
    return jsonify({"data": data})


def _comment_rows(post: StoredPost) -> list[dict[str, Any]]:
    state = sim_state()
    own = [(c.created_at, {"id": c.id, "text": c.text, "username": _username(post.handle),
                           "timestamp": graph_time(c.created_at)}) for c in _own_comments(post)]
    community = [(r.created_at, {"id": r.id, "text": r.text, "username": r.author,
                                 "timestamp": graph_time(r.created_at)})
                 for r in visible_replies(post.id, post.created_at, state.age_seconds(post))]
    return [row for _, row in sorted(own + community, key=lambda pair: pair[0])]


@handles("media", "GET", "comments")
def list_comments(media_id: str) -> Response:
    require_token(NAME)
    post = sim_state().get_post(NAME, media_id)
    assert post is not None
    wanted = fields()
    return jsonify(page_of([select(r, wanted, ("timestamp", "text")) for r in _comment_rows(post)],
                           limit_arg(default=50, high=100)))


@handles("media", "POST", "comments")
def create_comment(media_id: str) -> Response:
    require_token(NAME)
    faulted = apply_faults(NAME, "comment")
    if faulted is not None:
        return faulted
    post = sim_state().get_post(NAME, media_id)
    assert post is not None
    message = request.form.get("message", "")
    if not message.strip():
        raise graph_error(400, 100, "The parameter message is required")
    _check_caption(message)
    state = sim_state()
    comment = state.add_post(StoredPost(platform=NAME, id=state.new_id(), handle=post.handle, text=message,
                                        created_at=utc_now(), path=post.path, reply_to_id=post.id,
                                        extra={"kind": "comment"}))
    return jsonify({"id": comment.id})


# -- pages for people ---------------------------------------------------------------------------
def _feed_item(post: StoredPost) -> FeedItem:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    images = [FeedImage(url_for("instagram.media_file", container_id=c.id), c.alt_text)
              for c in (state.get_media(NAME, i) for i in post.media_ids) if c is not None]
    return FeedItem(id=post.id, handle=_username(post.handle), text=post.text, created_at=post.created_at,
                    permalink=post.path, likes=m.likes, reposts=m.reposts,
                    replies=m.replies + len(_own_comments(post)), views=m.views, images=images)


@bp.get("/feed")
@page
def feed() -> str:
    posts = [p for p in reversed(sim_state().list_posts(NAME)) if p.extra.get("kind") == "media"]
    return render_feed("Instagram", [_feed_item(p) for p in posts])


@bp.get("/p/<media_id>/")
@page
def permalink(media_id: str) -> str | tuple[str, int]:
    state = sim_state()
    post = state.get_post(NAME, media_id)
    if post is None or post.extra.get("kind") != "media":
        return render_not_found("This post does not exist (or the simulator was reset).")
    own = [Reply(c.id, _username(post.handle), c.text, c.created_at) for c in _own_comments(post)]
    replies = sorted(own + visible_replies(post.id, post.created_at, state.age_seconds(post)),
                     key=lambda r: r.created_at)
    return render_post("Instagram", url_for("instagram.feed"), _feed_item(post), replies)


@bp.get("/media/<container_id>")
@page
def media_file(container_id: str) -> Response | tuple[str, int]:
    return media_page(NAME, container_id)


PLATFORM = PlatformSpec(
    name=NAME,
    title="Instagram",
    blueprint=bp,
    feed_endpoint="instagram.feed",
    error_response=error_responder(80002, "There have been too many calls to this Instagram account. "
                                   "Wait a bit and try again."),
    rate_limit_headers=usage_headers("instagram"),
    rate_limit=4800,
    rate_window_seconds=24 * 3600,
    description="Instagram professional accounts on the simulated Graph API (/graph), with "
                "container publishing that fetches image URLs.",
)
