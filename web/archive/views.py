"""The archive page (admins): choose a date range and download the public-records zip."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select

from content_queue.archive import record_platform_deletion
from content_queue.errors import Forbidden, ServiceError
from content_queue.models import APPROVER_ROLES, AuditEvent, Post, TargetDeletion
from content_queue.timeutil import utc_to_local
from web.archive.export import archive_response
from web.common.auth import current_actor, refuse, roles_allowed
from web.common.forms import service_errors
from web.common.state import discard_changes, get_session, now

bp = Blueprint("archive", __name__, template_folder="templates")


class CsrfOnly(FlaskForm):
    pass


def _render(values: dict, errors: dict, status: int = 200):
    actor = current_actor()
    today = utc_to_local(now(), actor.agency.timezone).date()
    exports = list(get_session().scalars(
        select(AuditEvent).where(AuditEvent.action == "archive.exported",
                                 AuditEvent.entity_type == "agency",
                                 AuditEvent.entity_id == actor.agency_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(20)))
    return render_template("archive/index.html", form=CsrfOnly(formdata=None), errors=errors,
                           values={"from": (today - timedelta(days=30)).isoformat(),
                                   "to": today.isoformat(), **values},
                           exports=exports), status


@bp.app_template_global()
def platform_deletions(post: Post) -> dict[int, TargetDeletion]:
    """Target id → its recorded deletion, for the post page's deletion panel."""
    ids = [t.id for t in post.targets]
    if not ids:
        return {}
    return {d.target_id: d for d in get_session().scalars(
        select(TargetDeletion).where(TargetDeletion.target_id.in_(ids)))}


ADMINS_ONLY = "Only an admin can export the public-records archive."


@bp.route("/archive")
@roles_allowed({"admin"}, ADMINS_ONLY)
def index():
    return _render({}, {})


@bp.route("/archive", methods=["POST"])
@roles_allowed({"admin"}, ADMINS_ONLY)
def export():
    if not CsrfOnly().validate():
        abort(400, "The form expired; reload the page and try again.")
    values = {"from": request.form.get("from", ""), "to": request.form.get("to", "")}
    try:
        return archive_response(current_actor(), values["from"], values["to"], via="browser")
    except ServiceError as exc:
        discard_changes()
        return _render(values, service_errors(exc, {"from": "from", "to": "to"}), 422)


@bp.route("/posts/<int:post_id>/targets/<int:target_id>/deletion", methods=["POST"])
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can record a deletion.")
def record_deletion(post_id: int, target_id: int):
    if not CsrfOnly().validate():
        abort(400, "The form expired; reload the page and try again.")
    actor = current_actor()
    session = get_session()
    target = next((t for t in getattr(session.get(Post, post_id), "targets", [])
                   if t.id == target_id), None)
    if target is None or target.post.agency_id != actor.agency_id:
        abort(404, "There is no such post in your agency's queue.")
    moment = now()
    try:
        record_platform_deletion(session, actor=actor, target_id=target_id, deleted_at=moment,
                                 reason=request.form.get("reason", "")[:2000], now=moment)
    except Forbidden as exc:
        refuse(exc)
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
    else:
        flash(f"Recorded: deleted on the platform (@{target.account.handle}). The post stays in "
              "the archive.", "success")
    return redirect(url_for("posts.detail", post_id=post_id) + "#deletions")
