"""The notifications list (newest first, paginated), marking read, and the header's unread
count (one count query per page, through a context processor)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from content_queue.notifications import (
    list_notifications,
    mark_all_read,
    mark_read,
    unread_count,
)
from web.common.auth import current_actor
from web.common.state import get_session, now

bp = Blueprint("notifications", __name__, template_folder="templates")

log = logging.getLogger(__name__)

PER_PAGE = 25
MAX_PAGE = 100_000


@bp.route("/notifications")
def index():
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    actor = current_actor()
    items, total = list_notifications(get_session(), actor.id, page=page, per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("notifications/index.html", notices=items, page=page, pages=pages,
                           total=total)


def _back():
    page = request.form.get("page", type=int) or 1
    return redirect(url_for("notifications.index", page=max(1, min(page, MAX_PAGE))))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
def read(notification_id: int):
    if mark_read(get_session(), current_actor().id, notification_id, now=now()) is None:
        abort(404, "There is no such notification in your list.")
    return _back()


@bp.route("/notifications/read-all", methods=["POST"])
def read_all():
    count = mark_all_read(get_session(), current_actor().id, now=now())
    flash(f"Marked {count} notification{'s' if count != 1 else ''} read.", "success")
    return _back()


def _unread_count() -> dict:
    if not current_user.is_authenticated:
        return {}
    try:
        return {"unread_notifications": unread_count(get_session(), current_user.id)}
    except SQLAlchemyError:  # an error page about the database must still render
        log.warning("unread count unavailable", exc_info=True)
        return {"unread_notifications": 0}


def init_app(app: Flask) -> None:
    app.context_processor(_unread_count)
