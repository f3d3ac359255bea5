"""``/api/v1/pauses``: the incident pause — start one, list the active ones, resume one.

Approvers and admins only (403 for everyone else, in the API's error shape). Input is checked
and bounded before the request's session opens (see :mod:`.common`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify

from content_queue.errors import NotFound, ValidationFailed
from content_queue.ids import to_id
from content_queue.models import APPROVER_ROLES
from content_queue.pauses import MAX_ACCOUNTS, MAX_REASON, active_pauses, create_pause, \
    resume_pause
from content_queue.timeutil import LocalTimeError, parse_iso_instant
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body, parse_ids
from web.api.shapes import pause_to_dict
from web.common.auth import roles_allowed
from web.common.state import get_session, get_state, now


def _optional_instant(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be an ISO 8601 time with its UTC offset "
                               "(example: 2027-04-11T09:00:00-05:00).", code="invalid_time",
                               fields={name: "An ISO 8601 time with its UTC offset."})
    try:
        return parse_iso_instant(value.strip())
    except LocalTimeError as exc:
        raise ValidationFailed(str(exc), code=exc.code, fields={name: str(exc)}) from None


@bp.post("/pauses")
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can pause or resume outgoing posts.")
def start_pause():
    body = json_body()
    reason = clean_text(body.get("reason"), "reason", max_length=MAX_REASON, required=True,
                        code="reason_required", too_long_code="reason_too_long")
    account_ids = parse_ids(body.get("account_ids"), "account_ids", limit=MAX_ACCOUNTS,
                            code="unknown_account", too_many_code="too_many_accounts",
                            what="an account id")
    resume_at = _optional_instant(body, "resume_at")
    actor = api_actor()
    pause = create_pause(get_session(), actor=actor, agency_id=actor.agency_id, reason=reason,
                         account_ids=account_ids or None, resume_at=resume_at, now=now())
    shape = pause_to_dict(pause)
    response = jsonify({key: shape[key] for key in
                        ("id", "reason", "account_ids", "created_by", "created_at",
                         "resume_at")})
    response.status_code = 201
    return response


@bp.get("/pauses")
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can pause or resume outgoing posts.")
def list_active_pauses():
    actor = api_actor()
    return jsonify(pauses=[pause_to_dict(p) for p in active_pauses(get_session(),
                                                                   actor.agency_id)])


@bp.post("/pauses/<pause_id>/resume")
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can pause or resume outgoing posts.")
def resume(pause_id: str):
    parsed = to_id(pause_id)
    body = json_body(required=False)
    held = body.get("held")
    actor = api_actor()
    if parsed is None:
        raise NotFound(f"No pause with id {pause_id[:40]}.")
    result = resume_pause(get_session(), actor=actor, pause_id=parsed, held=held, now=now(),
                          budgets=get_state().settings.posting_budgets)
    return jsonify({**pause_to_dict(result.pause), "released": len(result.released)})
