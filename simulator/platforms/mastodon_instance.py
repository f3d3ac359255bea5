"""A simulated Mastodon instance describes itself: ``/api/v1/instance``, ``/api/v2/instance``.

Mastodon.py probes ``/api/v1/instance/`` (trailing slash) for the version before its first
media upload; without an answer it assumes Mastodon 1.0 and uses the old media endpoint, so
both versions answer with and without the slash. The test-only ``_sim/instance`` control
changes an instance's ``max_characters`` and ``media_processing_seconds``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from simulator.context import page
from simulator.platforms.mastodon_wire import (
    IMAGE_SIZE_LIMIT,
    MAX_DESCRIPTION,
    MAX_MEDIA,
    URL_WEIGHT,
    VERSION,
    check_instance,
    check_instance_quietly,
    domain,
    instance_posts,
    route,
    settings,
    update_settings,
)

MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]


def _configuration(instance: str) -> dict[str, Any]:
    return {
        "statuses": {"max_characters": settings(instance)["max_characters"],
                     "max_media_attachments": MAX_MEDIA, "characters_reserved_per_url": URL_WEIGHT},
        "media_attachments": {"supported_mime_types": MIME_TYPES, "description_limit": MAX_DESCRIPTION,
                              "image_size_limit": IMAGE_SIZE_LIMIT, "image_matrix_limit": 33_177_600,
                              "video_size_limit": 103_809_024, "video_frame_rate_limit": 120,
                              "video_matrix_limit": 8_294_400},
        "polls": {"max_options": 4, "max_characters_per_option": 50,
                  "min_expiration": 300, "max_expiration": 2_629_746},
    }


@route("/api/v1/instance")
@route("/api/v1/instance/")
def instance_v1(instance: str) -> Response:
    check_instance(instance)
    return jsonify({
        "uri": domain(instance),
        "title": f"{domain(instance)} (simulated)",
        "short_description": "A loopback Mastodon instance of the Tenfour simulator.",
        "description": "A loopback Mastodon instance of the Tenfour simulator.",
        "email": f"admin@{domain(instance)}",
        "version": VERSION,
        "urls": {"streaming_api": f"wss://{domain(instance)}"},
        "stats": {"user_count": 1, "status_count": len(instance_posts(instance)), "domain_count": 1},
        "thumbnail": None,
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": _configuration(instance),
        "contact_account": None,
        "rules": [],
    })


@route("/api/v2/instance")
@route("/api/v2/instance/")
def instance_v2(instance: str) -> Response:
    check_instance(instance)
    config = _configuration(instance)
    config.update({
        "urls": {"streaming": f"wss://{domain(instance)}"},
        "vapid": {"public_key": ""},
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "translation": {"enabled": False},
    })
    return jsonify({
        "domain": domain(instance),
        "title": f"{domain(instance)} (simulated)",
        "version": VERSION,
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A loopback Mastodon instance of the Tenfour simulator.",
        "usage": {"users": {"active_month": 1}},
        "thumbnail": {"url": f"https://{domain(instance)}/thumbnail.png"},
        "languages": ["en"],
        "configuration": config,
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": f"admin@{domain(instance)}", "account": None},
        "rules": [],
    })


@route("/_sim/instance", methods=("GET", "POST"))
@page
def instance_settings(instance: str) -> Response | tuple[Response, int]:
    """Tests change an instance's limit or media processing time here."""
    if not check_instance_quietly(instance):
        return jsonify({"error": "Unknown instance name"}), 404
    if request.method == "GET":
        return jsonify(settings(instance))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "Send a JSON object."}), 400
    changes: dict[str, Any] = {}
    chars = body.get("max_characters")
    if chars is not None:
        if isinstance(chars, bool) or not isinstance(chars, int) or not 1 <= chars <= 100_000:
            return jsonify({"error": "max_characters must be an integer from 1 to 100000."}), 400
        changes["max_characters"] = chars
    delay = body.get("media_processing_seconds")
    if delay is not None:
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 60:
            return jsonify({"error": "media_processing_seconds must be from 0 to 60."}), 400
        changes["media_processing_seconds"] = float(delay)
    return jsonify(update_settings(instance, changes))
