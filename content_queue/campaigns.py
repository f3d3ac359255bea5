"""Campaigns: a named stretch of outreach (NPSTW, a recruiting drive) that posts belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import ValidationFailed
from content_queue.models import Campaign, User
from content_queue.services import require_author
from content_queue.users import audit


@dataclass(frozen=True)
class CampaignInput:
    name: str
    description: str = ""
    starts_on: Any = None
    ends_on: Any = None


def create_campaign(session: Session, *, actor: User, data: CampaignInput,
                    now: datetime) -> Campaign:
    require_author(actor)
    name = (data.name or "").strip()
    if not name:
        raise ValidationFailed("Give the campaign a name.", fields={"name": "Required."})
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ValidationFailed("The campaign ends before it starts.",
                               fields={"ends_on": "Must be on or after the start date."})
    campaign = Campaign(agency_id=actor.agency_id, name=name, description=data.description or "",
                        starts_on=data.starts_on or None, ends_on=data.ends_on or None,
                        created_by_id=actor.id, created_at=now)
    session.add(campaign)
    session.flush()
    audit(session, "campaign.created", actor_id=actor.id, entity_type="campaign",
          entity_id=campaign.id, now=now, details={"name": name})
    return campaign


def list_campaigns(session: Session, agency_id: int) -> list[Campaign]:
    return list(session.scalars(
        select(Campaign).where(Campaign.agency_id == agency_id).order_by(Campaign.name)
    ))
