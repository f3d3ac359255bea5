"""``GET /api/v1/notifications`` (the caller's, newest first, with the unread count) and
``POST /api/v1/notifications/<id>/read``."""

from __future__ import annotations

from flask import jsonify

from content_queue.models import Notification
from content_queue.notifications import list_notifications, mark_read, unread_count
from web.api.blueprint import bp
from web.api.common import ApiError, api_actor, int_arg
from web.common.state import get_session, now

MAX_PER_PAGE = 100


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def notification_to_dict(row: Notification) -> dict:
    return {
        "id": row.id,
        "event": row.event,
        "subject": row.subject,
        "body": row.body,
        "post_id": row.post_id,
        "target_id": row.target_id,
        "account_id": row.account_id,
        "created_at": _iso(row.created_at),
        "read_at": _iso(row.read_at),
        "delivery_state": row.delivery_state,
    }


@bp.get("/notifications")
def list_my_notifications():
    page = int_arg("page", 1, maximum=100_000)
    per_page = int_arg("per_page", 50, maximum=MAX_PER_PAGE)
    session = get_session()
    actor = api_actor()
    rows, total = list_notifications(session, actor.id, page=page, per_page=per_page)
    return jsonify(notifications=[notification_to_dict(r) for r in rows],
                   unread=unread_count(session, actor.id), page=page, per_page=per_page,
                   total=total)


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int):
    row = mark_read(get_session(), api_actor().id, notification_id, now=now())
    if row is None:
        raise ApiError(404, "not_found", f"You have no notification with id {notification_id}.")
    return jsonify(notification_to_dict(row))
