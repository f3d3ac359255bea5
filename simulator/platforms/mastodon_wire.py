"""What every simulated Mastodon route shares: instances, who the caller is, and JSON shapes.

Split from ``mastodon.py`` (the API routes) and ``mastodon_oauth.py`` (app registration and
the consent page) so both can use one blueprint and one idea of "instance" and "account".

Instances: the simulator hosts any number of Mastodon instances. ``/mastodon/...`` is the
instance named ``default`` (domain ``mastodon.example``); ``/mastodon/<name>/...`` is the
instance ``<name>`` (domain ``<name>.mastodon.example``; names are 1–40 of ``a-z 0-9 -``).
Each has its own settings (``max_characters`` 500, ``media_processing_seconds`` 0 unless a
test changes them through ``POST <instance>/_sim/instance``), its own OAuth apps, and its own
statuses; a status id of one instance is unknown on another.

Accounts: a token issued by this simulator's ``/oauth/token`` is
``tenfour-sim.<instance>.<username>.<hex>`` and belongs to ``<username>`` on that instance
only (401 elsewhere). Any other non-empty token belongs to the demo account ``metro911``.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from simulator.auth import require_bearer
from simulator.context import public_base, sim_state
from simulator.engagement import metrics_for
from simulator.platform import ApiError
from simulator.state import StoredMedia, StoredPost, iso_z

NAME = "mastodon"
VERSION = "4.3.0"
DEFAULT_INSTANCE = "default"
DEFAULT_USERNAME = "metro911"
DEFAULT_SETTINGS: dict[str, Any] = {"max_characters": 500, "media_processing_seconds": 0.0}
MAX_MEDIA = 4
MAX_DESCRIPTION = 1500
IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
URL_WEIGHT = 23
INSTANCE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
TOKEN_RE = re.compile(r"^tenfour-sim\.(?P<instance>[a-z0-9-]+)\.(?P<username>[A-Za-z0-9_]{1,30})\.[0-9a-f]+$")
URL_RE = re.compile(r"https?://\S+")
LINKIFY_RE = re.compile(r"(https?://\S+)|(?<![\w/#])#(\w+)")

bp = Blueprint(NAME, __name__, url_prefix=f"/{NAME}")

View = Callable[..., Any]


def route(rule: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[View], View]:
    """Register ``rule`` for the default instance and under ``/<instance>`` for named ones."""

    def decorate(view: View) -> View:
        endpoint = view.__name__
        bp.add_url_rule(rule, endpoint, view, methods=list(methods), defaults={"instance": DEFAULT_INSTANCE})
        bp.add_url_rule("/<instance>" + rule, endpoint, view, methods=list(methods))
        return view

    return decorate


# -- instances ----------------------------------------------------------------------------
def check_instance(instance: str) -> str:
    if not INSTANCE_RE.match(instance):
        raise ApiError(404, "not_found", "Record not found")
    return instance


def check_instance_quietly(instance: str) -> bool:
    try:
        check_instance(instance)
    except ApiError:
        return False
    return True


def domain(instance: str) -> str:
    return "mastodon.example" if instance == DEFAULT_INSTANCE else f"{instance}.mastodon.example"


def prefix(instance: str) -> str:
    """The URL path of an instance's root, e.g. ``/mastodon`` or ``/mastodon/big``."""
    return f"/{NAME}" if instance == DEFAULT_INSTANCE else f"/{NAME}/{instance}"


def instance_base(instance: str) -> str:
    return public_base() + prefix(instance)


def settings(instance: str) -> dict[str, Any]:
    state = sim_state()
    with state.lock:
        stored = state.platform_data(NAME).get("instances", {}).get(instance, {})
        return {**DEFAULT_SETTINGS, **stored}


def update_settings(instance: str, changes: dict[str, Any]) -> dict[str, Any]:
    state = sim_state()
    with state.lock:
        instances = state.platform_data(NAME).setdefault("instances", {})
        instances[instance] = {**instances.get(instance, {}), **changes}
    return settings(instance)


# -- who is calling -----------------------------------------------------------------------
def current_username(instance: str) -> str:
    """The account the bearer token belongs to on ``instance`` (401 without a valid token)."""
    token = require_bearer(NAME)
    match = TOKEN_RE.match(token)
    if match is None:
        return DEFAULT_USERNAME
    if match["instance"] != instance:
        raise ApiError(401, "unauthorized", "The access token is invalid")
    return match["username"]


def issue_token(instance: str, username: str, secret_hex: str) -> str:
    return f"tenfour-sim.{instance}.{username}.{secret_hex}"


def account_id(instance: str, username: str) -> str:
    """Numeric like Mastodon's ids, stable per instance and username."""
    digest = hashlib.sha256(f"{instance}:{username.lower()}".encode()).digest()
    return str(100_000_000_000 + int.from_bytes(digest[:5], "big"))


def display_name(username: str) -> str:
    if username == DEFAULT_USERNAME:
        return "Metro 911 Communications"
    return username.replace("_", " ").title()


def account_json(instance: str, username: str, *, remote_domain: str | None = None,
                 statuses_count: int = 0, with_source: bool = False) -> dict[str, Any]:
    """A Mastodon Account; ``remote_domain`` makes it a federated account (``acct`` has a domain)."""
    host = remote_domain or domain(instance)
    body: dict[str, Any] = {
        "id": account_id(remote_domain or instance, username),
        "username": username,
        "acct": f"{username}@{remote_domain}" if remote_domain else username,
        "display_name": display_name(username),
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2023-04-09T00:00:00.000Z",
        "note": "<p>Not monitored 24/7. In an emergency call or text 911.</p>",
        "url": f"https://{host}/@{username}",
        "uri": f"https://{host}/users/{username}",
        "avatar": f"https://{host}/avatars/original/missing.png",
        "avatar_static": f"https://{host}/avatars/original/missing.png",
        "header": f"https://{host}/headers/original/missing.png",
        "header_static": f"https://{host}/headers/original/missing.png",
        "followers_count": 1250,
        "following_count": 80,
        "statuses_count": statuses_count,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }
    if with_source:
        body["source"] = {"privacy": "public", "sensitive": False, "language": "en",
                          "note": "Not monitored 24/7. In an emergency call or text 911.",
                          "fields": [], "follow_requests_count": 0}
    return body


# -- text -----------------------------------------------------------------------------------
def status_length(text: str) -> int:
    """Mastodon's count: every URL is 23 characters, everything else one per code point.

    (Mastodon also counts a remote mention ``@user@domain`` as ``@user``; not modelled.)
    """
    urls = URL_RE.findall(text)
    return len(URL_RE.sub("", text)) + URL_WEIGHT * len(urls)


def content_html(text: str, instance: str) -> str:
    """The ``content`` Mastodon renders: escaped text in ``<p>``, ``<br />``, linked URLs and tags."""
    base = instance_base(instance)

    def linkify(chunk: str) -> str:
        out, last = [], 0
        for match in LINKIFY_RE.finditer(chunk):
            out.append(html.escape(chunk[last:match.start()], quote=False))
            if match.group(1):
                url = html.escape(match.group(1))
                out.append(f'<a href="{url}" target="_blank" rel="nofollow noopener">{url}</a>')
            else:
                tag = html.escape(match.group(2))
                out.append(f'<a href="{base}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>')
            last = match.end()
        out.append(html.escape(chunk[last:], quote=False))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n{2,}", text.strip("\n")) if p]
    return "".join("<p>" + "<br />".join(linkify(line) for line in p.split("\n")) + "</p>"
                   for p in paragraphs)


# -- media and statuses ---------------------------------------------------------------------
def media_ready(media: StoredMedia) -> bool:
    return time.time() >= float(media.extra.get("ready_at", 0.0))


def media_url(media: StoredMedia) -> str:
    instance = media.extra.get("instance", DEFAULT_INSTANCE)
    return public_base() + url_for(f"{NAME}.media_file", instance=instance, media_id=media.id)


def media_json(media: StoredMedia) -> dict[str, Any]:
    ready = media_ready(media)
    url = media_url(media) if ready else None
    return {
        "id": media.id,
        "type": "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": {"size": str(media.size)}} if ready else {},
        "description": media.alt_text or None,
        "blurhash": None,
    }


def own_replies(post: StoredPost) -> list[StoredPost]:
    """This instance's statuses that answer ``post`` directly (thread continuations)."""
    return [p for p in sim_state().list_posts(NAME)
            if p.reply_to_id == post.id and p.extra.get("instance") == post.extra.get("instance")]


def status_json(post: StoredPost) -> dict[str, Any]:
    state = sim_state()
    instance = post.extra.get("instance", DEFAULT_INSTANCE)
    host = domain(instance)
    metrics = metrics_for(post.id, state.age_seconds(post))
    parent = state.get_post(NAME, post.reply_to_id) if post.reply_to_id else None
    media = [state.get_media(NAME, media_id) for media_id in post.media_ids]
    return {
        "id": post.id,
        "created_at": iso_z(post.created_at),
        "in_reply_to_id": post.reply_to_id,
        "in_reply_to_account_id": account_id(instance, parent.handle) if parent else None,
        "sensitive": False,
        "spoiler_text": post.extra.get("spoiler_text", ""),
        "visibility": post.extra.get("visibility", "public"),
        "language": post.extra.get("language", "en"),
        "uri": f"https://{host}/users/{post.handle}/statuses/{post.id}",
        "url": public_base() + post.path,
        "replies_count": metrics.replies + len(own_replies(post)),
        "reblogs_count": metrics.reposts,
        "favourites_count": metrics.likes,
        "edited_at": None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "content": content_html(post.text, instance),
        "filtered": [],
        "reblog": None,
        "application": {"name": post.extra.get("application", "Web"), "website": None},
        "account": account_json(instance, post.handle),
        "media_attachments": [media_json(m) for m in media if m is not None],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def instance_posts(instance: str, username: str | None = None) -> list[StoredPost]:
    """Statuses of one instance (optionally one account), oldest first."""
    return [p for p in sim_state().list_posts(NAME, username) if p.extra.get("instance") == instance]


def status_on(instance: str, status_id: str) -> StoredPost:
    """A status of this instance, or Mastodon's 404."""
    post = sim_state().get_post(NAME, status_id)
    if post is None or post.extra.get("instance") != instance:
        raise ApiError(404, "not_found", "Record not found")
    return post


# -- wire quirks ----------------------------------------------------------------------------
_CORE_MESSAGES = {
    "unauthorized": "The access token is invalid",
    "token_revoked": "The access token was revoked",
    "rate_limited": "Too many requests",
}


def error_response(status: int, code: str, message: str) -> Response:
    """Mastodon's error body is ``{"error": "<message>"}`` whatever the status."""
    response = jsonify({"error": _CORE_MESSAGES.get(code, message)})
    response.status_code = status
    return response


def rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    """Mastodon sends the reset as an ISO 8601 time, not an epoch."""
    moment = datetime.fromtimestamp(reset, UTC).isoformat(timespec="microseconds")
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": moment.replace("+00:00", "Z"),
    }


def params() -> dict[str, Any]:
    """Form or JSON parameters, the way Rails merges them; ``key[]`` form fields become lists."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "Error while parsing the JSON body")
        return body
    merged: dict[str, Any] = {}
    for key, values in request.form.lists():
        if key.endswith("[]"):
            merged[key[:-2]] = values
        else:
            merged[key] = values[-1]
    return merged
