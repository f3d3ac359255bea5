"""The control API under ``/_sim``: what tests and demos use to steer the simulator.

Platform-neutral on purpose: it works on the shared stores, so a new platform
gets reset, listing, faults, revocation and the clock for free.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from simulator.context import public_base, sim_context, sim_state
from simulator.platform import ApiError
from simulator.state import FAULT_KINDS, Fault, StoredPost, iso_z

bp = Blueprint("control", __name__, url_prefix="/_sim")


def post_record(post: StoredPost) -> dict[str, Any]:
    """The platform-neutral view of a stored post (the ``/_sim/posts`` shape)."""
    state = sim_state()
    media = [state.get_media(post.platform, media_id) for media_id in post.media_ids]
    return {
        "platform": post.platform,
        "id": post.id,
        "handle": post.handle,
        "text": post.text,
        "created_at": iso_z(post.created_at),
        "url": public_base() + post.path,
        "reply_to_id": post.reply_to_id,
        "idempotency_key": post.idempotency_key,
        "media": [
            {"id": m.id, "mime_type": m.mime_type, "size": m.size, "alt_text": m.alt_text}
            for m in media
            if m is not None
        ],
        "extra": post.extra,
    }


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "Send a JSON object.")
    return body


def _platform_arg(value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in sim_context().platforms:
        known = ", ".join(sorted(sim_context().platforms))
        raise ApiError(400, "unknown_platform", f"platform must be one of: {known}.")
    return value


def _number(body: dict[str, Any], key: str, default: float, *, low: float, high: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ApiError(400, "invalid_request", f"{key} must be a number from {low:g} to {high:g}.")
    return float(value)


@bp.get("/health")
def health() -> Response:
    return jsonify({"ok": True})


@bp.post("/reset")
def reset() -> Response:
    sim_state().reset()
    return jsonify({"ok": True})


@bp.get("/requests")
def requests_log() -> Response:
    platform = _platform_arg(request.args.get("platform"), required=False)
    return jsonify({"requests": sim_state().logged_requests(platform)})


@bp.get("/posts")
def posts() -> Response:
    platform = _platform_arg(request.args.get("platform"), required=False)
    return jsonify({"posts": [post_record(p) for p in sim_state().list_posts(platform)]})


@bp.get("/faults")
def list_faults() -> Response:
    state = sim_state()
    with state.lock:
        pending = [fault.to_json() for fault in state.faults]
    return jsonify({"faults": pending})


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    body = _json_body()
    platform = _platform_arg(body.get("platform"), required=True)
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ApiError(400, "unknown_fault", f"kind must be one of: {', '.join(sorted(FAULT_KINDS))}.")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ApiError(400, "invalid_request", "count must be a positive integer.")
    for key in ("path_contains", "request_kind"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, "invalid_request", f"{key} must be a string.")
    fault = Fault(
        platform=str(platform),
        kind=kind,
        count=count,
        retry_after=_number(body, "retry_after", 2, low=0, high=86_400),
        delay=_number(body, "delay", 1, low=0, high=120),
        path_contains=body.get("path_contains"),
        request_kind=body.get("request_kind"),
        probability=_number(body, "probability", 1, low=0.001, high=1),
    )
    sim_state().add_fault(fault)
    return jsonify({"fault": fault.to_json()}), 201


@bp.delete("/faults")
def clear_faults() -> Response:
    sim_state().clear_faults()
    return jsonify({"ok": True})


@bp.post("/revoke")
def revoke() -> Response:
    body = _json_body()
    platform = _platform_arg(body.get("platform"), required=True)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ApiError(400, "invalid_request", "token must be a non-empty string.")
    sim_state().revoke(str(platform), token)
    return jsonify({"ok": True})


@bp.post("/clock")
def clock() -> Response:
    body = _json_body()
    seconds = _number(body, "advance_seconds", 0, low=0, high=10 * 365 * 86_400)
    return jsonify({"clock_offset_seconds": sim_state().advance_clock(seconds)})
