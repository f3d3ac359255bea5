"""``/api/v1/guard``: the sensitive-information check on any text, a post's findings, and an
approver's written override (issue 10)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from content_queue.guard import KINDS, check_text, config_for, override_guard
from content_queue.guard.posts import check_post, current_override
from content_queue.models import Agency, GuardOverride
from content_queue.services import MAX_TEXT, get_post
from web.api.blueprint import bp
from web.api.common import ApiError, api_actor, json_body
from web.api.openapi import document, op
from web.common.state import get_session, now


def override_to_dict(row: GuardOverride) -> dict[str, Any]:
    return {"id": row.id, "post_id": row.post_id, "justification": row.justification,
            "findings": row.findings, "created_by": row.created_by_id,
            "created_at": row.created_at.isoformat()}


@bp.post("/guard/check")
def guard_check():
    body = json_body()
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "bad_request", 'Send the text to check: {"text": "..."}.',
                       fields={"text": "Required, as text."})
    if len(text) > MAX_TEXT:
        raise ApiError(400, "bad_request", f"text can be at most {MAX_TEXT} characters.",
                       fields={"text": f"At most {MAX_TEXT} characters."})
    config = config_for(get_session().get(Agency, api_actor().agency_id))
    return jsonify(findings=[f.to_dict() for f in check_text(text, config)])


@bp.get("/posts/<int:post_id>/guard")
def post_guard(post_id: int):
    """What the check finds in the post's texts now, and the override that covers them."""
    session = get_session()
    post = get_post(session, api_actor(), post_id)
    override = current_override(session, post)
    return jsonify(findings=[f.to_dict() for f in check_post(session, post)],
                   override=override_to_dict(override) if override else None)


@bp.post("/posts/<int:post_id>/guard/override")
def post_guard_override(post_id: int):
    body = json_body()
    session = get_session()
    post = get_post(session, api_actor(), post_id)
    row = override_guard(session, actor=api_actor(), post=post,
                         justification=body.get("justification"), now=now())
    response = jsonify(override=override_to_dict(row))
    response.status_code = 201
    return response


def override_from_body(body: dict[str, Any], post_id: int) -> None:
    """``"guard_override": "why"`` in an approval's body: the override, written first."""
    justification = body.get("guard_override")
    if justification in (None, ""):
        return
    session = get_session()
    post = get_post(session, api_actor(), post_id)
    if current_override(session, post) is None and check_post(session, post):
        override_guard(session, actor=api_actor(), post=post, justification=justification,
                       now=now())


_FINDING = {"type": "object", "required": ["kind", "start", "end", "text", "message"],
            "properties": {
                "kind": {"type": "string", "enum": sorted(KINDS)},
                "start": {"type": "integer", "minimum": 0},
                "end": {"type": "integer", "minimum": 0},
                "text": {"type": "string", "description": "text[start:end] of the checked text"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "On a post: text, variants.<platform>"
                                                           " or media.<n>.alt_text"}}}
SCHEMAS: dict[str, dict[str, Any]] = {
    "GuardCheck": {"type": "object", "required": ["text"],
                   "properties": {"text": {"type": "string", "maxLength": MAX_TEXT}}},
    "GuardFinding": _FINDING,
    "GuardFindings": {"type": "object", "required": ["findings"], "properties": {
        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/GuardFinding"}}}},
    "GuardOverrideBody": {"type": "object", "required": ["justification"], "properties": {
        "justification": {"type": "string", "minLength": 10, "maxLength": 2000}}},
    "GuardOverride": {"type": "object", "properties": {
        "id": {"type": "integer"}, "post_id": {"type": "integer"},
        "justification": {"type": "string"},
        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/GuardFinding"}},
        "created_by": {"type": "integer"}, "created_at": {"type": "string",
                                                          "format": "date-time"}}},
    "GuardOverrideResult": {"type": "object", "properties": {
        "override": {"$ref": "#/components/schemas/GuardOverride"}}},
    "PostGuard": {"type": "object", "properties": {
        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/GuardFinding"}},
        "override": {"oneOf": [{"$ref": "#/components/schemas/GuardOverride"},
                               {"type": "null"}]}}},
}
document("/guard/check", "POST", op(
    "Check a text for what a 911 center must not publish", "guard",
    (200, "GuardFindings", "The findings, in text order (empty: nothing found)."),
    body="GuardCheck",
    description="Phone numbers, addresses, dates of birth, incident/case/CAD numbers, plates, "
                "private e-mail addresses, names next to incident words; the agency's "
                "allow-list applies. The same check answers 422 sensitive_information (with "
                "error.findings) on POST /posts and on approval."), SCHEMAS)
document("/posts/<int:post_id>/guard", "GET", op(
    "What the check finds in a post's texts, and the override covering them", "guard",
    (200, "PostGuard", "Findings and override."), errors=("404",)), SCHEMAS)
document("/posts/<int:post_id>/guard/override", "POST", op(
    "Let a post's exact texts through the check, with a written justification (approvers)",
    "guard", (201, "GuardOverrideResult", "The override, audited."),
    body="GuardOverrideBody", errors=("403", "404", "409", "422")), SCHEMAS)
