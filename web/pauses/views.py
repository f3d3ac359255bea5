"""``/pauses``: start an incident pause (approvers and admins), see the active ones and the
last few that ended, resume one with publish_now, shift or review.

The banner in ``base.html`` reads :func:`banner_pauses` (a context processor, once a request)
so every page says plainly that outgoing posts are held, by whom and since when.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from content_queue.errors import ServiceError
from content_queue.models import APPROVER_ROLES, Pause, SocialAccount
from content_queue.pauses import active_pauses, create_pause, resume_pause
from content_queue.timeutil import LocalTimeError, local_to_utc
from web.common.auth import current_actor, roles_allowed
from web.common.security import safe_next
from web.common.state import discard_changes, get_session, get_state, now

bp = Blueprint("pauses", __name__, template_folder="templates")

HELD_CHOICES = (
    ("shift", "Shift", "each held post moves by the pause's length"),
    ("publish_now", "Publish now", "send them, spaced out within each platform's limits"),
    ("review", "Review first", "send them back for approval"),
)


def banner_pauses() -> list[Pause]:
    """The agency's active pauses, read once a request (empty before login)."""
    if "_tenfour_pauses" not in g:
        g._tenfour_pauses = (active_pauses(get_session(), current_actor().agency_id)
                             if current_user.is_authenticated else [])
    return g._tenfour_pauses


APPROVERS_ONLY = "Only an approver or an admin can pause or resume outgoing posts."


@bp.app_context_processor
def _banner() -> dict:
    return {"banner_pauses": banner_pauses, "held_choices": HELD_CHOICES}


def _render(errors: dict[str, str] | None = None, status: int = 200):
    session = get_session()
    agency_id = current_actor().agency_id
    accounts = list(session.scalars(
        select(SocialAccount).where(SocialAccount.agency_id == agency_id,
                                    SocialAccount.status != "disabled")
        .order_by(SocialAccount.platform, SocialAccount.handle)))
    ended = list(session.scalars(
        select(Pause).where(Pause.agency_id == agency_id, Pause.resumed_at.is_not(None))
        .order_by(Pause.resumed_at.desc()).limit(10)))
    names = {a.id: a for a in accounts}
    return render_template("pauses/index.html", active=banner_pauses(), ended=ended,
                           accounts=accounts, account_names=names, errors=errors or {},
                           form=request.form), status


@bp.route("/pauses")
def index():
    return _render()


def _resume_at(raw: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        local = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise LocalTimeError("Enter the resume time as a date and a time.") from None
    return local_to_utc(local.replace(tzinfo=None), current_actor().agency.timezone, fold=0)


@bp.route("/pauses", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def start():
    raw_ids = request.form.getlist("account_ids")
    scope = request.form.get("scope", "all")
    try:
        account_ids = None
        if scope == "some":
            account_ids = [int(v) for v in raw_ids if v.isascii() and v.isdigit()
                           and len(v) < 19]
            if not account_ids:
                return _render({"account_ids": "Choose the accounts to pause, or pause all "
                                               "of them."}, 422)
        resume_at = _resume_at(request.form.get("resume_at", ""))
        pause = create_pause(get_session(), actor=current_actor(),
                             agency_id=current_actor().agency_id,
                             reason=request.form.get("reason", ""), account_ids=account_ids,
                             resume_at=resume_at, now=now())
    except LocalTimeError as exc:
        discard_changes()
        return _render({"resume_at": str(exc)}, 422)
    except ServiceError as exc:
        discard_changes()
        field = next(iter(exc.fields), "reason")
        return _render({field: exc.message}, 422)
    flash(f"Outgoing posts are paused: {pause.reason}. Nothing more goes out on "
          f"{'any account' if pause.whole_agency else 'the chosen accounts'} until you "
          "resume.", "error")
    return redirect(url_for("pauses.index"))


@bp.route("/pauses/<int:pause_id>/resume", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def resume(pause_id: int):
    held = request.form.get("held", "")
    try:
        result = resume_pause(get_session(), actor=current_actor(), pause_id=pause_id,
                              held=held, now=now(), budgets=get_state().settings.posting_budgets)
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(safe_next(request.form.get("next")) or url_for("pauses.index"))
    count = len(result.released)
    what = {"shift": "moved by the pause's length",
            "publish_now": "released, spaced out",
            "review": "sent back for approval"}[held]
    flash(f"Resumed. {count} held post{'s' if count != 1 else ''} {what}.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("pauses.index"))
