"""Turning the agency's wall-clock times into UTC instants, refusing the ones that do not exist.

A PIO types "2027-03-14 02:30" in America/Chicago: that minute does not exist (clocks jump from
02:00 to 03:00). Guessing would publish an hour early or late, so we refuse with a message that
says why. A time that happens twice (the autumn fall-back hour) is accepted only when the caller
says which one it means (``fold``), otherwise refused with both options.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class LocalTimeError(ValueError):
    code = "invalid_time"


#: The years Tenfour accepts: any zone's offset can be applied to them without leaving the
#: calendar Python (and the databases) can represent, which years 1 and 9999 cannot promise.
FIRST_YEAR, LAST_YEAR = 1900, 8999


def check_year(moment: datetime) -> None:
    """Refuse a time too far in the past or future to convert between zones safely."""
    day = moment.date().isoformat()
    if moment.year > LAST_YEAR:
        raise LocalTimeError(f"{day} is too far in the future; choose a date before the year "
                             f"{LAST_YEAR + 1}.")
    if moment.year < FIRST_YEAR:
        raise LocalTimeError(f"{day} is too far in the past; choose a date from the year "
                             f"{FIRST_YEAR} on.")


class NonexistentLocalTime(LocalTimeError):
    code = "time_in_dst_gap"


class AmbiguousLocalTime(LocalTimeError):
    code = "time_ambiguous"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise LocalTimeError(f"Unknown time zone {name!r}.") from None


def local_to_utc(local: datetime, tz_name: str, *, fold: int | None = None) -> datetime:
    """Convert a naive local time in ``tz_name`` to aware UTC, refusing gaps and unresolved folds."""
    check_year(local)
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    tz = zone(tz_name)
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Either a gap (the wall time does not exist) or a fold (it happens twice).
        roundtrip = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
        if roundtrip != local:
            raise NonexistentLocalTime(
                f"{local:%Y-%m-%d %H:%M} does not exist in {tz_name}: the clocks jump forward "
                f"for daylight saving time. Choose another time, such as {roundtrip:%H:%M}."
            )
        if fold is None:
            a = first.astimezone(timezone.utc)
            b = second.astimezone(timezone.utc)
            raise AmbiguousLocalTime(
                f"{local:%Y-%m-%d %H:%M} happens twice in {tz_name} (clocks fall back): "
                f"first at {first:%H:%M %Z} ({a:%H:%M} UTC), then at {second:%H:%M %Z} "
                f"({b:%H:%M} UTC). Choose which one."
            )
        return (second if fold else first).astimezone(timezone.utc)
    return first.astimezone(timezone.utc)


def utc_to_local(instant: datetime, tz_name: str) -> datetime:
    return instant.astimezone(zone(tz_name))


def parse_iso_instant(value: str) -> datetime:
    """Parse an ISO 8601 time that must carry an offset (``Z`` or ``±hh:mm``)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise LocalTimeError(
            f"{value!r} is not an ISO 8601 time (example: 2027-04-11T09:00:00-05:00)."
        ) from None
    if parsed.tzinfo is None:
        raise LocalTimeError(
            f"{value!r} has no UTC offset; add one (example: 2027-04-11T09:00:00-05:00)."
        )
    check_year(parsed)
    return parsed.astimezone(timezone.utc)
