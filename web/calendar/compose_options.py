"""issue 8 calendar's options on the compose page: "put it in the next free slot" and "repeat"
(every day / week / month, until a date or a number of times). compose.py calls these two
functions; the fields are in ``calendar/_compose_options.html``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, request

from content_queue.errors import ServiceError, ValidationFailed
from content_queue.models import Post
from content_queue.recurrence import MAX_OCCURRENCES, queue_series
from content_queue.services import queue_post
from content_queue.slots import next_free_slot
from web.common.auth import current_actor
from web.common.forms import When
from web.common.state import get_session, now

FREQS = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY"}


def when_from_options(when: When, account_ids: list[int]) -> When:
    """With "next free slot" ticked, the chosen accounts' next free slot replaces the time."""
    if request.form.get("next_slot") != "on" or not account_ids:
        return when
    try:
        return When(instant=next_free_slot(get_session(), current_actor(), list(account_ids),
                                           now=now()))
    except ServiceError as exc:
        return When(error=exc.message)


def rule_from_form() -> str | None:
    """The RFC 5545 rule the plain-words picker describes, or None for "does not repeat"."""
    freq = FREQS.get(request.form.get("repeat", ""))
    if freq is None:
        return None
    if request.form.get("repeat_end") == "until":
        try:
            until = date.fromisoformat(request.form.get("repeat_until", ""))
        except ValueError:
            raise ValidationFailed("Choose the last date the post repeats on.",
                               code="invalid_recurrence",
                               fields={"recurrence": "Choose the last date."}) from None
        return f"FREQ={freq};UNTIL={until:%Y%m%d}T235959"
    raw = request.form.get("repeat_count", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_OCCURRENCES:
        raise ValidationFailed(f"Say how many times it repeats (1 to {MAX_OCCURRENCES}).",
                           code="invalid_recurrence",
                           fields={"recurrence": f"1 to {MAX_OCCURRENCES} times."})
    return f"FREQ={freq};COUNT={int(raw)}"


def queue_from_form(session, **fields: Any) -> Post:
    """``queue_post``, or a whole series when "repeat" is chosen (the first post is returned)."""
    rule = rule_from_form()
    if rule is None:
        return queue_post(session, **fields)
    scheduled_at = fields.pop("scheduled_at")
    series, posts = queue_series(session, rule=rule, scheduled_at=scheduled_at, **fields)
    flash(f"A repeating post: {len(posts)} occurrences were made (series #{series.id}).",
          "success")
    return posts[0]
