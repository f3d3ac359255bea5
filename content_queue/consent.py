"""Consent records: a named person's agreement to appear (name, photo) in a post.

Posts from the dispatcher-spotlight and success-story kits (any kit post marked
``requires_consent``) cannot be approved until a PIO or approver has recorded who gave
consent, when, and for what. The approve verb calls :func:`require_consent`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import AUTHOR_ROLES, Consent, KitPost, Post, User
from content_queue.users import audit

MAX_NAME = 200
MAX_PURPOSE = 2000


class ConsentRequired(Conflict):
    code = "consent_required"


def consent_required(session: Session, post: Post) -> bool:
    """Whether ``post`` names or shows a person whose consent must be on record."""
    row = session.get(KitPost, post.id)
    return bool(row and row.requires_consent)


def consents_for(session: Session, post_id: int) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.post_id == post_id)
                                .order_by(Consent.recorded_at, Consent.id)))


def require_consent(session: Session, post: Post) -> None:
    """Refuse (:class:`ConsentRequired`) while a post that needs consent has none recorded."""
    if not consent_required(session, post):
        return
    if session.scalar(select(Consent.id).where(Consent.post_id == post.id).limit(1)) is None:
        raise ConsentRequired(
            "This post names or shows a person: record their consent to use their name and "
            "photo (who gave it, when, for what) on the post's page before approving it.")


def _text(value: Any, field: str, label: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{label} is required.", code="validation_failed",
                               fields={field: "Required."})
    if "\x00" in value:  # no database text column takes it (PostgreSQL refuses it)
        raise ValidationFailed(f"{label} contains a character that is not valid text.",
                               code="validation_failed", fields={field: "Invalid character."})
    if len(value) > limit:
        raise ValidationFailed(f"{label} can be at most {limit} characters.",
                               code="validation_failed", fields={field: f"At most {limit}."})
    return value.strip()


def record_consent(session: Session, *, actor: User, post_id: int, person_name: Any,
                   given_by: Any, given_on: Any, purpose: Any, covers_name: bool = True,
                   covers_photo: bool = False, now: datetime) -> Consent:
    """Record one person's consent on a post (PIOs, approvers and admins; never viewers)."""
    # Not through content_queue.services: the approve verb there imports this module.
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers can read posts but cannot record consent.")
    post = session.get(Post, post_id)
    if post is None or post.agency_id != actor.agency_id:
        raise NotFound(f"No post with id {post_id}.")
    fields: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, label, limit, raw in (("person_name", "The person's name", MAX_NAME, person_name),
                                     ("given_by", "Who gave consent", MAX_NAME, given_by),
                                     ("purpose", "What the consent is for", MAX_PURPOSE,
                                      purpose)):
        try:
            values[field] = _text(raw, field, label, limit)
        except ValidationFailed as exc:
            fields.update(exc.fields)
    if isinstance(given_on, str):
        try:
            given_on = date.fromisoformat(given_on.strip())
        except ValueError:
            given_on = None
    if not isinstance(given_on, date) or isinstance(given_on, datetime):
        fields["given_on"] = "A date such as 2027-04-02."
    elif given_on > now.date():
        fields["given_on"] = "Consent cannot be dated in the future."
    if not covers_name and not covers_photo:
        fields["covers"] = "Say whether it covers their name, their photo, or both."
    if fields:
        raise ValidationFailed("The consent was not recorded: " + " ".join(
            f"{k.replace('_', ' ')}: {v}" for k, v in fields.items()), fields=fields)
    consent = Consent(agency_id=post.agency_id, post_id=post.id, given_on=given_on,
                      covers_name=bool(covers_name), covers_photo=bool(covers_photo),
                      recorded_by_id=actor.id, recorded_at=now, **values)
    session.add(consent)
    session.flush()
    audit(session, "consent.recorded", actor_id=actor.id, entity_type="post",
          entity_id=post.id, now=now,
          details={"consent_id": consent.id, "person_name": consent.person_name,
                   "given_by": consent.given_by, "given_on": given_on.isoformat(),
                   "covers_name": consent.covers_name, "covers_photo": consent.covers_photo})
    return consent
