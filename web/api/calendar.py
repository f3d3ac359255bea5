"""issue 8: ``GET /api/v1/calendar`` (the plan in a date range) and recurring series
(``/api/v1/series/<id>``: read, edit every occurrence to come, cancel them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify, request, url_for

from content_queue.calendar import list_events
from content_queue.errors import ValidationFailed
from content_queue.models import AUTHOR_ROLES
from content_queue.recurrence import (HORIZON_DAYS, MAX_OCCURRENCES, cancel_series, edit_series,
                                      get_series, queue_series)
from web.api.blueprint import bp
from web.api.common import api_actor, json_body, parse_optional_id
from web.api.shapes import post_to_dict
from web.common.auth import roles_allowed
from web.common.state import get_session, now


def parse_day(name: str) -> date:
    raw = request.args.get(name)
    if not raw:
        raise ValidationFailed(f"'{name}' is required: a date as YYYY-MM-DD.",
                               code="invalid_date", fields={name: "Required, YYYY-MM-DD."})
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        shown = raw if len(raw) <= 20 else raw[:17] + "..."
        raise ValidationFailed(f"'{name}' must be a date as YYYY-MM-DD, not {shown!r}.",
                               code="invalid_date", fields={name: "YYYY-MM-DD."}) from None


@bp.get("/calendar")
def calendar_events():
    start, end = parse_day("from"), parse_day("to")
    account_id = parse_optional_id(request.args.get("account_id"), "account_id",
                                   what="an account id")
    campaign_id = parse_optional_id(request.args.get("campaign_id"), "campaign_id",
                                    what="a campaign id")
    events = list_events(get_session(), api_actor(), start, end, account_id=account_id,
                         campaign_id=campaign_id, status=request.args.get("status") or None)
    return jsonify(events=[e.as_dict() for e in events])


def series_to_dict(series, posts) -> dict[str, Any]:
    return {"id": series.id, "rule": series.rule, "local_start": series.local_start,
            "post_ids": [p.id for p in posts], "occurrences": len(posts),
            "max_occurrences": MAX_OCCURRENCES, "horizon_days": HORIZON_DAYS}


def create_series(rule: Any, scheduled_at: datetime, fields: dict[str, Any]):
    """``POST /api/v1/posts`` with ``"recurrence"``: one post per occurrence (201, the first
    post with ``"series"``)."""
    series, posts = queue_series(get_session(), actor=api_actor(), rule=rule,
                                 scheduled_at=scheduled_at, now=now(), **fields)
    response = jsonify({**post_to_dict(posts[0]), "series": series_to_dict(series, posts)})
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_series", series_id=series.id)
    return response


@bp.get("/series/<int:series_id>")
def read_series(series_id: int):
    series, posts = get_series(get_session(), api_actor(), series_id)
    return jsonify({**series_to_dict(series, posts), "posts": [post_to_dict(p) for p in posts]})


@bp.patch("/series/<int:series_id>")
@roles_allowed(AUTHOR_ROLES, "Viewers can read the queue but cannot write or change posts.")
def change_series(series_id: int):
    body = json_body()
    text, at = body.get("text"), body.get("time")
    if text is None and at is None:
        raise ValidationFailed('Send "text" and/or "time" ("HH:MM", local) to change.',
                               code="nothing_to_change", fields={"text": "Or time."})
    if at is not None and not isinstance(at, str):
        raise ValidationFailed("time must be HH:MM.", code="invalid_time", fields={"time": "HH:MM."})
    edit_series(get_session(), actor=api_actor(), series_id=series_id, now=now(), text=text,
                time_of_day=at)
    series, posts = get_series(get_session(), api_actor(), series_id)
    return jsonify({**series_to_dict(series, posts), "posts": [post_to_dict(p) for p in posts]})


@bp.post("/series/<int:series_id>/cancel")
@roles_allowed(AUTHOR_ROLES, "Viewers can read the queue but cannot write or change posts.")
def cancel_whole_series(series_id: int):
    json_body(required=False)
    done = cancel_series(get_session(), actor=api_actor(), series_id=series_id, now=now())
    return jsonify(canceled_post_ids=[p.id for p in done])
