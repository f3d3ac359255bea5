"""The OpenAPI description of the calendar, posting slots and series operations (issue 8)."""

from __future__ import annotations

from web.api.openapi import document, op
from web.api.openapi_schemas import REQUIRED_TIME, obj, ref

_DATE = {"type": "string", "format": "date"}
_ID = {"type": "integer"}
_SLOT = obj({"weekday": {"type": "integer", "minimum": 0, "maximum": 6,
                         "description": "0 = Monday … 6 = Sunday."},
             "time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                      "description": "Local time, HH:MM."}})
SCHEMAS = {
    "CalendarEvent": obj({"post_id": _ID, "target_id": _ID, "account_id": _ID,
                          "scheduled_at": REQUIRED_TIME, "status": {"type": "string"},
                          "campaign_id": {"type": ["integer", "null"]},
                          "title": {"type": "string"}}),
    "CalendarEvents": obj({"events": {"type": "array", "items": ref("CalendarEvent")}}),
    "Slot": _SLOT,
    "Slots": obj({"slots": {"type": "array", "items": ref("Slot"), "maxItems": 100}}),
    "Series": obj({"id": _ID, "rule": {"type": "string"}, "local_start": {"type": "string"},
                   "post_ids": {"type": "array", "items": _ID},
                   "occurrences": {"type": "integer"}, "max_occurrences": {"type": "integer"},
                   "horizon_days": {"type": "integer"},
                   "posts": {"type": "array", "items": ref("Post")}},
                  required=["id", "rule", "post_ids", "occurrences"]),
    "SeriesChange": obj({"text": {"type": "string", "minLength": 1},
                         "time": {"type": "string", "description": "Local HH:MM."}},
                        required=[]),
    "SeriesCanceled": obj({"canceled_post_ids": {"type": "array", "items": _ID}}),
}
_WRITE = ("403", "404", "409", "422")
for _rule, _method, _operation in (
    ("/calendar", "GET", op(
        "The posts (one event per target) between two local dates, at most 93 days",
        "calendar", (200, "CalendarEvents", "The events, by time."), errors=("422",),
        query=[("from", _DATE, "First day (agency time), YYYY-MM-DD. Required."),
               ("to", _DATE, "Last day, included. Required."),
               ("account_id", {"type": "integer", "minimum": 1}, "Only this account."),
               ("campaign_id", {"type": "integer", "minimum": 1}, "Only this campaign."),
               ("status", {"type": "string"}, "Only this status.")])),
    ("/accounts/<int:account_id>/slots", "GET", op(
        "An account's weekly posting slots (local times)", "calendar",
        (200, "Slots", "The slots."), errors=("404",))),
    ("/accounts/<int:account_id>/slots", "PUT", op(
        "Replace an account's weekly posting slots", "calendar", (200, "Slots", "Saved."),
        body="Slots", errors=("403", "404", "422"))),
    ("/series/<int:series_id>", "GET", op(
        "A recurring series and its occurrences", "calendar", (200, "Series", "The series."),
        errors=("404",))),
    ("/series/<int:series_id>", "PATCH", op(
        "Change the text and/or local time of every occurrence still to come", "calendar",
        (200, "Series", "The series."), body="SeriesChange", errors=_WRITE)),
    ("/series/<int:series_id>/cancel", "POST", op(
        "Cancel every occurrence still to come", "calendar",
        (200, "SeriesCanceled", "What was canceled."), body_required=False,
        body=obj({}, required=[]), errors=_WRITE)),
):
    document(_rule, _method, _operation, SCHEMAS)
