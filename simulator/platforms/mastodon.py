"""The ``mastodon`` platform: Mastodon 4.3's REST API, enough of it for Tenfour.

Instances and accounts are described in ``mastodon_wire.py``: ``/mastodon/...`` is the
instance ``default``, ``/mastodon/<name>/...`` the instance ``<name>``; every path below is
relative to an instance root. OAuth (``/api/v1/apps``, ``/oauth/*``) is in ``mastodon_oauth.py``.

Wire format, as Mastodon: bodies are form fields (``media_ids[]=…``) or JSON; auth is
``Authorization: Bearer <token>``; errors are ``{"error": "<message>"}`` (401 "The access token
is invalid" / "The access token was revoked", 404 "Record not found", 422 "Validation failed:
…", 429 "Too many requests"); every API answer carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` as an ISO 8601 time.

``GET  /api/v1/instance`` and ``/api/v2/instance`` (also with a trailing slash, which
    Mastodon.py's version probe uses): version 4.3.0, ``configuration.statuses.max_characters``
    (the instance's setting, 500 by default), ``max_media_attachments`` 4,
    ``characters_reserved_per_url`` 23, ``media_attachments.description_limit`` 1500. No auth.
``GET  /api/v1/accounts/verify_credentials`` → the caller's Account (with ``source``).
``GET  /api/v1/accounts/:id`` → an Account of this instance; 404 otherwise.
``POST /api/v2/media`` multipart ``file`` (PNG/JPEG/GIF/WebP by magic bytes, ≤ 16 MB),
    ``description`` (≤ 1,500 chars), ``focus`` → 200 MediaAttachment, or 202 with ``url: null``
    while the instance "processes" it (``media_processing_seconds`` > 0). ``/api/v1/media``
    is the old synchronous variant (always 200). Refusals are 422 "Validation failed: …".
``GET  /api/v1/media/:id`` → 206 while processing (``url`` null), 200 when ready; the
    caller's own media only (404 otherwise).
``POST /api/v1/statuses`` ``status``, ``media_ids[]``, ``in_reply_to_id``, ``spoiler_text``,
    ``visibility``, ``language`` → 200 Status. ``Idempotency-Key``: the same key from the same
    account within an hour answers 200 with the first status (checked before validation, as
    Mastodon does). 404 "The post you are trying to reply to does not appear to exist.";
    422 "Cannot attach more than 4 files", "Media <ids> not found or already attached to
    another post", "Cannot attach files that have not finished processing. Try again in a
    moment!", "Validation failed: Text character limit of N exceeded" (URLs count 23, the
    spoiler text counts too), "Validation failed: Text can't be blank".
``GET  /api/v1/statuses/:id`` → Status; ``GET /api/v1/statuses?id[]=…`` (≤ 20, else 422)
    → the known ones; ``GET /api/v1/statuses/:id/context`` → ``{ancestors, descendants}``
    where descendants are the account's own replies and the community's (remote accounts).
``GET  /api/v1/accounts/:id/statuses?limit=20&max_id&since_id&min_id&exclude_replies`` →
    newest first, ``limit`` ≤ 40.

Counts: ``favourites_count``/``reblogs_count`` from ``simulator.engagement``;
``replies_count`` = community replies so far + the account's own direct replies.

Control (not logged, like pages): ``GET|POST <instance>/_sim/instance`` with JSON
``{"max_characters": 1000, "media_processing_seconds": 0.5}`` reads or changes an instance's
settings until the next ``/_sim/reset``.
Pages: ``/mastodon/feed`` (every instance), ``<instance>/feed``, ``<instance>/@<user>/<id>``,
``<instance>/media/<id>``. Faults apply to the writes: request kinds ``"media"``, ``"post"``
and ``"app"`` (app registration).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, jsonify, request

from simulator.context import public_base, sim_state
from simulator.engagement import visible_replies
from simulator.faults import apply_faults
from simulator.media import sniff_image_type
from simulator.platform import ApiError, PlatformSpec

# Importing these registers their routes on the blueprint.
from simulator.platforms import mastodon_instance, mastodon_oauth, mastodon_pages  # noqa: F401
from simulator.platforms.mastodon_wire import (
    IMAGE_SIZE_LIMIT,
    MAX_DESCRIPTION,
    MAX_MEDIA,
    NAME,
    account_id,
    account_json,
    bp,
    check_instance,
    content_html,
    current_username,
    error_response,
    instance_posts,
    media_json,
    media_ready,
    own_replies,
    params,
    prefix,
    rate_limit_headers,
    route,
    settings,
    status_json,
    status_length,
    status_on,
)
from simulator.state import StoredMedia, StoredPost, iso_z, utc_now

IDEMPOTENCY_SECONDS = 3600
MAX_BATCH_IDS = 20
MAX_PAGE = 40
COMMUNITY_DOMAIN = "neighbors.example"


def _validation(message: str) -> ApiError:
    return ApiError(422, "validation_failed", message)


# -- accounts -------------------------------------------------------------------------------
@route("/api/v1/accounts/verify_credentials")
def verify_credentials(instance: str) -> Response:
    check_instance(instance)
    username = current_username(instance)
    return jsonify(account_json(instance, username, with_source=True,
                                statuses_count=len(instance_posts(instance, username))))


def _username_for(instance: str, wanted_id: str, caller: str) -> str:
    candidates = {caller} | {p.handle for p in instance_posts(instance)}
    for username in candidates:
        if account_id(instance, username) == wanted_id:
            return username
    raise ApiError(404, "not_found", "Record not found")


@route("/api/v1/accounts/<account>")
def get_account(instance: str, account: str) -> Response:
    check_instance(instance)
    username = _username_for(instance, account, current_username(instance))
    return jsonify(account_json(instance, username, statuses_count=len(instance_posts(instance, username))))


@route("/api/v1/accounts/<account>/statuses")
def account_statuses(instance: str, account: str) -> Response:
    check_instance(instance)
    username = _username_for(instance, account, current_username(instance))
    limit = request.args.get("limit", 20, type=int) or 20
    limit = max(1, min(limit, MAX_PAGE))
    posts = list(reversed(instance_posts(instance, username)))
    max_id, since_id, min_id = (request.args.get(k, type=int) for k in ("max_id", "since_id", "min_id"))
    if max_id is not None:
        posts = [p for p in posts if int(p.id) < max_id]
    if since_id is not None:
        posts = [p for p in posts if int(p.id) > since_id]
    if min_id is not None:
        posts = [p for p in reversed(posts) if int(p.id) > min_id][:limit][::-1]
    if request.args.get("exclude_replies") in ("1", "true", "True"):
        posts = [p for p in posts if p.reply_to_id is None]
    return jsonify([status_json(p) for p in posts[:limit]])


# -- media ----------------------------------------------------------------------------------
def _store_upload(instance: str, username: str, *, asynchronous: bool) -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "bad_request", "param is missing or the value is empty: file")
    data = upload.read(IMAGE_SIZE_LIMIT + 1)
    if len(data) > IMAGE_SIZE_LIMIT:
        raise _validation("Validation failed: File file size must be less than 16 MB")
    mime_type = sniff_image_type(data)
    if mime_type is None:
        raise _validation("Validation failed: File content type is invalid, File is invalid")
    description = request.form.get("description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise _validation(f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} characters)")
    delay = settings(instance)["media_processing_seconds"] if asynchronous else 0.0
    state = sim_state()
    media = state.add_media(StoredMedia(
        NAME, state.new_id(), mime_type, data, description, utc_now(),
        extra={"instance": instance, "username": username, "ready_at": time.time() + delay, "status_id": None},
    ))
    return jsonify(media_json(media)), 202 if delay > 0 else 200


@route("/api/v2/media", methods=("POST",))
def upload_media_v2(instance: str) -> Response | tuple[Response, int]:
    check_instance(instance)
    username = current_username(instance)
    faulted = apply_faults(NAME, "media")
    if faulted is not None:
        return faulted
    return _store_upload(instance, username, asynchronous=True)


@route("/api/v1/media", methods=("POST",))
def upload_media_v1(instance: str) -> Response | tuple[Response, int]:
    check_instance(instance)
    username = current_username(instance)
    faulted = apply_faults(NAME, "media")
    if faulted is not None:
        return faulted
    return _store_upload(instance, username, asynchronous=False)


def _own_media(instance: str, username: str, media_id: str) -> StoredMedia:
    media = sim_state().get_media(NAME, media_id)
    if media is None or media.extra.get("instance") != instance or media.extra.get("username") != username:
        raise ApiError(404, "not_found", "Record not found")
    return media


@route("/api/v1/media/<media_id>")
def get_media(instance: str, media_id: str) -> tuple[Response, int]:
    check_instance(instance)
    media = _own_media(instance, current_username(instance), media_id)
    return jsonify(media_json(media)), 200 if media_ready(media) else 206


# -- statuses -------------------------------------------------------------------------------
def _earlier(instance: str, username: str, key: str) -> StoredPost | None:
    now = utc_now()
    for post in instance_posts(instance, username):
        if post.idempotency_key == key and (now - post.created_at).total_seconds() < IDEMPOTENCY_SECONDS:
            return post
    return None


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise ApiError(400, "bad_request", f"{key} must be a string")
    return str(value)


def _validated_media(instance: str, username: str, raw: Any) -> list[StoredMedia]:
    if raw in (None, "", []):
        return []
    ids = [str(m) for m in (raw if isinstance(raw, list) else [raw])]
    if len(ids) > MAX_MEDIA:
        raise _validation("Cannot attach more than 4 files")
    state = sim_state()
    found, missing = [], []
    for media_id in ids:
        media = state.get_media(NAME, media_id)
        usable = (media is not None and media.extra.get("instance") == instance
                  and media.extra.get("username") == username and media.extra.get("status_id") is None)
        if usable:
            found.append(media)
        else:
            missing.append(media_id)
    if missing:
        raise _validation(f"Media {', '.join(missing)} not found or already attached to another post")
    if not all(media_ready(m) for m in found):
        raise _validation("Cannot attach files that have not finished processing. Try again in a moment!")
    return found


@route("/api/v1/statuses", methods=("POST",))
def create_status(instance: str) -> Response:
    check_instance(instance)
    username = current_username(instance)
    faulted = apply_faults(NAME, "post")
    if faulted is not None:
        return faulted
    key = request.headers.get("Idempotency-Key") or None
    body = params()
    state = sim_state()
    with state.lock:  # idempotency check-then-write must be atomic across request threads
        if key is not None:
            earlier = _earlier(instance, username, key)
            if earlier is not None:
                return jsonify(status_json(earlier))
        reply_to = _string(body, "in_reply_to_id") or None
        if reply_to is not None:
            try:
                status_on(instance, reply_to)
            except ApiError:
                raise ApiError(404, "not_found",
                               "The post you are trying to reply to does not appear to exist.") from None
        media = _validated_media(instance, username, body.get("media_ids"))
        text, spoiler = _string(body, "status"), _string(body, "spoiler_text")
        if not text.strip() and not media:
            raise _validation("Validation failed: Text can't be blank")
        limit = settings(instance)["max_characters"]
        if status_length(spoiler + text) > limit:
            raise _validation(f"Validation failed: Text character limit of {limit} exceeded")
        now = utc_now()
        status_id = state.new_id()
        post = state.add_post(StoredPost(
            platform=NAME, id=status_id, handle=username, text=text, created_at=now,
            path=f"{prefix(instance)}/@{username}/{status_id}",
            media_ids=[m.id for m in media], reply_to_id=reply_to, idempotency_key=key,
            extra={"instance": instance, "spoiler_text": spoiler,
                   "visibility": _string(body, "visibility") or "public",
                   "language": _string(body, "language") or "en",
                   "content": content_html(text, instance)},
        ))
        for item in media:
            item.extra["status_id"] = status_id
        return jsonify(status_json(post))


@route("/api/v1/statuses")
def list_statuses(instance: str) -> Response:
    check_instance(instance)
    current_username(instance)
    ids = list(dict.fromkeys(request.args.getlist("id[]") + request.args.getlist("id")))
    if len(ids) > MAX_BATCH_IDS:
        raise _validation("Mastodon::ValidationError")
    found = []
    for status_id in ids:
        post = sim_state().get_post(NAME, status_id)
        if post is not None and post.extra.get("instance") == instance:
            found.append(status_json(post))
    return jsonify(found)


@route("/api/v1/statuses/<status_id>")
def get_status(instance: str, status_id: str) -> Response:
    check_instance(instance)
    current_username(instance)
    return jsonify(status_json(status_on(instance, status_id)))


def _community_json(instance: str, post: StoredPost) -> list[dict[str, Any]]:
    """Replies "from the public" to one of our statuses, as statuses of remote accounts."""
    state = sim_state()
    out = []
    for reply in visible_replies(post.id, post.created_at, state.age_seconds(post)):
        username = reply.author.replace(".", "_").replace("-", "_")
        out.append({
            "id": reply.id,
            "created_at": iso_z(reply.created_at),
            "in_reply_to_id": post.id,
            "in_reply_to_account_id": account_id(instance, post.handle),
            "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "en",
            "uri": f"https://{COMMUNITY_DOMAIN}/users/{username}/statuses/{reply.id}",
            "url": public_base() + post.path,  # issue 9: the wall links where the reply is shown
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None,
            "content": content_html(reply.text, instance),
            "reblog": None, "application": None,
            "account": account_json(instance, username, remote_domain=COMMUNITY_DOMAIN),
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
        })
    return out


@route("/api/v1/statuses/<status_id>/context")
def status_context(instance: str, status_id: str) -> Response:
    check_instance(instance)
    current_username(instance)
    post = status_on(instance, status_id)
    state = sim_state()
    ancestors = []
    parent_id = post.reply_to_id
    while parent_id:
        parent = state.get_post(NAME, parent_id)
        if parent is None:
            break
        ancestors.insert(0, status_json(parent))
        parent_id = parent.reply_to_id
    descendants: list[dict[str, Any]] = []
    frontier = [post]
    while frontier:
        current = frontier.pop(0)
        descendants.extend(_community_json(instance, current))
        children = own_replies(current)
        descendants.extend(status_json(child) for child in children)
        frontier.extend(children)
    descendants.sort(key=lambda s: s["created_at"])
    return jsonify({"ancestors": ancestors, "descendants": descendants})


PLATFORM = PlatformSpec(
    name=NAME,
    title="Mastodon",
    blueprint=bp,
    feed_endpoint=f"{NAME}.feed",
    error_response=error_response,
    rate_limit_headers=rate_limit_headers,
    rate_limit=300,
    rate_window_seconds=300,
    description="Mastodon 4.3 instances (REST API, OAuth app registration, Idempotency-Key).",
)
