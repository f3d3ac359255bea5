"""Review links: one named person without an account (the center's director, the county's PIO)
approves or sends back one post through a signed link.

A link is made by an approver or admin for a name ("Director Ruiz"), for one post waiting for
approval, and works once, until it expires (default 72 hours, chosen per link) or is revoked.
The token in the URL is ``<id>.<secret>.<signature>``: the signature is an HMAC-SHA256 with the
app's secret key (a forged or altered token is simply not found), and only a SHA-256 of the
secret part is stored. The decision is recorded — audit, comment, the post's approval — under
the link's name, never as the user who made the link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.approval_rules import PAST_GRACE, clear_approval, record_approval
from content_queue.approvals import clean_comment, tell_author
from content_queue.consent import require_consent
from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.guard import require_clear
from content_queue.models import APPROVER_ROLES, Post, PostComment, ReviewLink, User
from content_queue.services import get_post
from content_queue.states import Status
from content_queue.transitions import transition
from content_queue.users import audit

DEFAULT_HOURS = 72
MAX_HOURS = 24 * 30
MAX_NAME = 200
_SALT = b"tenfour review link v1:"


def _sign(secret_key: str | bytes, message: str) -> str:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    digest = hmac.new(key, _SALT + message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_hours(value: Any) -> int:
    if value is None or value == "":
        return DEFAULT_HOURS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HOURS:
        raise ValidationFailed(f"expires_in_hours must be a whole number from 1 to {MAX_HOURS}.",
                               code="invalid_expiry",
                               fields={"expires_in_hours": f"1 to {MAX_HOURS} hours."})
    return value


def clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("Say who the link is for (for example “Director Ruiz”).",
                               code="name_required", fields={"name": "Who is it for?"})
    value = " ".join(value.split())
    if len(value) > MAX_NAME:
        raise ValidationFailed(f"The name can be at most {MAX_NAME} characters.",
                               code="name_too_long", fields={"name": "Too long."})
    return value


def create_link(session: Session, *, actor: User, post_id: int, name: Any, now: datetime,
                secret_key: str | bytes, expires_in_hours: Any = None) -> tuple[ReviewLink, str]:
    """A new link for ``name`` on a post waiting for approval; returns it and its token (the
    token is shown once: only its hash is kept)."""
    if actor.role not in APPROVER_ROLES:
        raise Forbidden("Only an approver or an admin can make a review link.")
    post = get_post(session, actor, post_id)
    person, hours = clean_name(name), clean_hours(expires_in_hours)
    if not any(t.status == Status.AWAITING_APPROVAL.value for t in post.targets):
        raise Conflict("Only a post waiting for approval can be sent for review.",
                       code="nothing_to_approve")
    secret = secrets.token_urlsafe(24)
    link = ReviewLink(agency_id=post.agency_id, post_id=post.id, name=person,
                      secret_hash=_hash(secret), created_by_id=actor.id, created_at=now,
                      expires_at=now + timedelta(hours=hours))
    session.add(link)
    session.flush()
    audit(session, "review_link.created", actor_id=actor.id, entity_type="post",
          entity_id=post.id, now=now,
          details={"review_link_id": link.id, "name": person, "expires_in_hours": hours})
    return link, token_for(link.id, secret, secret_key)


def token_for(link_id: int, secret: str, secret_key: str | bytes) -> str:
    body = f"{link_id}.{secret}"
    return f"{body}.{_sign(secret_key, body)}"


def find_link(session: Session, token: str, secret_key: str | bytes) -> ReviewLink:
    """The link a token names; :class:`NotFound` for a forged, altered or unknown token."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 18:
        raise NotFound("There is no such review link.")
    link_id, secret, signature = parts
    if not hmac.compare_digest(_sign(secret_key, f"{link_id}.{secret}"), signature):
        raise NotFound("There is no such review link.")
    link = session.get(ReviewLink, int(link_id))
    if link is None or not hmac.compare_digest(link.secret_hash, _hash(secret)):
        raise NotFound("There is no such review link.")
    return link


@dataclass(frozen=True)
class LinkState:
    """Whether a link can still be used, and if not why, in words for the page."""

    usable: bool
    reason: str = ""
    code: str = "ok"


def link_state(link: ReviewLink, post: Post, now: datetime) -> LinkState:
    if link.used_at is not None:
        word = "approved" if link.decision == "approved" else "sent back"
        return LinkState(False, f"This link has been used: {link.name} {word} the post. "
                                "Thank you.", "used")
    if link.revoked_at is not None:
        return LinkState(False, "This link was withdrawn by the agency. Ask them for a new "
                                "one if you still need to review the post.", "revoked")
    if link.expires_at <= now:
        return LinkState(False, "This link has expired. Ask the agency for a new one if you "
                                "still need to review the post.", "expired")
    if not any(t.status == Status.AWAITING_APPROVAL.value for t in post.targets):
        return LinkState(False, "This post is no longer waiting for approval, so there is "
                                "nothing to decide.", "not_waiting")
    return LinkState(True)


def decide_by_link(session: Session, *, link: ReviewLink, decision: str, comment: Any,
                   now: datetime) -> Post:
    """The named person's decision: approve (scheduled, approval recorded under the link's
    name) or reject (back to a draft), with the comment in the thread; the author is told."""
    if decision not in ("approve", "reject"):
        raise ValidationFailed("Choose approve or send back.", code="invalid_decision",
                               fields={"decision": "approve or reject."})
    words = clean_comment(comment)
    post: Post = link.post
    state = link_state(link, post, now)
    if not state.usable:
        raise Conflict(state.reason, code=f"link_{state.code}")
    waiting = [t for t in post.targets if t.status == Status.AWAITING_APPROVAL.value]
    details = {"review_link_id": link.id, "reviewer": link.name}
    if decision == "approve":
        if any(t.scheduled_at < now - PAST_GRACE for t in waiting):
            raise Conflict("This post's time has passed, so it cannot be approved any more. "
                           "The agency can give it a new time and send a new link.",
                           code="time_in_past")
        require_consent(session, post)  # issue 10 kits: the same checks as an approver's
        require_clear(session, post)    # issue 10 guard
        record_approval(post, now=now, name=link.name)
        to, reason = Status.SCHEDULED, f"approved by {link.name} (review link)"
    else:
        clear_approval(post)
        to, reason = Status.DRAFT, words or f"sent back by {link.name} (review link)"
    for target in waiting:
        transition(session, target, to, actor_id=None, now=now, reason=reason, details=details)
    post.updated_at = now
    link.used_at = now
    link.decision = "approved" if decision == "approve" else "rejected"
    session.add(PostComment(agency_id=post.agency_id, post_id=post.id, author_id=None,
                            author_name=link.name, kind=link.decision, body=words,
                            review_link_id=link.id, created_at=now))
    audit(session, f"review_link.{link.decision}", actor_id=None, entity_type="post",
          entity_id=post.id, now=now, details={**details, "comment": words})
    session.flush()
    tell_author(session, post, decision, by_name=f"{link.name} (review link)", comment=words,
                now=now)
    return post


def revoke_link(session: Session, *, actor: User, link_id: int, now: datetime) -> ReviewLink:
    if actor.role not in APPROVER_ROLES:
        raise Forbidden("Only an approver or an admin can revoke a review link.")
    link = session.get(ReviewLink, link_id)
    if link is None or link.agency_id != actor.agency_id:
        raise NotFound(f"No review link with id {link_id}.")
    if link.used_at is not None:
        raise Conflict("This link has already been used; its decision stands.",
                       code="link_used")
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by_id = now, actor.id
        audit(session, "review_link.revoked", actor_id=actor.id, entity_type="post",
              entity_id=link.post_id, now=now, details={"review_link_id": link.id,
                                                        "name": link.name})
    session.flush()
    return link


def links_for_post(session: Session, post_id: int) -> list[ReviewLink]:
    return list(session.scalars(select(ReviewLink).where(ReviewLink.post_id == post_id)
                                .order_by(ReviewLink.created_at.desc(), ReviewLink.id.desc())
                                .limit(50)))
