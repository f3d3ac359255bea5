"""``/engagement``: the engagement dashboard for staff (``viewer`` and up), its CSV export, and
one post's engagement over time (``/engagement/posts/<id>``).

Charts are server-side SVG (:mod:`.charts`) with a data table beside each; the CSV export
writes the same tables (:mod:`.report`)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from content_queue import engagement_stats as stats
from content_queue import models
from content_queue.engagement_schedule import poll_state
from content_queue.errors import ServiceError
from content_queue.models import ROLES, Campaign, SocialAccount
from content_queue.platforms import PLATFORMS
from content_queue.services import get_post
from web.common.auth import current_actor
from web.common.state import get_session, now
from web.engagement import charts
from web.engagement.filters import DEFAULT_DAYS, parse_filters
from web.engagement.report import NOT_REPORTED, Link, Table, build_report, shown

bp = Blueprint("engagement", __name__, template_folder="templates")

#: A CSV cell starting with one of these is read as a formula by spreadsheets: prefix it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.before_request
def _staff_only() -> None:
    if not current_user.is_authenticated or current_user.role not in ROLES:
        abort(403, "The engagement dashboard is for the agency's staff.")


def _choices(session, agency_id: int) -> dict:
    return {
        "campaigns": list(session.scalars(select(Campaign).where(Campaign.agency_id == agency_id)
                                          .order_by(Campaign.name))),
        "accounts": list(session.scalars(select(SocialAccount)
                                         .where(SocialAccount.agency_id == agency_id)
                                         .order_by(SocialAccount.platform,
                                                   SocialAccount.handle))),
        "platforms": PLATFORMS,
    }


def posting_slots(session, agency_id: int) -> dict[int, list[str]] | None:
    """Each account's weekly posting slots (the calendar's, "Tue 09:00"), to show beside the
    suggested times."""
    model = getattr(models, "PostingSlot", None)
    if model is None:  # an install without posting slots
        return None
    out: dict[int, list[str]] = {}
    for slot in session.scalars(select(model).where(model.agency_id == agency_id)
                                .order_by(model.account_id, model.weekday, model.time)):
        day = stats.WEEKDAYS[slot.weekday][:3] if 0 <= slot.weekday < 7 else str(slot.weekday)
        out.setdefault(slot.account_id, []).append(f"{day} {slot.time}")
    return out


@bp.route("/engagement")
def index():
    session, actor = get_session(), current_actor()
    try:
        chosen = parse_filters(session, actor, request.args, default_days=DEFAULT_DAYS,
                               now=now())
    except ServiceError as exc:
        return render_template("engagement/index.html", report=None, errors=exc.fields,
                               args=request.args, **_choices(session, actor.agency_id)), 400
    report = build_report(session, actor, chosen, now=now(),
                          slots=posting_slots(session, actor.agency_id))
    return render_template("engagement/index.html", report=report, errors={},
                           args=chosen.query_args(), not_reported=NOT_REPORTED,
                           **_choices(session, actor.agency_id))


def _csv_cell(value) -> str:
    text = str(value) if not isinstance(value, Link) else value.text
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(table: Table, filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.route("/engagement/export.csv")
def export_csv():
    session, actor = get_session(), current_actor()
    try:
        chosen = parse_filters(session, actor, request.args, default_days=DEFAULT_DAYS,
                               now=now())
    except ServiceError as exc:
        abort(400, exc.message)
    report = build_report(session, actor, chosen, now=now(),
                          slots=posting_slots(session, actor.agency_id))
    key = request.args.get("table") or "posts"
    table = report.table(key)
    if table is None:
        abort(400, f"There is no table {key[:40]!r} on the dashboard; choose one of "
                   f"{', '.join(s.table.key for s in report.sections)}.")
    return csv_response(table, f"engagement-{key}.csv")


@bp.route("/engagement/posts/<int:post_id>")
def post(post_id: int):
    session, actor = get_session(), current_actor()
    try:
        found = get_post(session, actor, post_id)
    except ServiceError:
        abort(404)
    targets = [t for t in found.targets if t.published_at is not None]
    points = stats.snapshots_for(session, [t.id for t in targets])
    polls = poll_state(session, [t.id for t in targets])
    blocks = []
    for t in targets:
        series = []
        for metric in ("likes", "reposts", "replies"):
            series.append((metric.capitalize(),
                           [(max(0.0, (p.at - t.published_at).total_seconds() / 3600),
                             float(getattr(p, metric))) for p in points[t.id]]))
        views_reported = any(p.views is not None for p in points[t.id])
        chart = charts.line_chart(
            f"chart-target-{t.id}",
            f"Engagement of this post on @{t.account.handle} over time",
            "Likes, reposts and replies at each snapshot after publishing (log time scale).",
            series if points[t.id] else [])
        blocks.append({"target": t, "points": points[t.id], "chart": chart,
                       "poll": polls.get(t.id), "views_reported": views_reported})
    return render_template("engagement/post.html", post=found, blocks=blocks, shown=shown,
                           not_reported=NOT_REPORTED)
