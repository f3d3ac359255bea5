"""X's v2 media endpoints: one-shot upload and alt text metadata.

``POST /x/2/media/upload`` multipart: ``media`` (the file; or ``media_data``, base64),
    ``media_category`` (required: ``tweet_image``, ``dm_image``, ``subtitles``), optional
    ``media_type``. PNG/JPEG/WebP by magic bytes, ≤ 5 MB; GIFs are refused here (X takes
    them through the chunked upload, which the simulator does not model).
    → 200 ``{"data": {"id", "media_key": "3_<id>", "size", "expires_after_secs": 86400,
    "image": {"image_type"}}}``. OAuth 2.0 tokens need ``media.write``.
``POST /x/2/media/metadata`` JSON ``{"id", "metadata": {"alt_text": {"text"}}}`` (≤ 1,000
    characters) → 200 ``{"data": {"id", "associated_metadata": {"alt_text": {"text"}}}}``.
Media belong to the uploading user: another user's media id is "invalid" everywhere.
Faults: request kind ``"media"`` for both.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, jsonify, request

from simulator.context import sim_state
from simulator.faults import apply_faults
from simulator.media import sniff_image_type
from simulator.platform import ApiError
from simulator.platforms.x_tokens import NAME, Caller, require_caller
from simulator.state import StoredMedia, utc_now

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ALT_TEXT = 1000
MEDIA_EXPIRES_SECONDS = 86400
ONE_SHOT_CATEGORIES = {"tweet_image", "dm_image", "subtitles"}
ONE_SHOT_TYPES = {"image/png", "image/jpeg", "image/webp"}


def owned_media(caller: Caller, media_id: Any) -> StoredMedia | None:
    """The caller's uploaded, unexpired media with this id, else None."""
    if not isinstance(media_id, str):
        return None
    media = sim_state().get_media(NAME, media_id)
    if media is None or media.extra.get("owner_id") != caller.user.id:
        return None
    if (utc_now() - media.created_at).total_seconds() > MEDIA_EXPIRES_SECONDS:
        return None
    return media


def _uploaded_bytes() -> bytes:
    upload = request.files.get("media")
    if upload is not None:
        return upload.read(MAX_IMAGE_BYTES + 1)
    encoded = request.form.get("media_data")
    if encoded:
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "invalid_request", "media_data is not valid base64.") from None
    raise ApiError(400, "invalid_request", "The `media` field is required.")


def upload_media() -> tuple[Response, int] | Response:
    caller = require_caller()
    caller.require_scope("media.write")
    faulted = apply_faults(NAME, "media")
    if faulted is not None:
        return faulted
    category = request.form.get("media_category", "")
    if category not in ONE_SHOT_CATEGORIES:
        raise ApiError(400, "invalid_request",
                       f"media_category must be one of {', '.join(sorted(ONE_SHOT_CATEGORIES))} "
                       "for a one-shot upload.")
    data = _uploaded_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiError(400, "invalid_request", "Images are limited to 5 MB.")
    mime_type = sniff_image_type(data)
    if mime_type not in ONE_SHOT_TYPES:
        raise ApiError(400, "invalid_request",
                       "The file is not a PNG, JPEG or WebP image (GIFs need the chunked upload).")
    declared = request.form.get("media_type")
    if declared and declared != mime_type:
        raise ApiError(400, "invalid_request", f"media_type {declared} does not match the file.")
    state = sim_state()
    media_id = state.new_id()
    state.add_media(StoredMedia(NAME, media_id, mime_type, data, "", utc_now(),
                                extra={"owner_id": caller.user.id, "media_key": f"3_{media_id}",
                                       "category": category}))
    return jsonify({"data": {
        "id": media_id, "media_key": f"3_{media_id}", "size": len(data),
        "expires_after_secs": MEDIA_EXPIRES_SECONDS, "image": {"image_type": mime_type},
    }}), 200


def media_metadata() -> Response:
    caller = require_caller()
    caller.require_scope("media.write")
    faulted = apply_faults(NAME, "media")
    if faulted is not None:
        return faulted
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
        raise ApiError(400, "invalid_request", "Send a JSON object with `id` and `metadata`.")
    media = owned_media(caller, body.get("id"))
    if media is None:
        raise ApiError(400, "invalid_request", f"Media id {body.get('id')!r} is invalid.")
    alt = body["metadata"].get("alt_text")
    if alt is not None:
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(text, str):
            raise ApiError(400, "invalid_request", "`metadata.alt_text.text` must be a string.")
        if len(text) > MAX_ALT_TEXT:
            raise ApiError(400, "invalid_request",
                           f"Alt text is {len(text)} characters; the limit is {MAX_ALT_TEXT}.")
        media.alt_text = text
        sim_state().add_media(media)  # stores it again, so persistence sees the change
    return jsonify({"data": {"id": media.id,
                             "associated_metadata": {"alt_text": {"text": media.alt_text}}}})


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/2/media/upload", view_func=upload_media, methods=["POST"])
    bp.add_url_rule("/2/media/metadata", view_func=media_metadata, methods=["POST"])
