"""The ``bluesky`` platform: a PDS + AppView speaking XRPC under ``/bluesky/xrpc/<nsid>``.

Give atproto ``Client(base_url="<simulator>/bluesky")`` (it appends ``/xrpc``). Sessions and
identities are in ``bluesky_auth.py``; text, facet, TID and CID rules in ``bluesky_text.py``.

Wire format, as the reference PDS: queries are GET with query parameters, procedures POST with
JSON (``uploadBlob``: the raw bytes); auth is ``Authorization: Bearer <accessJwt>``; errors are
``{"error": "<Name>", "message": "…"}`` — 400 ``InvalidRequest``, 400 ``ExpiredToken`` /
``InvalidToken``, 401 ``AuthenticationRequired``, 429 ``RateLimitExceeded``, 501
``MethodNotImplemented`` for any other method. Every API answer carries ``ratelimit-limit``,
``ratelimit-remaining``, ``ratelimit-reset`` (epoch seconds) and ``ratelimit-policy``.

``com.atproto.server.createSession`` ``{identifier, password}`` → ``{accessJwt, refreshJwt,
    handle, did, email, emailConfirmed, active}`` (no ``didDoc``). Any non-empty password works
    unless revoked → 401 ``AuthenticationRequired`` "Invalid identifier or password".
``com.atproto.server.refreshSession`` (Bearer refreshJwt) → a new pair; ``getSession`` → who.
``com.atproto.identity.resolveHandle?handle=`` → ``{did}`` (every valid handle resolves).
``com.atproto.repo.uploadBlob`` raw bytes → ``{blob: {$type: "blob", ref: {$link: cid},
    mimeType, size}}``; the MIME type is sniffed from the bytes (PNG/JPEG/GIF/WebP), else the
    Content-Type header. Limits are checked when a record uses the blob, as on Bluesky.
``com.atproto.repo.createRecord`` ``{repo, collection: "app.bsky.feed.post", record, rkey?}``
    → ``{uri, cid, commit: {cid, rev}, validationStatus: "valid"}``. The record is checked like
    the lexicon: ``$type``, ``createdAt``, text ≤ 300 graphemes and ≤ 3,000 UTF-8 bytes, ``langs``
    ≤ 3, ``embed`` ``app.bsky.embed.images`` with ≤ 4 images, each with ``alt`` (may be empty)
    and a blob this account uploaded, ``image/*``, ≤ 2,000,000 bytes (400 ``BlobTooLarge``);
    ``reply.root`` / ``reply.parent`` must be posts the simulator has (uri and cid). Stricter
    than a real PDS: facets must fit the text (UTF-8 byte ranges on character boundaries, not
    overlapping; a tag facet covers ``#tag``; a link facet that shows a URL shows its own URI;
    a mention covers ``@handle`` of that DID), replies must exist, and only
    ``app.bsky.embed.images`` embeds are accepted.
``app.bsky.feed.getPosts?uris=…`` (≤ 25) → ``{posts: [PostView]}`` with ``likeCount``,
    ``repostCount``, ``replyCount`` (community replies so far + the account's own direct
    replies), ``quoteCount``; unknown URIs are left out.
``app.bsky.feed.getPostThread?uri&depth&parentHeight`` → ``{thread: ThreadViewPost}`` with
    the parent chain and replies (the account's own and the community's); unknown → 400
    ``NotFound``.
``app.bsky.feed.getAuthorFeed?actor&limit(1–100, 50)&cursor&filter`` → ``{feed: [{post}],
    cursor?}`` newest first.
``app.bsky.actor.getProfile?actor`` → ProfileViewDetailed; 400 "Profile not found".

Pages: ``/bluesky/feed``, ``/bluesky/profile/<handle>/post/<rkey>`` (the bsky.app permalink
shape), ``/bluesky/blob/<id>``. Faults apply to ``uploadBlob`` (kind ``"media"``) and
``createRecord`` (kind ``"post"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from simulator.context import page, sim_state
from simulator.engagement import visible_replies
from simulator.faults import apply_faults
from simulator.media import sniff_image_type
from simulator.pages import media_page, render_feed, render_not_found, render_post
from simulator.platform import ApiError, PlatformSpec
from simulator.platforms.bluesky_auth import (
    NAME,
    credential,
    credential_revoked,
    did_for,
    handle_from_identifier,
    issue_session,
    require_session,
    resolve_actor,
)
from simulator.platforms.bluesky_text import (
    MAX_BYTES,
    MAX_GRAPHEMES,
    blob_cid,
    count_graphemes,
    facet_problem,
    new_tid,
    record_cid,
    utf8_length,
)
from simulator.platforms.bluesky_views import (
    IMAGES,
    POST,
    author_view,
    feed_item,
    post_view,
    thread_view,
    with_parents,
)
from simulator.state import StoredMedia, StoredPost, utc_now

MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000
MAX_URIS = 25
RATE_LIMIT, RATE_WINDOW = 3000, 300

bp = Blueprint(NAME, __name__, url_prefix=f"/{NAME}")


def _invalid(message: str, error: str = "InvalidRequest") -> ApiError:
    return ApiError(400, error, message)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _invalid("Input must be a JSON object")
    return body


# -- sessions ---------------------------------------------------------------------------------
@bp.post("/xrpc/com.atproto.server.createSession")
def create_session() -> Response:
    body = _body()
    identifier, password = body.get("identifier"), body.get("password")
    for key, value in (("identifier", identifier), ("password", password)):
        if not isinstance(value, str) or not value:
            raise _invalid(f'Input must have the property "{key}"')
    handle = handle_from_identifier(identifier)
    if handle is None:
        raise ApiError(401, "AuthenticationRequired", "Invalid identifier or password")
    did = did_for(handle)
    cred = credential(did, password)
    if credential_revoked(did, cred):
        raise ApiError(401, "AuthenticationRequired", "Invalid identifier or password")
    return jsonify(issue_session(did, handle, cred))


@bp.post("/xrpc/com.atproto.server.refreshSession")
def refresh_session() -> Response:
    session = require_session(refresh=True)
    return jsonify(issue_session(session.did, session.handle, session.cred))


@bp.get("/xrpc/com.atproto.server.getSession")
def get_session() -> Response:
    session = require_session()
    return jsonify({"handle": session.handle, "did": session.did, "email": f"{session.handle.split('.')[0]}@example.org",
                    "emailConfirmed": True, "active": True})


@bp.get("/xrpc/com.atproto.identity.resolveHandle")
def resolve_handle() -> Response:
    found = resolve_actor(request.args.get("handle", ""))
    if found is None or found[0] is None:
        raise _invalid("Unable to resolve handle")
    return jsonify({"did": found[0]})


# -- blobs ------------------------------------------------------------------------------------
@bp.post("/xrpc/com.atproto.repo.uploadBlob")
def upload_blob() -> Response:
    session = require_session()
    faulted = apply_faults(NAME, "media")
    if faulted is not None:
        return faulted
    data = request.get_data()
    if not data:
        raise _invalid("Request body is empty")
    header = (request.content_type or "").split(";")[0].strip()
    mime_type = sniff_image_type(data) or (header if header and "*" not in header else "application/octet-stream")
    state = sim_state()
    cid = blob_cid(data)
    state.add_media(StoredMedia(NAME, state.new_id(), mime_type, data, "", utc_now(),
                                extra={"kind": "blob", "cid": cid, "did": session.did}))
    return jsonify({"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime_type, "size": len(data)}})


def _blob(did: str, cid: str) -> StoredMedia | None:
    state = sim_state()
    with state.lock:
        for media in state.media.get(NAME, {}).values():
            if media.extra.get("kind") == "blob" and media.extra.get("cid") == cid and media.extra.get("did") == did:
                return media
    return None


# -- records ----------------------------------------------------------------------------------
def _parse_uri(uri: Any) -> tuple[str, str, str] | None:
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def _post_by_uri(uri: Any) -> StoredPost | None:
    parsed = _parse_uri(uri)
    if parsed is None or parsed[1] != POST:
        return None
    post = sim_state().get_post(NAME, parsed[2])
    return post if post is not None and post.extra.get("did") == parsed[0] else None


def _images(embed: Any, did: str) -> list[tuple[StoredMedia, str]]:
    where = "Record/embed"
    if embed is None:
        return []
    if not isinstance(embed, dict) or embed.get("$type") != IMAGES:
        raise _invalid(f"Invalid {POST} record: {where} must be an {IMAGES} embed "
                       "(the simulator accepts only image embeds)")
    images = embed.get("images")
    if not isinstance(images, list):
        raise _invalid(f'Invalid {POST} record: {where} must have the property "images"')
    if len(images) > MAX_IMAGES:
        raise _invalid(f"Invalid {POST} record: {where}/images must not have more than {MAX_IMAGES} elements")
    found = []
    for n, image in enumerate(images):
        spot = f"{where}/images/{n}"
        if not isinstance(image, dict) or not isinstance(image.get("alt"), str):
            raise _invalid(f'Invalid {POST} record: {spot} must have the property "alt"')
        ref = image.get("image")
        link = ref.get("ref", {}).get("$link") if isinstance(ref, dict) and isinstance(ref.get("ref"), dict) else None
        if not isinstance(ref, dict) or ref.get("$type") != "blob" or not isinstance(link, str):
            raise _invalid(f"Invalid {POST} record: {spot}/image should be a blob ref")
        blob = _blob(did, link)
        if blob is None:
            raise _invalid(f"Could not find blob: {link}", "BlobNotFound")
        if not blob.mime_type.startswith("image/"):
            raise _invalid(f"Wrong type of file. It is {blob.mime_type} but it must match image/*.", "InvalidMimeType")
        if blob.size > MAX_IMAGE_BYTES:
            raise _invalid(f"This file is too large. It is {blob.size:,} bytes but the maximum size is "
                           f"{MAX_IMAGE_BYTES:,} bytes.", "BlobTooLarge")
        found.append((blob, image["alt"]))
    return found


def _reply(reply: Any) -> StoredPost | None:
    if reply is None:
        return None
    refs = [reply.get(k) if isinstance(reply, dict) else None for k in ("root", "parent")]
    posts = []
    for name, ref in zip(("root", "parent"), refs, strict=True):
        if not isinstance(ref, dict) or not isinstance(ref.get("uri"), str) or not isinstance(ref.get("cid"), str):
            raise _invalid(f'Invalid {POST} record: Record/reply/{name} must be a strong ref {{uri, cid}}')
        post = _post_by_uri(ref["uri"])
        if post is None or post.extra.get("cid") != ref["cid"]:
            raise _invalid(f"Could not locate record: {ref['uri']}")
        posts.append(post)
    return posts[1]


def _validated(record: Any, did: str) -> tuple[str, list[tuple[StoredMedia, str]], StoredPost | None]:
    if not isinstance(record, dict):
        raise _invalid("Invalid record: must be an object")
    if record.get("$type") != POST:
        raise _invalid(f"Invalid $type: expected {POST}, got {record.get('$type')}")
    text = record.get("text")
    if not isinstance(text, str):
        raise _invalid(f'Invalid {POST} record: Record must have the property "text"')
    if not isinstance(record.get("createdAt"), str):
        raise _invalid(f'Invalid {POST} record: Record must have the property "createdAt"')
    try:
        datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid {POST} record: Record/createdAt must be an valid atproto datetime") from None
    if utf8_length(text) > MAX_BYTES:
        raise _invalid(f"Invalid {POST} record: Record/text must not be longer than {MAX_BYTES} characters")
    if count_graphemes(text) > MAX_GRAPHEMES:
        raise _invalid(f"Invalid {POST} record: Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
    langs = record.get("langs")
    if langs is not None and (not isinstance(langs, list) or len(langs) > 3):
        raise _invalid(f"Invalid {POST} record: Record/langs must not have more than 3 elements")
    problem = facet_problem(text, record.get("facets"),
                            lambda handle: (resolve_actor(handle) or (None, None))[0])
    if problem:
        raise _invalid(f"Invalid {POST} record: {problem}")
    images = _images(record.get("embed"), did)
    parent = _reply(record.get("reply"))
    if not text.strip() and not images:
        raise _invalid(f"Invalid {POST} record: a post needs text or an embed")
    return text, images, parent


@bp.post("/xrpc/com.atproto.repo.createRecord")
def create_record() -> Response:
    session = require_session()
    faulted = apply_faults(NAME, "post")
    if faulted is not None:
        return faulted
    body = _body()
    if body.get("repo") not in (session.did, session.handle):
        raise _invalid("Invalid repo: a session may only write to its own repository")
    if body.get("collection") != POST:
        raise _invalid(f"The simulator stores only {POST} records, not {body.get('collection')!r}")
    state = sim_state()
    with state.lock:
        rkey = body.get("rkey") or new_tid()
        if not isinstance(rkey, str) or state.get_post(NAME, rkey) is not None:
            raise _invalid(f"Record already exists or the rkey is invalid: {rkey!r}")
        text, images, parent = _validated(body.get("record"), session.did)
        record = body["record"]
        now = utc_now()
        uri, cid = f"at://{session.did}/{POST}/{rkey}", record_cid(record)
        media_ids = []
        for blob, alt in images:
            copy = state.add_media(StoredMedia(NAME, state.new_id(), blob.mime_type, blob.data, alt, now,
                                               extra={"kind": "image", "cid": blob.extra["cid"], "did": session.did}))
            media_ids.append(copy.id)
        state.add_post(StoredPost(
            platform=NAME, id=rkey, handle=session.handle, text=text, created_at=now,
            path=f"/{NAME}/profile/{session.handle}/post/{rkey}", media_ids=media_ids,
            reply_to_id=parent.id if parent else None,
            extra={"did": session.did, "uri": uri, "cid": cid, "record": record,
                   "facets": record.get("facets") or []},
        ))
    return jsonify({"uri": uri, "cid": cid, "commit": {"cid": record_cid({"commit": uri}), "rev": new_tid()},
                    "validationStatus": "valid"})


@bp.get("/xrpc/app.bsky.feed.getPosts")
def get_posts() -> Response:
    require_session()
    uris = request.args.getlist("uris")
    if len(uris) > MAX_URIS:
        raise _invalid(f"Error: uris must not have more than {MAX_URIS} elements")
    posts = [p for p in (_post_by_uri(u) for u in uris) if p is not None]
    return jsonify({"posts": [post_view(p) for p in posts]})


@bp.get("/xrpc/app.bsky.feed.getPostThread")
def get_postthread_view() -> Response:
    require_session()
    uri = request.args.get("uri", "")
    post = _post_by_uri(uri)
    if post is None:
        raise _invalid(f"Post not found: {uri}", "NotFound")
    depth = max(0, min(request.args.get("depth", 6, type=int) or 0, 1000))
    height = max(0, min(request.args.get("parentHeight", 80, type=int) or 0, 1000))
    return jsonify({"thread": with_parents(thread_view(post, depth), post, height)})


@bp.get("/xrpc/app.bsky.feed.getAuthorFeed")
def get_author_feed() -> Response:
    require_session()
    actor = resolve_actor(request.args.get("actor", ""))
    if actor is None:
        raise _invalid("Profile not found")
    limit = request.args.get("limit", 50, type=int) or 50
    if not 1 <= limit <= 100:
        raise _invalid("Error: limit must be from 1 to 100")
    posts = [p for p in reversed(sim_state().list_posts(NAME)) if p.extra.get("did") == actor[0]]
    cursor = request.args.get("cursor")
    if cursor:
        posts = [p for p in posts if p.id < cursor]
    if request.args.get("filter") == "posts_no_replies":
        posts = [p for p in posts if p.reply_to_id is None]
    elif request.args.get("filter") == "posts_with_media":
        posts = [p for p in posts if p.media_ids]
    page_posts = posts[:limit]
    body: dict[str, Any] = {"feed": [{"post": post_view(p)} for p in page_posts]}
    if len(posts) > limit:
        body["cursor"] = page_posts[-1].id
    return jsonify(body)


@bp.get("/xrpc/app.bsky.actor.getProfile")
def get_profile() -> Response:
    require_session()
    actor = resolve_actor(request.args.get("actor", ""))
    if actor is None:
        raise _invalid("Profile not found")
    did, handle = actor
    posts = [p for p in sim_state().list_posts(NAME) if p.extra.get("did") == did]
    return jsonify({**author_view(did, handle),
                    "description": "Not monitored 24/7. In an emergency call or text 911.",
                    "followersCount": 980, "followsCount": 120, "postsCount": len(posts),
                    "indexedAt": "2023-04-09T00:00:00.000Z"})


@bp.route("/xrpc/<nsid>", methods=["GET", "POST"])
def not_implemented(nsid: str) -> Response:
    raise ApiError(501, "MethodNotImplemented", "Method Not Implemented")


# -- pages ------------------------------------------------------------------------------------
@bp.get("/feed")
@page
def feed() -> str:
    return render_feed("Bluesky", [feed_item(p) for p in reversed(sim_state().list_posts(NAME))])


@bp.get("/profile/<handle>/post/<rkey>")
@page
def permalink(handle: str, rkey: str) -> str | tuple[str, int]:
    state = sim_state()
    post = state.get_post(NAME, rkey)
    if post is None or post.handle != handle:
        return render_not_found("This post does not exist (or the simulator was reset).")
    replies = visible_replies(post.id, post.created_at, state.age_seconds(post))
    return render_post("Bluesky", url_for(f"{NAME}.feed"), feed_item(post), replies)


@bp.get("/blob/<media_id>")
@page
def blob_file(media_id: str) -> Response | tuple[str, int]:
    return media_page(NAME, media_id)


# -- wire quirks ------------------------------------------------------------------------------
_CORE_ERRORS = {
    "rate_limited": ("RateLimitExceeded", "Rate Limit Exceeded"),
    "unavailable": ("InternalServerError", "Internal Server Error"),
    "token_revoked": ("ExpiredToken", "Token has been revoked"),
    "unauthorized": ("AuthenticationRequired", "Authentication Required"),
    "duplicate": ("InvalidRequest", "duplicate content"),
}


def error_response(status: int, code: str, message: str) -> Response:
    """XRPC errors: ``{"error": "<Name>", "message": …}``; core codes get the PDS's names."""
    if code in _CORE_ERRORS:
        code, message = _CORE_ERRORS[code]
    elif not code[:1].isupper() or "_" in code:
        code = "InternalServerError" if status >= 500 else "InvalidRequest"
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    return response


def rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset), "ratelimit-policy": f"{limit};w={RATE_WINDOW}"}


PLATFORM = PlatformSpec(
    name=NAME,
    title="Bluesky",
    blueprint=bp,
    feed_endpoint=f"{NAME}.feed",
    error_response=error_response,
    rate_limit_headers=rate_limit_headers,
    rate_limit=RATE_LIMIT,
    rate_window_seconds=RATE_WINDOW,
    description="A Bluesky PDS and AppView over XRPC (app passwords, blobs, facets, threads).",
)
