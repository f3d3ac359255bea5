"""``/api/v1/archive``: the public-records export as a zip (admins); and recording that a
published post was deleted on its platform."""

from __future__ import annotations

from flask import jsonify, request

from content_queue.archive import record_platform_deletion
from content_queue.errors import ValidationFailed
from content_queue.timeutil import LocalTimeError, parse_iso_instant
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body
from web.archive.export import archive_response
from web.common.state import get_session, now


@bp.get("/archive")
def export_archive():
    return archive_response(api_actor(), request.args.get("from"), request.args.get("to"),
                            via="api")


@bp.post("/targets/<int:target_id>/deletion")
def record_deletion(target_id: int):
    body = json_body(required=False)
    reason = clean_text(body.get("reason"), "reason", max_length=2000)
    moment = now()
    deleted_at = moment
    if body.get("deleted_at") not in (None, ""):
        try:
            deleted_at = parse_iso_instant(str(body["deleted_at"]))
        except LocalTimeError as exc:
            raise ValidationFailed(str(exc), code=exc.code, fields={"deleted_at": str(exc)}) \
                from None
    row = record_platform_deletion(get_session(), actor=api_actor(), target_id=target_id,
                                   deleted_at=deleted_at, reason=reason, now=moment)
    response = jsonify(deletion={"id": row.id, "target_id": row.target_id,
                                 "deleted_at": row.deleted_at.isoformat().replace("+00:00", "Z"),
                                 "reason": row.reason, "recorded_by_id": row.recorded_by_id})
    response.status_code = 201
    return response
