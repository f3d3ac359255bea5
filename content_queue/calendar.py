"""issue 8: the outreach calendar — what goes out when, per target — and the agency's ICS feed.

One event per post target (a post to two accounts is two events), in a bounded date range of
the agency's wall clock. The ICS feed is read by staff calendars without a login: its URL holds
a random secret the agency's admins and approvers can regenerate or revoke (then the old URL
answers 404).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import Forbidden, NotFound, ValidationFailed
from content_queue.models import (APPROVER_ROLES, Agency, Campaign, Post, PostTarget,
                                  SocialAccount, User)
from content_queue.states import Status
from content_queue.timeutil import LocalTimeError, check_year, local_to_utc, zone
from content_queue.users import audit

#: A calendar query covers at most this many days (a month view shows six weeks).
MAX_RANGE_DAYS = 93
#: ... and returns at most this many events (the page says when it was cut).
MAX_EVENTS = 2000
#: The ICS feed holds the posts from this many days back to this many days ahead.
FEED_DAYS_BACK, FEED_DAYS_AHEAD, FEED_MAX_EVENTS = 30, 180, 1000
TITLE_LENGTH = 80
EVENT_MINUTES = 15


@dataclass(frozen=True)
class CalendarEvent:
    post_id: int
    target_id: int
    account_id: int
    scheduled_at: datetime
    status: str
    campaign_id: int | None
    title: str
    handle: str
    platform: str
    campaign_name: str | None
    series_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"post_id": self.post_id, "target_id": self.target_id,
                "account_id": self.account_id, "scheduled_at": self.scheduled_at.isoformat(),
                "status": self.status, "campaign_id": self.campaign_id, "title": self.title}


def title_of(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1].rstrip() + "…"


def check_range(start: date, end: date) -> None:
    for name, day in (("from", start), ("to", end)):
        try:
            check_year(datetime.combine(day, time(0)))
        except LocalTimeError as exc:
            raise ValidationFailed(str(exc), code="invalid_date", fields={name: str(exc)}) from None
    if end < start:
        raise ValidationFailed("'to' must be on or after 'from'.", code="invalid_range",
                               fields={"to": "Before 'from'."})
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(f"Ask for at most {MAX_RANGE_DAYS} days at a time.",
                               code="range_too_long", fields={"to": "Range too long."})


def _bounds(start: date, end: date, tz_name: str) -> tuple[datetime, datetime]:
    """UTC instants of local midnight starting ``start`` and the midnight after ``end``."""
    tz = zone(tz_name)
    first = datetime.combine(start, time(0), tzinfo=tz)
    last = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
    return local_to_utc(first, tz_name), local_to_utc(last, tz_name)


def list_events(session: Session, actor: User, start: date, end: date, *,
                account_id: int | None = None, campaign_id: int | None = None,
                status: str | None = None, limit: int = MAX_EVENTS) -> list[CalendarEvent]:
    """The agency's targets scheduled between local ``start`` and ``end`` (both included)."""
    check_range(start, end)
    low, high = _bounds(start, end, actor.agency.timezone)
    return _query(session, actor.agency_id, low, high, account_id=account_id,
                  campaign_id=campaign_id, status=status, limit=limit)


def _query(session: Session, agency_id: int, low: datetime, high: datetime, *,
           account_id: int | None = None, campaign_id: int | None = None,
           status: str | None = None, limit: int) -> list[CalendarEvent]:
    if status is not None and status not in {s.value for s in Status}:
        raise ValidationFailed(f"Unknown status {status!r}.", code="invalid_status",
                               fields={"status": "Unknown status."})
    stmt = (select(PostTarget, Post, SocialAccount, Campaign)
            .join(Post, Post.id == PostTarget.post_id)
            .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
            .outerjoin(Campaign, Campaign.id == Post.campaign_id)
            .where(Post.agency_id == agency_id, PostTarget.scheduled_at >= low,
                   PostTarget.scheduled_at < high)
            .order_by(PostTarget.scheduled_at, PostTarget.id).limit(limit))
    if account_id is not None:
        stmt = stmt.where(PostTarget.account_id == account_id)
    if campaign_id is not None:
        stmt = stmt.where(Post.campaign_id == campaign_id)
    if status is not None:
        stmt = stmt.where(PostTarget.status == status)
    return [CalendarEvent(post_id=post.id, target_id=target.id, account_id=account.id,
                          scheduled_at=target.scheduled_at, status=target.status,
                          campaign_id=post.campaign_id, title=title_of(post.text),
                          handle=account.handle, platform=account.platform,
                          campaign_name=campaign.name if campaign else None,
                          series_id=post.series_id)
            for target, post, account, campaign in session.execute(stmt)]


# --- the ICS feed ---------------------------------------------------------------------------

def _require_feed_manager(actor: User) -> None:
    if actor.role not in APPROVER_ROLES:
        raise Forbidden("Only approvers and admins manage the calendar feed.")


def regenerate_feed_secret(session: Session, actor: User, *, now: datetime) -> str:
    """A new secret; the old URL stops working at once."""
    _require_feed_manager(actor)
    agency = session.get(Agency, actor.agency_id)
    agency.ics_secret = secrets.token_urlsafe(32)
    audit(session, "calendar.feed_regenerated", actor_id=actor.id, entity_type="agency",
          entity_id=agency.id, now=now, details={})
    session.flush()
    return agency.ics_secret


def revoke_feed_secret(session: Session, actor: User, *, now: datetime) -> None:
    _require_feed_manager(actor)
    agency = session.get(Agency, actor.agency_id)
    agency.ics_secret = None
    audit(session, "calendar.feed_revoked", actor_id=actor.id, entity_type="agency",
          entity_id=agency.id, now=now, details={})
    session.flush()


def agency_for_secret(session: Session, secret: str) -> Agency:
    """The agency whose feed ``secret`` opens; anything else is NotFound (the page is a 404)."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 64:
        raise NotFound("There is no such calendar feed.")
    agency = session.scalars(select(Agency).where(Agency.ics_secret == secret)).first()
    if agency is None or not hmac.compare_digest(agency.ics_secret.encode(), secret.encode()):
        raise NotFound("There is no such calendar feed.")
    return agency


def build_feed(session: Session, agency: Agency, *, now: datetime) -> bytes:
    """The agency's plan as an iCalendar document (one VEVENT per target)."""
    events = _query(session, agency.id, now - timedelta(days=FEED_DAYS_BACK),
                    now + timedelta(days=FEED_DAYS_AHEAD), limit=FEED_MAX_EVENTS)
    cal = Calendar()
    cal.add("prodid", "-//Tenfour//outreach calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{agency.name} outreach")
    cal.add("x-wr-timezone", agency.timezone)
    for item in events:
        event = Event()
        event.add("uid", f"target-{item.target_id}@tenfour")
        event.add("dtstamp", now)
        event.add("dtstart", item.scheduled_at)
        event.add("dtend", item.scheduled_at + timedelta(minutes=EVENT_MINUTES))
        event.add("summary", f"@{item.handle} ({item.platform}): {item.title}")
        event.add("description", f"Status: {item.status.replace('_', ' ')}"
                  + (f"\nCampaign: {item.campaign_name}" if item.campaign_name else "")
                  + f"\nPost #{item.post_id}")
        if item.campaign_name:
            event.add("categories", [item.campaign_name])
        event.add("status", "CANCELLED" if item.status == Status.CANCELED.value else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
