"""The calendar area: month and week views in the agency's zone (filters by account, campaign
and status), moving a post to another day or time (dragging, or the "Move" form of each
event), the agency's ICS feed (secret URL, regenerate / revoke), each account's posting slots,
and a recurring series' page (edit or cancel every occurrence to come)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template,
                   request, url_for)

from content_queue.accounts import list_accounts
from content_queue.calendar import (MAX_EVENTS, CalendarEvent, agency_for_secret, build_feed,
                                    list_events, regenerate_feed_secret, revoke_feed_secret)
from content_queue.campaigns import list_campaigns
from content_queue.errors import Forbidden, NotFound, ServiceError
from content_queue.models import APPROVER_ROLES, AUTHOR_ROLES
from content_queue.recurrence import cancel_series, edit_series, get_series
from content_queue.services import reschedule_post
from content_queue.slots import list_slots, replace_slots
from content_queue.states import Status, TransitionConflict, TransitionRefused
from content_queue.timeutil import LocalTimeError, local_to_utc, utc_to_local
from web.common.auth import current_actor, refuse, roles_allowed
from web.common.state import discard_changes, get_session, now

bp = Blueprint("calendar", __name__, template_folder="templates")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Campaign colors (each 4.5:1 or more against white, used for a thick left border + a dot).
PALETTE = ("#0b5cad", "#8c1d17", "#1e6b34", "#6b3fa0", "#8a4b00", "#005f73", "#a0205a",
           "#4a5560")
STATUSES = [s.value for s in Status]


@dataclass
class Day:
    day: date
    events: list
    in_month: bool
    today: bool


def color_for(campaign_id: int | None) -> str:
    """The campaign's color class (the page's CSP allows no inline styles)."""
    return "cal-c-none" if campaign_id is None else f"cal-c{campaign_id % len(PALETTE)}"


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _anchor(today: date) -> date:
    raw = request.args.get("day", "")
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else today
    except ValueError:
        return today


def _range(view: str, anchor: date) -> tuple[date, date]:
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    first = anchor.replace(day=1)
    start = first - timedelta(days=first.weekday())
    next_month = (first + timedelta(days=32)).replace(day=1)
    end = next_month - timedelta(days=1)
    end = end + timedelta(days=6 - end.weekday())
    return start, end


def _neighbours(view: str, anchor: date) -> tuple[date, date]:
    if view == "week":
        return anchor - timedelta(days=7), anchor + timedelta(days=7)
    first = anchor.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), (first + timedelta(days=32)).replace(day=1)


@bp.route("/calendar")
def index():
    actor = current_actor()
    tz_name = actor.agency.timezone
    today = utc_to_local(now(), tz_name).date()
    view = "week" if request.args.get("view") == "week" else "month"
    anchor = _anchor(today)
    start, end = _range(view, anchor)
    filters = {"account_id": _int_arg("account_id"), "campaign_id": _int_arg("campaign_id"),
               "status": request.args.get("status") if request.args.get("status") in STATUSES
               else None}
    session = get_session()
    events = list_events(session, actor, start, end, **filters)
    by_day: dict[date, list[tuple[CalendarEvent, datetime]]] = {}
    for event in events:
        local = utc_to_local(event.scheduled_at, tz_name)
        by_day.setdefault(local.date(), []).append((event, local))
    days = [Day(d, by_day.get(d, []), view == "week" or d.month == anchor.month, d == today)
            for d in (start + timedelta(days=i) for i in range((end - start).days + 1))]
    previous, following = _neighbours(view, anchor)
    campaigns = list_campaigns(session, actor.agency_id)
    focus_day = anchor if start <= anchor <= end else start
    return render_template(
        "calendar/index.html", view=view, anchor=anchor, days=days, today=today,
        weeks=[days[i:i + 7] for i in range(0, len(days), 7)], start=start, end=end,
        previous=previous, following=following, filters=filters,
        accounts=list_accounts(session, actor.agency_id), campaigns=campaigns,
        statuses=STATUSES, color_for=color_for, weekdays=WEEKDAYS, cut=len(events) >= MAX_EVENTS,
        agency=actor.agency, may_manage_feed=actor.role in APPROVER_ROLES,
        may_move=actor.role in AUTHOR_ROLES, focus_day=focus_day, hours=range(24),
        area="calendar")


# --- moving a post --------------------------------------------------------------------------

def _move_answer(ok: bool, message: str, back: str):
    if request.headers.get("X-Requested-With") == "fetch":
        return jsonify(ok=ok, message=message), (200 if ok else 422)
    return redirect(back)


@bp.route("/calendar/move", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, "Viewers can read the calendar but cannot change posts.")
def move():
    """Reschedule a post to a local date and time (from a drop or the "Move" form). The
    reschedule verb applies the approval rule: a PIO's approved post goes back to approval."""
    actor = current_actor()
    back = request.form.get("back") or url_for("calendar.index")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("calendar.index")
    post_id = request.form.get("post_id", "")
    try:
        day = date.fromisoformat(request.form.get("date", ""))
        clock = time.fromisoformat(request.form.get("time", ""))
        if not post_id.isdigit():
            raise ValueError
    except ValueError:
        message = "Choose a date (YYYY-MM-DD) and a time (HH:MM) to move the post to."
        flash(message, "error")
        return _move_answer(False, message, back)
    try:
        when = local_to_utc(datetime.combine(day, clock.replace(second=0, microsecond=0)),
                            actor.agency.timezone, fold=0)
        post = reschedule_post(get_session(), actor=actor, post_id=int(post_id),
                               scheduled_at=when, now=now())
    except LocalTimeError as exc:
        message = f"Not moved: {exc}"
    except Forbidden as exc:
        if request.headers.get("X-Requested-With") != "fetch":
            refuse(exc)
        discard_changes()
        return jsonify(ok=False, message=f"Not moved: {exc.message}"), 403
    except ServiceError as exc:
        discard_changes()
        message = f"Not moved: {exc.message}"
    except (TransitionConflict, TransitionRefused) as exc:
        discard_changes()
        message = ("Not moved: someone else changed this post at the same moment."
                   if isinstance(exc, TransitionConflict) else f"Not moved: {exc}")
    else:
        waiting = any(t.status == Status.AWAITING_APPROVAL.value for t in post.targets)
        message = (f"Post #{post.id} moved to {day:%a %d %b} {clock:%H:%M}."
                   + (" It waits for approval again." if waiting else ""))
        flash(message, "success")
        return _move_answer(True, message, back)
    flash(message, "error")
    return _move_answer(False, message, back)


# --- the ICS feed ---------------------------------------------------------------------------

@bp.route("/calendar/feed/<secret>.ics")
def feed(secret: str):
    """No login: the secret in the URL is the permission; a wrong or revoked one is a 404."""
    try:
        agency = agency_for_secret(get_session(), secret)
    except NotFound:
        abort(404, "There is no such calendar feed.")
    body = build_feed(get_session(), agency, now=now())
    return Response(body, mimetype="text/calendar",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                             "Referrer-Policy": "no-referrer"})


@bp.route("/calendar/feed", methods=["POST"])
@roles_allowed(APPROVER_ROLES, "Only approvers and admins manage the calendar feed.")
def feed_secret():
    actor = current_actor()
    if request.form.get("action") == "revoke":
        revoke_feed_secret(get_session(), actor, now=now())
        flash("The calendar feed is turned off; its old address no longer works.", "success")
    else:
        regenerate_feed_secret(get_session(), actor, now=now())
        flash("A new calendar feed address was made; the old one no longer works.", "success")
    return redirect(url_for("calendar.index") + "#feed")


# --- posting slots --------------------------------------------------------------------------

@bp.route("/calendar/slots")
def slots():
    actor = current_actor()
    session = get_session()
    accounts = list_accounts(session, actor.agency_id)
    schedule = {}
    for account in accounts:
        times: dict[int, list[str]] = {}
        for slot in list_slots(session, actor, account.id):
            times.setdefault(slot["weekday"], []).append(slot["time"])
        schedule[account.id] = times
    return render_template("calendar/slots.html", accounts=accounts, schedule=schedule,
                           weekdays=WEEKDAYS, may_edit=actor.role in AUTHOR_ROLES,
                           area="calendar")


@bp.route("/calendar/slots/<int:account_id>", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, "Viewers cannot change posting slots.")
def save_slots(account_id: int):
    actor = current_actor()
    raw = []
    for weekday in range(7):
        for piece in request.form.get(f"day{weekday}", "").replace(";", ",").split(","):
            if piece.strip():
                raw.append({"weekday": weekday, "time": piece.strip().zfill(5)})
    try:
        saved = replace_slots(get_session(), actor, account_id, raw)
    except Forbidden as exc:
        refuse(exc)
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
    else:
        flash(f"Posting slots saved ({len(saved)} a week).", "success")
    return redirect(url_for("calendar.slots") + f"#account-{account_id}")


# --- a recurring series ---------------------------------------------------------------------

@bp.route("/calendar/series/<int:series_id>", methods=["GET", "POST"])
@roles_allowed(AUTHOR_ROLES, "Viewers can read a series but cannot change it.", methods={"POST"})
def series(series_id: int):
    actor = current_actor()
    try:
        found, posts = get_series(get_session(), actor, series_id)
    except NotFound:
        abort(404, "There is no such series.")
    if request.method == "POST":
        try:
            if request.form.get("action") == "cancel":
                done = cancel_series(get_session(), actor=actor, series_id=series_id, now=now())
                flash(f"{len(done)} occurrences to come were canceled.", "success")
            else:
                text = request.form.get("text", "")
                at = request.form.get("time", "").strip()
                changed = edit_series(get_session(), actor=actor, series_id=series_id,
                                      now=now(), text=text if text.strip() and
                                      text.replace("\r\n", "\n") != (posts[-1].text if posts else "")
                                      else None, time_of_day=at or None)
                flash(f"{len(changed)} occurrences to come were changed.", "success")
        except Forbidden as exc:
            refuse(exc)
        except (ServiceError, TransitionConflict, TransitionRefused) as exc:
            discard_changes()
            flash(getattr(exc, "message", str(exc)), "error")
        return redirect(url_for("calendar.series", series_id=series_id))
    return render_template("calendar/series.html", series=found, posts=posts,
                           may_edit=actor.role in AUTHOR_ROLES, area="calendar")
