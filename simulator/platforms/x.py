"""The ``x`` platform: X's API v2 as tweepy 4.17 and Tenfour's X connector use it.

Wire format (all under ``/x``; the real hosts are ``api.x.com`` / ``api.twitter.com``).
Auth (see ``x_tokens``): OAuth 1.0a user context (``Authorization: OAuth ...``, parameters
checked, signature not verified) or an OAuth 2.0 user token (``Bearer``) issued by the token
endpoint (``x_oauth``) or minted by tests with ``x_tokens.issue_tokens``; expired, revoked
or forged → 401 ``{"title": "Unauthorized", "type": "about:blank", "status": 401,
"detail": "Unauthorized"}``. Every API answer carries ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (epoch seconds); a 429 too.

``POST /2/tweets`` JSON ``{"text", "media": {"media_ids": [...]}, "reply":
    {"in_reply_to_tweet_id"}}`` → 201 ``{"data": {"id", "text", "edit_history_tweet_ids"}}``.
    400 (``{"errors": [{"message"}], "title": "Invalid Request", ...}``) when the text is
    over 280 weighted characters (``x_text``), empty without media, media ids are not the
    caller's uploads or more than 4; 403 when replying to an unknown post; 403
    ``{"detail": "You are not allowed to create a Tweet with duplicate content.", ...}`` for
    the same text from the same user within 24 h. Faults: request kind ``"post"``.
``GET  /2/tweets?ids=1,2&tweet.fields=public_metrics,created_at,...`` (≤ 100 ids) →
    ``{"data": [...]}``; unknown ids come back in ``errors`` (resource-not-found).
``GET  /2/users/me`` → ``{"data": {"id", "name", "username"}}``.
``GET  /2/users/<id>/tweets?max_results=5..100&start_time&end_time&pagination_token`` →
    newest first, ``meta`` with ``result_count`` and ``next_token``.
``GET  /2/tweets/search/recent?query=conversation_id:<id>&expansions=author_id`` → the
    conversation's posts (the thread's own replies and the community's), ``includes.users``.
Texts come back as X sends them: links as t.co links (``entities.urls`` has the original),
a t.co link appended for media, ``& < >`` HTML-escaped (see ``x_text``).
Media (``x_media``) and OAuth (``x_oauth``) routes are registered on the same blueprint.

Pages: ``/x/feed``, ``/x/<username>/status/<id>`` (the permalink, like x.com's),
``/x/media/<id>``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from werkzeug.http import HTTP_STATUS_CODES

from simulator.context import page, sim_state
from simulator.engagement import metrics_for, visible_replies
from simulator.faults import apply_faults
from simulator.pages import (
    FeedImage,
    FeedItem,
    media_page,
    render_feed,
    render_not_found,
    render_post,
)
from simulator.platform import ApiError, PlatformSpec
from simulator.platforms import x_media, x_oauth
from simulator.platforms.x_tokens import NAME, Caller, require_caller, user_named
from simulator.platforms.x_text import MAX_WEIGHTED, weighted_length, wire_text
from simulator.state import StoredPost, iso_z, utc_now

MAX_MEDIA = 4
MAX_IDS = 100
DUPLICATE_WINDOW_SECONDS = 24 * 3600
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
TWEET_FIELDS = frozenset({
    "id", "text", "edit_history_tweet_ids", "attachments", "author_id", "context_annotations",
    "conversation_id", "created_at", "edit_controls", "entities", "geo", "in_reply_to_user_id",
    "lang", "non_public_metrics", "organic_metrics", "possibly_sensitive", "promoted_metrics",
    "public_metrics", "referenced_tweets", "reply_settings", "source", "withheld", "note_tweet",
})
USER_FIELDS = frozenset({"id", "name", "username", "created_at", "description", "profile_image_url",
                         "protected", "public_metrics", "url", "verified", "location"})

bp = Blueprint(NAME, __name__, url_prefix=f"/{NAME}")
x_media.register(bp)
x_oauth.register(bp)


# -- the wire format ----------------------------------------------------------------------
def x_error(status: int, code: str, message: str) -> Response:
    """X's error bodies: RFC 7807 problems, the invalid-request list, OAuth's pair."""
    if code.startswith("oauth:"):
        body: dict[str, Any] = {"error": code[len("oauth:"):], "error_description": message}
    elif code == "invalid_request":
        body = {"errors": [{"message": message}], "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request"}
    elif code == "duplicate":
        body = {"detail": DUPLICATE_DETAIL, "type": "about:blank", "title": "Forbidden",
                "status": 403}
    else:
        title = HTTP_STATUS_CODES.get(status, "Error")
        # X says no more than the status for auth, rate-limit and server problems.
        detail = title if status in (401, 429) or status >= 500 else message
        body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    response = jsonify(body)
    response.status_code = status
    return response


def x_rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset)}


def _fields(param: str, allowed: frozenset[str]) -> set[str]:
    asked = {f for f in request.args.get(param, "").split(",") if f}
    unknown = sorted(asked - allowed)
    if unknown:
        raise ApiError(400, "invalid_request",
                       f"The `{param}` query parameter value [{unknown[0]}] is not one of "
                       f"[{', '.join(sorted(allowed))}]")
    return asked


def _media_keys(post: StoredPost) -> list[str]:
    state = sim_state()
    media = (state.get_media(NAME, media_id) for media_id in post.media_ids)
    return [m.extra.get("media_key", f"3_{m.id}") for m in media if m is not None]


def _tweet_json(post: StoredPost, fields: set[str]) -> dict[str, Any]:
    text, urls = wire_text(post.id, post.text, _media_keys(post))
    out: dict[str, Any] = {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}
    extra = post.extra
    if "author_id" in fields:
        out["author_id"] = extra["author_id"]
    if "conversation_id" in fields:
        out["conversation_id"] = extra["conversation_id"]
    if "created_at" in fields:
        out["created_at"] = iso_z(post.created_at)
    if "in_reply_to_user_id" in fields and extra.get("in_reply_to_user_id"):
        out["in_reply_to_user_id"] = extra["in_reply_to_user_id"]
    if "entities" in fields and urls:
        out["entities"] = {"urls": urls}
    if "attachments" in fields and post.media_ids:
        out["attachments"] = {"media_keys": _media_keys(post)}
    if "public_metrics" in fields:
        m = metrics_for(post.id, sim_state().age_seconds(post))
        out["public_metrics"] = {"retweet_count": m.reposts, "reply_count": m.replies,
                                 "like_count": m.likes, "quote_count": m.quotes,
                                 "bookmark_count": m.bookmarks, "impression_count": m.views}
    return out


def _page_of(items: list[dict[str, Any]], *, default: int, low: int, high: int) -> tuple[list, dict]:
    """One page of newest-first ``items`` per ``max_results`` / ``pagination_token``."""
    size = request.args.get("max_results", default, type=int)
    if size is None or not low <= size <= high:
        raise ApiError(400, "invalid_request",
                       f"The `max_results` query parameter value is not between {low} and {high}")
    token = request.args.get("pagination_token") or request.args.get("next_token") or "p0"
    if not (token.startswith("p") and token[1:].isdigit()):
        raise ApiError(400, "invalid_request", "The `pagination_token` query parameter is invalid.")
    start = int(token[1:])
    chunk = items[start:start + size]
    meta: dict[str, Any] = {"result_count": len(chunk)}
    if chunk:
        meta.update(newest_id=chunk[0]["id"], oldest_id=chunk[-1]["id"])
    if start + size < len(items):
        meta["next_token"] = f"p{start + size}"
    return chunk, meta


def _time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "invalid_request",
                       f"Invalid date format for `{name}`; use YYYY-MM-DDTHH:mm:ssZ.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _answer(data: list[dict[str, Any]], meta: dict | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"data": data} if data else {}
    body.update(extra)
    if meta is not None:
        body["meta"] = meta
    return jsonify(body)


# -- creating posts -------------------------------------------------------------------------
def _validated(caller: Caller, body: Any) -> tuple[str, list[str], StoredPost | None]:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "Send a JSON object.")
    text = body.get("text", "")
    if not isinstance(text, str):
        raise ApiError(400, "invalid_request", "`text` must be a string.")
    media = body.get("media")
    media_ids = (media.get("media_ids") or []) if isinstance(media, dict) else media
    if media_ids is None:
        media_ids = []
    if not isinstance(media_ids, list):
        raise ApiError(400, "invalid_request", "`media.media_ids` must be a list of strings.")
    if not text.strip() and not media_ids:
        raise ApiError(400, "invalid_request", "A post needs text or media.")
    if weighted_length(text) > MAX_WEIGHTED:
        raise ApiError(400, "invalid_request",
                       "Your Tweet text is too long. For more information on how Twitter "
                       "determines text length see https://github.com/twitter/twitter-text.")
    if len(media_ids) > MAX_MEDIA:
        raise ApiError(400, "invalid_request",
                       f"The number of values in `media.media_ids` [{len(media_ids)}] is not "
                       f"between 1 and {MAX_MEDIA}")
    if any(x_media.owned_media(caller, m) is None for m in media_ids):
        raise ApiError(400, "invalid_request", "Your media IDs are invalid.")
    parent = None
    reply = body.get("reply")
    if reply is not None:
        parent_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        parent = sim_state().get_post(NAME, parent_id) if isinstance(parent_id, str) else None
        if parent is None:
            raise ApiError(403, "forbidden", "You attempted to reply to a Tweet that is deleted "
                           "or not visible to you.")
    return text, media_ids, parent


@bp.post("/2/tweets")
def create_tweet() -> tuple[Response, int] | Response:
    caller = require_caller()
    caller.require_scope("tweet.read", "tweet.write", "users.read")
    faulted = apply_faults(NAME, "post")
    if faulted is not None:
        return faulted
    state = sim_state()
    with state.lock:  # the duplicate check and the write must not interleave
        text, media_ids, parent = _validated(caller, request.get_json(silent=True))
        now = utc_now()
        for other in state.posts_with_text(NAME, caller.user.username, text):
            if (other.extra.get("author_id") == caller.user.id and text
                    and (now - other.created_at).total_seconds() < DUPLICATE_WINDOW_SECONDS):
                raise ApiError(403, "duplicate", DUPLICATE_DETAIL)
        post_id = state.new_id()
        username = caller.user.username
        post = state.add_post(StoredPost(
            platform=NAME, id=post_id, handle=username, text=text, created_at=now,
            path=f"/{NAME}/{username}/status/{post_id}", media_ids=list(media_ids),
            reply_to_id=parent.id if parent else None,
            extra={"author_id": caller.user.id,
                   "conversation_id": parent.extra["conversation_id"] if parent else post_id,
                   "in_reply_to_user_id": parent.extra["author_id"] if parent else None},
        ))
    return jsonify({"data": _tweet_json(post, set())}), 201


# -- reading --------------------------------------------------------------------------------
@bp.get("/2/tweets")
def lookup_tweets() -> Response:
    require_caller().require_scope("tweet.read", "users.read")
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if not 1 <= len(ids) <= MAX_IDS or not all(i.isdigit() for i in ids):
        raise ApiError(400, "invalid_request",
                       f"The `ids` query parameter must hold 1 to {MAX_IDS} numeric ids.")
    fields = _fields("tweet.fields", TWEET_FIELDS)
    state = sim_state()
    found, errors = [], []
    for post_id in ids:
        post = state.get_post(NAME, post_id)
        if post is None:
            errors.append({"value": post_id, "detail": f"Could not find tweet with ids: [{post_id}].",
                           "title": "Not Found Error", "resource_type": "tweet",
                           "parameter": "ids", "resource_id": post_id,
                           "type": "https://api.twitter.com/2/problems/resource-not-found"})
        else:
            found.append(_tweet_json(post, fields))
    return _answer(found, **({"errors": errors} if errors else {}))


@bp.get("/2/users/me")
def users_me() -> Response:
    caller = require_caller()
    caller.require_scope("users.read", "tweet.read")
    _fields("user.fields", USER_FIELDS)
    user = caller.user
    return jsonify({"data": {"id": user.id, "name": user.name, "username": user.username}})


@bp.get("/2/users/<user_id>/tweets")
def user_tweets(user_id: str) -> Response:
    require_caller().require_scope("tweet.read", "users.read")
    if not user_id.isdigit():
        raise ApiError(400, "invalid_request", f"The `id` path parameter value [{user_id}] is not valid.")
    fields = _fields("tweet.fields", TWEET_FIELDS)
    start, end = _time_arg("start_time"), _time_arg("end_time")
    posts = [p for p in sim_state().list_posts(NAME) if p.extra.get("author_id") == user_id
             and (start is None or p.created_at >= start) and (end is None or p.created_at <= end)]
    items = [_tweet_json(p, fields) for p in reversed(posts)]
    chunk, meta = _page_of(items, default=10, low=5, high=100)
    return _answer(chunk, meta)


def _conversation_id(query: str) -> str:
    key, _, value = query.strip().partition(":")
    if key != "conversation_id" or not value.isdigit():
        raise ApiError(400, "invalid_request",
                       "The simulator's search understands only `conversation_id:<id>`.")
    return value


@bp.get("/2/tweets/search/recent")
def search_recent() -> Response:
    require_caller().require_scope("tweet.read", "users.read")
    conversation = _conversation_id(request.args.get("query", ""))
    fields = _fields("tweet.fields", TWEET_FIELDS)
    _fields("user.fields", USER_FIELDS)
    expansions = {e for e in request.args.get("expansions", "").split(",") if e}
    state = sim_state()
    items: list[dict[str, Any]] = []
    authors: dict[str, dict[str, Any]] = {}
    for post in state.list_posts(NAME):
        if post.extra.get("conversation_id") == conversation and post.id != conversation:
            items.append({**_tweet_json(post, fields), "_at": post.created_at})
            authors[post.extra["author_id"]] = asdict(user_named(post.handle))
    root = state.get_post(NAME, conversation)
    if root is not None:
        for reply in visible_replies(root.id, root.created_at, state.age_seconds(root)):
            author = user_named(reply.author.replace(".", "_")[:15])  # X handles have no dots
            item: dict[str, Any] = {"id": reply.id, "text": wire_text(reply.id, reply.text, [])[0],
                                    "edit_history_tweet_ids": [reply.id], "_at": reply.created_at}
            item.update({k: v for k, v in (("author_id", author.id), ("conversation_id", root.id),
                                           ("created_at", iso_z(reply.created_at)),
                                           ("in_reply_to_user_id", root.extra["author_id"]))
                         if k in fields})
            items.append(item)
            authors[author.id] = asdict(author)
    items.sort(key=lambda i: i.pop("_at"), reverse=True)
    chunk, meta = _page_of(items, default=10, low=10, high=100)
    includes = {}
    if "author_id" in expansions:
        wanted = {i.get("author_id") for i in chunk}
        users = [u for uid, u in authors.items() if uid in wanted]
        if users:
            includes["users"] = users
    return _answer(chunk, meta, **({"includes": includes} if includes else {}))


# -- pages ----------------------------------------------------------------------------------
def _feed_item(post: StoredPost) -> FeedItem:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    images = [FeedImage(url_for("x.media_file", media_id=media.id), media.alt_text)
              for media in (state.get_media(NAME, i) for i in post.media_ids) if media is not None]
    parent = state.get_post(NAME, post.reply_to_id) if post.reply_to_id else None
    return FeedItem(id=post.id, handle=post.handle, text=post.text, created_at=post.created_at,
                    permalink=post.path, likes=m.likes, reposts=m.reposts + m.quotes,
                    replies=m.replies, views=m.views, images=images,
                    reply_to_url=parent.path if parent else None)


@bp.get("/feed")
@page
def feed() -> str:
    return render_feed("X", [_feed_item(p) for p in reversed(sim_state().list_posts(NAME))])


@bp.get("/<username>/status/<post_id>")
@page
def permalink(username: str, post_id: str) -> Response | str | tuple[str, int]:
    state = sim_state()
    post = state.get_post(NAME, post_id)
    if post is None:
        return render_not_found("This post does not exist (or the simulator was reset).")
    if post.handle != username:  # x.com redirects any username to the author's
        return redirect(post.path)
    replies = visible_replies(post.id, post.created_at, state.age_seconds(post))
    return render_post("X", url_for("x.feed"), _feed_item(post), replies)


@bp.get("/media/<media_id>")
@page
def media_file(media_id: str) -> Response | tuple[str, int]:
    return media_page(NAME, media_id)


PLATFORM = PlatformSpec(
    name=NAME,
    title="X",
    blueprint=bp,
    feed_endpoint="x.feed",
    error_response=x_error,
    rate_limit_headers=x_rate_limit_headers,
    # POST /2/tweets allows 100 per 15 minutes per user; the simulator counts every call.
    rate_limit=100,
    rate_window_seconds=900,
    description="X (API v2): OAuth 1.0a or OAuth 2.0, weighted 280-character posts, v2 media.",
)
