"""Starting a kit: one campaign, one draft post per kit post, each with its targets on the
chosen accounts, at the kit's days and the agency's usual posting time, in the agency's zone.

Drafts go through :func:`content_queue.services.queue_post` (``submit=False``), so they meet
every rule a hand-written post meets (platform limits, accounts, variants); nothing is
published or sent for approval until a person reads and submits each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from sqlalchemy.orm import Session

from content_queue.campaigns import CampaignInput, create_campaign
from content_queue.errors import ServiceError, ValidationFailed
from content_queue.kits.dates import next_npstw_year, npstw_week
from content_queue.kits.fill import check_fields, display_values, fill
from content_queue.kits.schema import Kit
from content_queue.models import Agency, Campaign, KitPost, KitRun, Post, User
from content_queue.services import queue_post, require_author
from content_queue.timeutil import FIRST_YEAR, LAST_YEAR, LocalTimeError, local_to_utc, \
    utc_to_local
from content_queue.users import audit


@dataclass
class KitStarted:
    run: KitRun
    campaign: Campaign
    posts: list[Post]
    kit_posts: dict[int, KitPost]


def usual_posting_time(agency: Agency, kit: Kit) -> str:
    """The agency's usual posting time ("HH:MM"), else the kit's default (10:00)."""
    return agency.usual_posting_time or kit.default_time


def _check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed("year must be a year such as 2027.", code="invalid_year",
                               fields={"year": "A year such as 2027."})
    return year


def _anchor(kit: Kit, values: Mapping[str, str], *, year: Any, start_date: date | None,
            today: date) -> tuple[date, str]:
    """Day 0 of the kit and the campaign's name."""
    if start_date is not None:
        return start_date, f"{kit.name} — {start_date:%B} {start_date.day}, {start_date.year}"
    if kit.anchor == "npstw":
        chosen = next_npstw_year(today) if year is None else _check_year(year)
        return npstw_week(chosen)[0], f"{kit.name} {chosen}"
    if kit.anchor == "start_date":
        day = today + timedelta(days=1)
        return day, f"{kit.name} — {day:%B} {day.day}, {day.year}"
    spec = kit.field_named(kit.anchor)
    value = values.get(kit.anchor, "")
    if not value:
        label = spec.label if spec else kit.anchor
        raise ValidationFailed(f"Fill in the required fields: {label}.", code="missing_fields",
                               fields={kit.anchor: "Required."})
    day = date.fromisoformat(value)
    return day, f"{kit.name} — {day:%B} {day.day}, {day.year}"


def _when(day: date, clock: str, tz_name: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    try:
        return local_to_utc(datetime.combine(day, time(hours, minutes)), tz_name, fold=0)
    except LocalTimeError as exc:
        raise ValidationFailed(str(exc), code=exc.code, fields={"start_date": str(exc)}) from None


def start_kit(session: Session, *, actor: User, kit: Kit, fields: Any, account_ids: Any,
              now: datetime, year: Any = None, start_date: date | None = None) -> KitStarted:
    """Create the kit's campaign and its drafts; refuses (nothing written) if any is invalid."""
    require_author(actor)
    values = check_fields(kit, fields)
    agency = actor.agency
    tz = agency.timezone
    today = utc_to_local(now, tz).date()
    anchor, name = _anchor(kit, values, year=year, start_date=start_date, today=today)
    usual = usual_posting_time(agency, kit)
    plan = [(spec, anchor + timedelta(days=spec.day), spec.time or usual) for spec in kit.posts]
    whens = [_when(day, clock, tz) for _spec, day, clock in plan]
    for (spec, day, clock), when in zip(plan, whens):
        if when < now:
            which = "year" if kit.anchor == "npstw" and start_date is None else "start_date"
            message = (f"“{spec.title}” would go out on {day:%A, %B} {day.day}, {day.year} at "
                       f"{clock}, which has passed. Choose a later {which.replace('_', ' ')}.")
            raise ValidationFailed(message, code="kit_in_past", fields={which: message})
    days = [day for _spec, day, _clock in plan]
    campaign = create_campaign(session, actor=actor, now=now, data=CampaignInput(
        name=name, description=kit.description, starts_on=min(days), ends_on=max(days)))
    run = KitRun(agency_id=agency.id, campaign_id=campaign.id, kit_id=kit.id, kit_name=kit.name,
                 fields=values, anchor_date=anchor, started_by_id=actor.id, started_at=now)
    session.add(run)
    session.flush()
    shown = display_values(kit, values)
    posts: list[Post] = []
    kit_posts: dict[int, KitPost] = {}
    for (spec, day, _clock), when in zip(plan, whens):
        variants = {platform: fill(text, shown) for platform, text in spec.variants.items()}
        try:
            post = queue_post(session, actor=actor, text=fill(spec.text, shown),
                              account_ids=account_ids, scheduled_at=when, now=now,
                              campaign_id=campaign.id, submit=False, variants=variants)
        except ServiceError as exc:
            exc.message = f"“{spec.title}” ({day:%B} {day.day}): {exc.message}"
            raise
        row = KitPost(post_id=post.id, agency_id=agency.id, run_id=run.id, key=spec.key,
                      title=spec.title, requires_consent=spec.requires_consent,
                      variants=variants, image_prompts=list(spec.image_prompts))
        session.add(row)
        posts.append(post)
        kit_posts[post.id] = row
    session.flush()
    audit(session, "kit.started", actor_id=actor.id, entity_type="campaign",
          entity_id=campaign.id, now=now,
          details={"kit": kit.id, "anchor_date": anchor.isoformat(),
                   "posts": [p.id for p in posts]})
    return KitStarted(run=run, campaign=campaign, posts=posts, kit_posts=kit_posts)
