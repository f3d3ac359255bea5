"""The engagement filters (date range, campaign, account, platform) read from a query string,
the same way for the dashboard, its CSV export and ``GET /api/v1/engagement``.

A bad value is a :class:`~content_queue.errors.ValidationFailed` naming the field (the API
answers 422 in its error shape; the page shows the message beside the field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.engagement_stats import Filters, local_day_range
from content_queue.errors import ValidationFailed
from content_queue.ids import to_id
from content_queue.models import Campaign, SocialAccount, User
from content_queue.platforms import PLATFORMS
from content_queue.timeutil import LocalTimeError, parse_iso_instant, utc_to_local

#: The dashboard shows the last 30 days unless told otherwise.
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Chosen:
    """The filters as a person chose them (to fill the form back in) and as a query."""

    filters: Filters
    from_text: str
    to_text: str
    campaign_id: int | None
    account_id: int | None
    platform: str | None

    def query_args(self) -> dict[str, str]:
        args = {"from": self.from_text, "to": self.to_text,
                "campaign_id": str(self.campaign_id or ""),
                "account_id": str(self.account_id or ""), "platform": self.platform or ""}
        return {k: v for k, v in args.items() if v}


def _bound(raw: str, name: str, tz_name: str, *, end: bool) -> tuple[datetime, str]:
    """A day (``2027-04-11``, agency time; ``to`` includes the whole day) or an instant with
    its UTC offset."""
    text = raw.strip()
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None:
            if not 1900 <= day.year <= 8999:
                raise _bad(name, f"{text} is out of range; choose a year from 1900 to 8999.")
            start, stop = local_day_range(day, day, tz_name)
            return (stop if end else start), text
    try:
        return parse_iso_instant(text), text
    except LocalTimeError:
        raise _bad(name, f"{name} must be a day (2027-04-11) or a time with its UTC offset "
                   "(2027-04-11T09:00:00-05:00).") from None


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_filter", fields={name: message})


def _one_id(args: Mapping[str, str], name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = to_id(raw)
    if value is None:
        raise _bad(name, f"{name} must be a whole number (an id); {raw[:40]!r} is not.")
    return value


def parse_filters(session: Session, actor: User, args: Mapping[str, str], *,
                  default_days: int | None, now: datetime) -> Chosen:
    """Read the filters; ``default_days`` fills an empty range with the last so many days."""
    tz_name = actor.agency.timezone
    raw_from, raw_to = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if not raw_from and not raw_to and default_days:
        today = utc_to_local(now, tz_name).date()
        raw_from = (today - timedelta(days=default_days - 1)).isoformat()
        raw_to = today.isoformat()
    start = _bound(raw_from, "from", tz_name, end=False)[0] if raw_from else None
    end = _bound(raw_to, "to", tz_name, end=True)[0] if raw_to else None
    if start is not None and end is not None and start >= end:
        raise _bad("to", "The range ends before it starts; choose a 'to' after 'from'.")
    campaign_id = _one_id(args, "campaign_id")
    if campaign_id is not None and session.scalar(
            select(Campaign.id).where(Campaign.id == campaign_id,
                                      Campaign.agency_id == actor.agency_id)) is None:
        raise _bad("campaign_id", f"There is no campaign {campaign_id} in this agency.")
    account_id = _one_id(args, "account_id")
    if account_id is not None and session.scalar(
            select(SocialAccount.id).where(SocialAccount.id == account_id,
                                           SocialAccount.agency_id == actor.agency_id)) is None:
        raise _bad("account_id", f"There is no account {account_id} in this agency.")
    platform = (args.get("platform") or "").strip().lower() or None
    if platform is not None and platform not in PLATFORMS:
        raise _bad("platform", f"platform must be one of {', '.join(PLATFORMS)}.")
    return Chosen(Filters(start=start, end=end, campaign_id=campaign_id, account_id=account_id,
                          platform=platform),
                  raw_from, raw_to, campaign_id, account_id, platform)
