"""``/api/v1/tokens``: the caller's own API tokens: list (with last use), create (the token is
in the answer once), revoke (``DELETE /tokens/<id>`` or ``POST /tokens/<id>/revoke``). A token
acts with its user's role; another user's token id is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify

from content_queue.errors import NotFound, ValidationFailed
from content_queue.models import ApiToken
from content_queue.timeutil import LocalTimeError, parse_iso_instant
from content_queue.users import MAX_TOKEN_NAME, create_named_token, list_tokens, revoke_token
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body
from web.common.state import get_session, now


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def token_to_dict(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "role": row.user.role,
            "created_at": _iso(row.created_at), "last_used_at": _iso(row.last_used_at),
            "expires_at": _iso(row.expires_at), "revoked_at": _iso(row.revoked_at)}


@bp.get("/tokens")
def list_tokens_api():
    return jsonify(tokens=[token_to_dict(t) for t in list_tokens(get_session(), api_actor())])


@bp.post("/tokens")
def create_token_api():
    body = json_body()
    name = clean_text(body.get("name"), "name", max_length=MAX_TOKEN_NAME, required=True)
    expires_at = None
    if body.get("expires_at"):
        if not isinstance(body["expires_at"], str):
            raise ValidationFailed("expires_at must be an ISO 8601 time with its UTC offset.",
                                   fields={"expires_at": "An ISO 8601 time."})
        try:
            expires_at = parse_iso_instant(body["expires_at"].strip())
        except LocalTimeError as exc:
            raise ValidationFailed(str(exc), fields={"expires_at": str(exc)}) from None
    row, token = create_named_token(get_session(), api_actor(), name, now=now(),
                                    expires_at=expires_at)
    response = jsonify({**token_to_dict(row), "token": token})
    response.status_code = 201
    return response


def _own(token_id: int) -> ApiToken:
    row = get_session().get(ApiToken, token_id)
    if row is None or row.user_id != api_actor().id:
        raise NotFound("There is no such token.", code="unknown_token")
    return row


@bp.delete("/tokens/<int:token_id>")
def delete_token_api(token_id: int):
    row = _own(token_id)
    revoke_token(get_session(), row, actor=api_actor(), now=now())
    return jsonify(token_to_dict(row))


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token_api(token_id: int):
    return delete_token_api(token_id)
