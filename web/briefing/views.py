"""``/briefing``: the shift briefing for a dispatch-floor screen or a printout — the center's
name, the week's highlighted replies and its top posts, in large type with no controls. It
reloads itself (a meta refresh, no script) and prints on one page (print CSS). Any signed-in
role may open it; hidden replies never reach it."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from content_queue import briefing
from web.common.auth import current_actor
from web.common.state import get_session, now

bp = Blueprint("briefing", __name__, template_folder="templates")

#: Seconds between reloads: new highlights reach the floor within a couple of minutes.
#: ``?refresh=0`` turns the reload off for someone reading at a desk with a screen reader
#: (WCAG 2.2.1: a timed refresh is essential only to the unattended floor screen).
REFRESH_SECONDS = 120


@bp.route("/briefing")
def show():
    actor = current_actor()
    session = get_session()
    moment = now()
    return render_template(
        "briefing/show.html", agency=actor.agency, generated=moment,
        refresh=0 if request.args.get("refresh") == "0" else REFRESH_SECONDS,
        highlights=briefing.briefing_highlights(session, actor.agency_id, now=moment),
        top=briefing.top_posts(session, actor.agency_id, now=moment))
