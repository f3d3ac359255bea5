"""The dashboard: what is coming up, what went out, what needs someone's attention."""

from __future__ import annotations

from flask import Blueprint, render_template

from content_queue.reading import status_counts
from web.common.auth import current_actor
from web.common.state import get_session
from web.dashboard.queries import (
    accounts_needing_reconnection,
    awaiting_approval,
    next_scheduled,
    recently_published,
)

bp = Blueprint("dashboard", __name__, template_folder="templates")

#: The order the status tiles appear in, most actionable first.
TILE_ORDER = ("awaiting_approval", "held", "scheduled", "failed", "published", "draft", "publishing",
              "expired", "canceled")


@bp.route("/")
def index():
    actor = current_actor()
    session = get_session()
    counts = status_counts(session, actor.agency_id)
    return render_template(
        "dashboard/index.html",
        tiles=[(status, counts.get(status, 0)) for status in TILE_ORDER],
        upcoming=next_scheduled(session, actor.agency_id),
        published=recently_published(session, actor.agency_id),
        waiting=awaiting_approval(session, actor.agency_id) if actor.is_approver else [],
        reconnect=accounts_needing_reconnection(session, actor.agency_id),
    )
