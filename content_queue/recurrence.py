"""issue 8: recurring posts. An RFC 5545 rule ("FREQ=WEEKLY;BYDAY=MO;COUNT=8") is expanded
ahead of time, with python-dateutil's rrule, into ordinary posts linked by a series id, so the
scheduler, approvals and the calendar need nothing new.

The rule runs on the agency's wall clock: 09:00 local stays 09:00 local across a DST change
(each occurrence is converted to UTC on its own day). An occurrence that falls in the
spring-forward gap is refused like any other such time. Expansion is bounded: at most
:data:`MAX_OCCURRENCES` occurrences within :data:`HORIZON_DAYS` of the first; a rule without
COUNT or UNTIL is cut there (the answer says how many were made).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import Conflict, NotFound, ValidationFailed
from content_queue.models import Post, PostSeries, User
from content_queue.post_edits import edit_post
from content_queue.services import cancel_post, queue_post, reschedule_post
from content_queue.states import EDITABLE, Status
from content_queue.timeutil import LocalTimeError, local_to_utc, utc_to_local

#: A series holds at most this many occurrences (a year of weekly posts).
MAX_OCCURRENCES = 52
#: ... and reaches at most this far past its first occurrence.
HORIZON_DAYS = 366
MAX_RULE = 500
_FREQS = {DAILY, WEEKLY, MONTHLY, YEARLY}
#: Parts that make no sense for a post (the time of day is the post's) or that can make the
#: rule search for centuries before finding nothing (BYWEEKNO=60).
_UNSUPPORTED = {"BYWEEKNO", "BYYEARDAY", "BYSETPOS", "BYHOUR", "BYMINUTE", "BYSECOND",
                "BYEASTER", "DTSTART"}


def _bad(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_recurrence", fields={"recurrence": message})


def expand(rule: Any, first_local: datetime, tz_name: str) -> list[datetime]:
    """The UTC instants of the rule's occurrences, starting at the naive local ``first_local``."""
    if not isinstance(rule, str) or not rule.strip() or len(rule) > MAX_RULE:
        raise _bad('recurrence must be an RFC 5545 rule, e.g. "FREQ=WEEKLY;BYDAY=MO;COUNT=8".')
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "DTSTART" in text.upper() or "\n" in text:
        raise _bad("Give the rule alone (FREQ=…); the first time is the post's scheduled_at.")
    keys = {part.split("=", 1)[0].strip().upper() for part in text.split(";") if part.strip()}
    unsupported = sorted(keys & _UNSUPPORTED)
    if unsupported:
        raise _bad(f"{', '.join(unsupported)} is not supported: repeat by day, week, month or "
                   "year (FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, WKST).")
    try:
        parsed = rrulestr(text, dtstart=first_local.replace(tzinfo=None, second=0, microsecond=0))
    except (ValueError, TypeError) as exc:
        raise _bad(f"The recurrence rule {rule!r} is not valid: {exc}.") from None
    if getattr(parsed, "_freq", None) not in _FREQS:
        raise _bad("A post can repeat every day, week, month or year, not more often.")
    if getattr(parsed, "_interval", 1) < 1:
        raise _bad("INTERVAL must be 1 or more.")
    # Bound the walk itself, not only what is kept: a rule that matches nothing (BYWEEKNO=60)
    # would otherwise be searched up to the year 9999. The rule's own COUNT stays a limit.
    horizon = first_local.replace(tzinfo=None) + timedelta(days=HORIZON_DAYS)
    own_until, own_count = getattr(parsed, "_until", None), getattr(parsed, "_count", None)
    bounded = parsed.replace(count=None, until=min(own_until, horizon) if own_until else horizon)
    limit = min(own_count, MAX_OCCURRENCES) if own_count is not None else MAX_OCCURRENCES
    out: list[datetime] = []
    for local in islice(bounded, max(limit, 0)):
        try:
            out.append(local_to_utc(local, tz_name, fold=0))
        except LocalTimeError as exc:
            raise ValidationFailed(f"An occurrence of the series is not a real time: {exc}",
                                   code=exc.code, fields={"recurrence": str(exc)}) from None
    if not out:
        raise _bad("The rule gives no occurrence from the first time on.")
    return out


def queue_series(session: Session, *, actor: User, rule: Any, scheduled_at: datetime,
                 now: datetime, **post_fields: Any) -> tuple[PostSeries, list[Post]]:
    """Create the series and one post (with its targets) per occurrence, via ``queue_post``."""
    tz_name = actor.agency.timezone
    first_local = utc_to_local(scheduled_at, tz_name).replace(tzinfo=None)
    instants = expand(rule, first_local, tz_name)
    series = PostSeries(agency_id=actor.agency_id, rule=rule.strip(), created_by_id=actor.id,
                        local_start=first_local.strftime("%Y-%m-%dT%H:%M"), created_at=now)
    session.add(series)
    session.flush()
    posts = []
    for instant in instants:
        post = queue_post(session, actor=actor, scheduled_at=instant, now=now, **post_fields)
        post.series_id = series.id
        posts.append(post)
    session.flush()
    return series, posts


def get_series(session: Session, actor: User, series_id: int) -> tuple[PostSeries, list[Post]]:
    series = session.get(PostSeries, series_id)
    if series is None or series.agency_id != actor.agency_id:
        raise NotFound(f"No series with id {series_id}.")
    posts = list(session.scalars(select(Post).where(Post.series_id == series.id)
                                 .order_by(Post.first_scheduled_at, Post.id)))
    return series, posts


def _open(post: Post) -> bool:
    live = [t for t in post.targets if t.status != Status.CANCELED.value]
    return bool(live) and all(Status(t.status) in EDITABLE for t in live)


def edit_series(session: Session, *, actor: User, series_id: int, now: datetime,
                text: Any = None, time_of_day: Any = None) -> list[Post]:
    """Change the text and/or the local time of day of every occurrence still to come (those
    published, going out or past are left as they are). Each change goes through the post's own
    verbs, so the approval rule and versions apply per occurrence."""
    series, posts = get_series(session, actor, series_id)
    hour = minute = None
    if time_of_day is not None:
        try:
            hour, minute = (int(p) for p in str(time_of_day).split(":"))
            if not (0 <= hour < 24 and 0 <= minute < 60):
                raise ValueError
        except ValueError:
            raise ValidationFailed("time must be HH:MM on a 24-hour clock (example: 09:00).",
                                   code="invalid_time", fields={"time": "HH:MM."}) from None
    tz_name = actor.agency.timezone
    changed = []
    for post in posts:
        if not _open(post) or (post.first_scheduled_at and post.first_scheduled_at <= now):
            continue
        if text is not None:
            edit_post(session, actor=actor, post_id=post.id, now=now, text=text)
        if hour is not None:
            local = utc_to_local(post.first_scheduled_at, tz_name)
            wanted = local.replace(tzinfo=None, hour=hour, minute=minute)
            try:
                instant = local_to_utc(wanted, tz_name, fold=0)
            except LocalTimeError as exc:
                raise ValidationFailed(str(exc), code=exc.code, fields={"time": str(exc)}) from None
            reschedule_post(session, actor=actor, post_id=post.id, scheduled_at=instant, now=now)
        changed.append(post)
    if not changed:
        raise Conflict("No occurrence of this series is still open to edit.",
                       code="series_not_editable")
    if hour is not None:
        series.local_start = series.local_start[:11] + f"{hour:02d}:{minute:02d}"
    session.flush()
    return changed


def cancel_series(session: Session, *, actor: User, series_id: int, now: datetime) -> list[Post]:
    """Cancel every occurrence still to come."""
    _series, posts = get_series(session, actor, series_id)
    done = []
    for post in posts:
        if post.first_scheduled_at and post.first_scheduled_at <= now:
            continue
        try:
            cancel_post(session, actor=actor, post_id=post.id, now=now)
        except Conflict:
            continue
        done.append(post)
    return done
