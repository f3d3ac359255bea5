"""``/api/v1/posts/<id>/consents``: a named person's consent to appear in a post."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from content_queue.consent import consents_for, record_consent
from content_queue.errors import ValidationFailed
from content_queue.models import Consent
from content_queue.services import get_post
from web.api.blueprint import bp
from web.api.common import api_actor, json_body
from web.common.state import get_session, now


def consent_to_dict(consent: Consent) -> dict[str, Any]:
    return {"id": consent.id, "post_id": consent.post_id, "person_name": consent.person_name,
            "given_by": consent.given_by, "given_on": consent.given_on.isoformat(),
            "purpose": consent.purpose, "covers_name": consent.covers_name,
            "covers_photo": consent.covers_photo, "recorded_by_id": consent.recorded_by_id,
            "recorded_at": consent.recorded_at.isoformat().replace("+00:00", "Z")}


def _flag(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ValidationFailed(f"{name} must be true or false.", fields={name: "Boolean."})
    return value


@bp.get("/posts/<int:post_id>/consents")
def list_consents(post_id: int):
    post = get_post(get_session(), api_actor(), post_id)
    return jsonify(consents=[consent_to_dict(c) for c in consents_for(get_session(), post.id)])


@bp.post("/posts/<int:post_id>/consents")
def create_consent(post_id: int):
    body = json_body()
    consent = record_consent(get_session(), actor=api_actor(), post_id=post_id,
                             person_name=body.get("person_name"), given_by=body.get("given_by"),
                             given_on=body.get("given_on"), purpose=body.get("purpose"),
                             covers_name=_flag(body, "covers_name", True),
                             covers_photo=_flag(body, "covers_photo", False), now=now())
    response = jsonify(consent=consent_to_dict(consent))
    response.status_code = 201
    return response
