"""The wall's filters from a query string (the page's and the API's): checked before anything
is read, a bad one refused in words naming the field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Mapping

from content_queue.errors import ValidationFailed
from content_queue.feedback import FLAG_NAMES, VIEWS, WallFilter
from content_queue.timeutil import LocalTimeError, local_to_utc, parse_iso_instant


def _bound(raw: str | None, name: str, tz_name: str, *, end: bool) -> datetime | None:
    """A day (``2027-04-11``, in the agency's time; ``to`` includes the day) or a time with
    its UTC offset."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                day += timedelta(days=1)
            return local_to_utc(datetime.combine(day, time()), tz_name, fold=0)
        return parse_iso_instant(text)
    except (ValueError, LocalTimeError, OverflowError):
        raise ValidationFailed(
            f"{name} must be a day such as 2027-04-11 or a time with its UTC offset such as "
            "2027-04-11T09:00:00-05:00.", code="invalid_parameter",
            fields={name: "Invalid date."}) from None


def _flag(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    if raw.strip() not in FLAG_NAMES:
        raise ValidationFailed(f"flag must be one of: {', '.join(FLAG_NAMES)}.",
                               code="invalid_parameter", fields={"flag": "Unknown flag."})
    return raw.strip()


def _yes_no(raw: str | None, name: str) -> bool | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValidationFailed(f"{name} must be true or false.", code="invalid_parameter",
                           fields={name: "Use true or false."})


def parse_wall_filter(args: Mapping[str, str], tz_name: str, *, include_hidden: bool,
                      view_default: str = "thanks") -> WallFilter:
    start = _bound(args.get("from"), "from", tz_name, end=False)
    end = _bound(args.get("to"), "to", tz_name, end=True)
    if start and end and end <= start:
        raise ValidationFailed("to must be after from.", code="invalid_parameter",
                               fields={"to": "Before from."})
    view = (args.get("view") or view_default).strip()
    if view not in VIEWS:
        raise ValidationFailed(f"view must be one of: {', '.join(VIEWS)}.",
                               code="invalid_parameter", fields={"view": "Unknown view."})
    return WallFilter(start=start, end=end, flag=_flag(args.get("flag")),
                      highlighted=_yes_no(args.get("highlighted"), "highlighted"),
                      include_hidden=include_hidden, view=view)
