"""issue 8: ``/api/v1/accounts/<id>/slots`` (an account's weekly posting slots) and the
``"slot": "next"`` choice of ``POST /api/v1/posts``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from flask import jsonify

from content_queue.errors import ValidationFailed
from content_queue.models import AUTHOR_ROLES
from content_queue.slots import list_slots, next_free_slot, replace_slots
from web.api.blueprint import bp
from web.api.common import api_actor, json_body
from web.common.auth import roles_allowed
from web.common.state import get_session, now


@bp.get("/accounts/<int:account_id>/slots")
def read_slots(account_id: int):
    return jsonify(slots=list_slots(get_session(), api_actor(), account_id))


@bp.put("/accounts/<int:account_id>/slots")
@roles_allowed(AUTHOR_ROLES, "Viewers cannot change posting slots.")
def write_slots(account_id: int):
    body = json_body()
    if "slots" not in body:
        raise ValidationFailed('Send {"slots": [{"weekday": 0-6, "time": "HH:MM"}]}.',
                               code="invalid_slots", fields={"slots": "Required."})
    return jsonify(slots=replace_slots(get_session(), api_actor(), account_id, body["slots"]))


def scheduled_at_or_slot(body: dict[str, Any], account_ids: list[int],
                         instant: Callable[[dict[str, Any]], datetime]) -> datetime:
    """``scheduled_at`` as given, or, with ``"slot": "next"``, the accounts' next free slot."""
    slot = body.get("slot")
    if slot is None:
        return instant(body)
    if slot != "next":
        raise ValidationFailed('slot can only be "next" (the next free posting slot).',
                               code="invalid_slot", fields={"slot": 'Only "next".'})
    if body.get("scheduled_at") not in (None, ""):
        raise ValidationFailed('Give either scheduled_at or "slot": "next", not both.',
                               code="invalid_slot", fields={"slot": "Not with scheduled_at."})
    return next_free_slot(get_session(), api_actor(), account_ids, now=now())
