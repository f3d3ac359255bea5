"""``/feedback``: the community feedback wall (any role), the approvers' hide and highlight
buttons, and ``/feedback/on-duty`` (admins): who hears of emergency-looking replies and the
instructions the wall shows with them.

Emergency-looking replies of the last 48 hours sit above everything with the agency's
instructions (NENA-STA-044.1-2022). Hidden replies (personal information, or hidden by an
approver) are shown to approvers only, with the reason; anyone else sees that an emergency
came in but not its text.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from content_queue import feedback
from content_queue.errors import ValidationFailed
from content_queue.models import APPROVER_ROLES, Agency, User
from web.common.auth import current_actor, roles_allowed
from web.common.security import safe_next
from web.common.state import discard_changes, get_session, now
from web.feedback.filters import parse_wall_filter

bp = Blueprint("feedback", __name__, template_folder="templates")

PER_PAGE = 25
MAX_PAGE = 100_000
#: The tabs above the wall: (label, query arguments).
TABS = (("Thank-yous first", {"view": "thanks"}), ("Newest", {"view": "newest"}),
        ("Emergencies", {"flag": "emergency", "view": "newest"}),
        ("On the briefing", {"highlighted": "true", "view": "newest"}))
APPROVER_TABS = (("Phone numbers", {"flag": "phone", "view": "newest"}),
                 ("Addresses", {"flag": "address", "view": "newest"}))


@bp.route("/feedback")
def wall():
    actor = current_actor()
    session = get_session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    try:
        chosen = parse_wall_filter(request.args, actor.agency.timezone,
                                   include_hidden=actor.is_approver)
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("feedback.wall"))
    urgent = feedback.recent_emergencies(session, actor.agency_id, now=now())
    if chosen.flag is None:
        chosen = replace(chosen, exclude_ids=tuple(e.reply.id for e in urgent))
    entries, total = feedback.list_wall(session, actor.agency_id, chosen, page=page,
                                        per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    args = {k: v for k, v in request.args.items() if k != "page"}
    tabs = TABS + (APPROVER_TABS if actor.is_approver else ())
    return render_template("feedback/wall.html", urgent=urgent, entries=entries, total=total,
                           page=page, pages=pages, args=args, tabs=tabs,
                           instructions=feedback.instructions_for(actor.agency),
                           on_duty=_on_duty_name(session, actor.agency),
                           # the on-duty user acts on emergencies, address included
                           reads_emergencies=actor.agency.on_duty_user_id == actor.id)


def _on_duty_name(session, agency: Agency) -> str:
    if agency.on_duty_user_id is None:
        return "the agency's admins"
    user = session.get(User, agency.on_duty_user_id)
    return (user.display_name or user.email) if user else "the agency's admins"


@bp.route("/feedback/<int:reply_id>/<any(hide, unhide, highlight, unhighlight):action>",
          methods=["POST"])
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can hide or highlight replies.")
def moderate(reply_id: int, action: str):
    actor = current_actor()
    session = get_session()
    reply = feedback.get_reply(session, actor.agency_id, reply_id)
    if reply is None:
        abort(404, "There is no such reply on this agency's wall.")
    if action in ("hide", "unhide"):
        feedback.set_hidden(session, reply, action == "hide", actor=actor, now=now())
        flash("Reply hidden from the wall." if action == "hide"
              else "Reply shown on the wall again.", "success")
    else:
        feedback.set_highlighted(session, reply, action == "highlight", actor=actor, now=now())
        flash("Reply put on the shift briefing." if action == "highlight"
              else "Reply taken off the shift briefing.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("feedback.wall"))


@bp.route("/feedback/on-duty", methods=["GET", "POST"])
def on_duty():
    if not current_user.is_admin:
        abort(403, "Only an admin can change the on-duty contact.")
    actor = current_actor()
    session = get_session()
    agency = session.get(Agency, actor.agency_id)
    users = list(session.scalars(select(User).where(User.agency_id == agency.id,
                                                    User.active.is_(True))
                                 .order_by(User.display_name, User.email)))
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        raw_user = form.get("on_duty_user_id", "").strip()
        try:
            if raw_user and not raw_user.isdigit():
                raise feedback.FeedbackError("Choose a user from the list.", "unknown_user",
                                             "on_duty_user_id")
            feedback.set_on_duty(session, agency, user_id=int(raw_user) if raw_user else None,
                                 email=form.get("on_duty_email", ""),
                                 instructions=form.get("emergency_instructions", ""),
                                 actor_id=actor.id, now=now())
        except ValidationFailed as error:
            discard_changes()
            errors = {name: error.message for name in error.fields} or {"form": error.message}
            flash(error.message, "error")
        else:
            flash("On-duty contact saved.", "success")
            return redirect(url_for("feedback.on_duty"))
    return render_template("feedback/on_duty.html", agency=agency, users=users, errors=errors,
                           form=form, default_instructions=feedback.DEFAULT_INSTRUCTIONS
                           ), (422 if errors else 200)
