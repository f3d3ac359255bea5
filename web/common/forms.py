"""What every area's forms share: the date/time fields in the agency's zone (and their
resolution to UTC), and error mapping. Each area keeps its own form classes beside its views.

Business rules stay in the services: forms only parse what the browser sends. Errors end up in
one ``dict[str, list[str]]`` keyed by the page's field groups, whether WTForms or a
:class:`ServiceError` found them, so templates show every message next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TimeField
from wtforms.validators import Optional

from content_queue.errors import ServiceError
from content_queue.timeutil import (
    LocalTimeError,
    check_year,
    local_to_utc,
    utc_to_local,
    zone,
)

Errors = dict[str, list[str]]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class WhenFields:
    """Date, time and (for the autumn's repeated hour) which of the two."""

    date = DateField("Date", validators=[Optional()],
                     invalid_value_message="Enter a date such as 2027-04-11.")
    time = TimeField("Time", format=TIME_FORMATS, validators=[Optional()],
                     invalid_value_message="Enter a time such as 09:30.")
    fold = RadioField("Which one?", choices=[("0", "first"), ("1", "second")],
                      validate_choice=False, validators=[Optional()])


# --- local time -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FoldChoice:
    value: str
    label: str


@dataclass
class When:
    """A date/time typed in the agency's zone, resolved to UTC or refused with a reason."""

    instant: datetime | None = None
    error: str | None = None
    fold_choices: list[FoldChoice] = field(default_factory=list)


def fold_choices(naive: datetime, tz_name: str) -> list[FoldChoice]:
    """The two readings of a wall time that happens twice; empty for an ordinary time."""
    tz = zone(tz_name)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return []
    if first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != naive:
        return []  # a gap, not a fold
    return [
        FoldChoice(str(i), f"{t:%H:%M %Z} ({t.astimezone(timezone.utc):%H:%M} UTC), "
                           f"{'before' if i == 0 else 'after'} the clocks fall back")
        for i, t in enumerate((first, second))
    ]


def resolve_when(day: date | None, clock: time | None, fold: str | None, tz_name: str) -> When:
    if day is None and clock is None:
        return When(error="Choose the date and time to publish.")
    if day is None:
        return When(error="Choose the date to publish.")
    if clock is None:
        return When(error="Choose the time to publish.")
    naive = datetime.combine(day, clock)
    try:
        check_year(naive)
    except LocalTimeError as exc:
        return When(error=str(exc))
    choices = fold_choices(naive, tz_name)
    picked = int(fold) if fold in ("0", "1") else None
    try:
        return When(instant=local_to_utc(naive, tz_name, fold=picked), fold_choices=choices)
    except LocalTimeError as exc:
        return When(error=str(exc), fold_choices=choices)


def default_local_time(now: datetime, tz_name: str) -> datetime:
    """A sensible first suggestion: the next quarter hour, one hour from now."""
    local = utc_to_local(now + timedelta(hours=1), tz_name).replace(tzinfo=None)
    local = local.replace(second=0, microsecond=0)
    return local + timedelta(minutes=(15 - local.minute % 15) % 15)


# --- errors ---------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def add_error(errors: Errors, key: str, message: str) -> None:
    if message not in errors.setdefault(key, []):
        errors[key].append(message)


def form_errors(form: FlaskForm, groups: Mapping[str, str]) -> Errors:
    """WTForms' parse errors, regrouped (``groups`` maps field name → page group)."""
    errors: Errors = {}
    for name, messages in form.errors.items():
        if name == "csrf_token":
            continue
        for message in messages:
            add_error(errors, groups.get(name, name), str(message))
    return errors


def service_errors(exc: ServiceError, groups: Mapping[str, str]) -> Errors:
    """A refusal's messages by page group, with its summary under ``"form"`` (shown on top)."""
    errors: Errors = {"form": [exc.message]}
    for name, value in exc.fields.items():
        key = groups.get(name)
        if key is None:
            continue  # no such field on this page: the summary says it
        for message in _as_list(value):
            add_error(errors, key, message)
    return errors
