"""The guard applied to a post: every text it will publish (main text, each platform variant,
each image's alt text), the refusal the verbs raise, and an approver's written override.

The verbs call :func:`require_clear` before a post is submitted or approved; the worker calls
:func:`publish_refusal` right before a platform call. An override (:func:`override_guard`)
covers the post's texts exactly as they were when it was written: any edit needs a new one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from content_queue.errors import Conflict, Forbidden, ValidationFailed
from content_queue.guard.config import GuardConfig, config_for
from content_queue.guard.findings import Finding
from content_queue.guard.scan import check_text
from content_queue.models import APPROVER_ROLES, Agency, GuardOverride, Post, User
from content_queue.users import audit
from content_queue.variants import variants_of

MIN_JUSTIFICATION = 10
MAX_JUSTIFICATION = 2000

#: How each kind reads in a sentence ("found a phone number").
KIND_NAMES = {"phone": "a phone number", "address": "a street address",
              "date_of_birth": "a date of birth", "incident_number": "an incident or case number",
              "license_plate": "a license plate", "email": "a private e-mail address",
              "name_with_incident": "a person's name next to an incident word"}


@dataclass(frozen=True)
class LocatedFinding:
    """A finding and which of the post's texts it is in: ``text``, ``variants.<platform>``
    or ``media.<n>.alt_text`` (``n`` counts the post's images from 0)."""

    field: str
    finding: Finding

    def to_dict(self) -> dict:
        return {**self.finding.to_dict(), "field": self.field}

    @property
    def where(self) -> str:
        if self.field == "text":
            return "the text"
        if self.field.startswith("variants."):
            return f"the {self.field.split('.', 1)[1]} version"
        number = int(self.field.split(".")[1]) + 1
        return f"image {number}'s alt text"


class GuardBlocked(ValidationFailed):
    """The post holds what must not be published; ``findings`` say which words, where."""

    code = "sensitive_information"

    def __init__(self, findings: list[LocatedFinding],
                 texts: dict[str, str] | None = None) -> None:
        first = findings[0]
        more = f" and {len(findings) - 1} more" if len(findings) > 1 else ""
        message = (f"This post may contain information a 911 center must not publish: "
                   f"{KIND_NAMES.get(first.finding.kind, first.finding.kind)} "
                   f"(\u201c{first.finding.text}\u201d) in {first.where}{more}. Change the "
                   "highlighted words, or ask an approver to override with a written "
                   "justification.")
        fields: dict = {}
        for item in findings:
            line = f"\u201c{item.finding.text}\u201d: {item.finding.message}"
            if item.field.startswith("variants."):
                fields.setdefault("variants", {}).setdefault(
                    item.field.split(".", 1)[1], []).append(line)
            elif item.field.startswith("media."):
                fields.setdefault("media_ids", []).append(f"{item.where}: {line}")
            else:
                fields.setdefault("text", []).append(line)
        super().__init__(message, fields=fields)
        self.findings = findings
        #: The checked texts by field, so a page can show them with the words highlighted.
        self.texts = texts or {}

    def findings_as_dicts(self) -> list[dict]:
        return [f.to_dict() for f in self.findings]


def texts_of_post(post: Post) -> list[tuple[str, str]]:
    """``(field, text)`` for every text the post publishes."""
    texts = [("text", post.text or "")]
    texts += [(f"variants.{platform}", text) for platform, text in sorted(variants_of(post).items())]
    for number, media in enumerate(post.media):
        if (media.alt_text or "").strip():
            texts.append((f"media.{number}.alt_text", media.alt_text))
    return texts


def check_texts(texts: list[tuple[str, str]], config: GuardConfig) -> list[LocatedFinding]:
    return [LocatedFinding(name, f) for name, text in texts for f in check_text(text, config)]


def fingerprint(texts: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()


def _fresh(session: Session, post: Post) -> None:
    """A post just built in this session: its variants and images were added as rows, so
    read its collections again before looking at them."""
    if inspect(post).persistent:
        session.flush()
        session.expire(post, ["variants", "attachments"])


def check_post(session: Session, post: Post, *, loaded: bool = False) -> list[LocatedFinding]:
    """``loaded``: the caller read the post's variants and images in this transaction (the
    worker, a chunk at a time), so they are not read again."""
    if not loaded:
        _fresh(session, post)
    return check_texts(texts_of_post(post), config_for(session.get(Agency, post.agency_id)))


def _override_for(session: Session, post: Post, texts: list[tuple[str, str]]) -> GuardOverride | None:
    return session.scalars(select(GuardOverride).where(
        GuardOverride.post_id == post.id, GuardOverride.fingerprint == fingerprint(texts))
        .order_by(GuardOverride.id.desc())).first()


def current_override(session: Session, post: Post) -> GuardOverride | None:
    """The override that covers the post's texts as they are now, if any."""
    _fresh(session, post)
    return _override_for(session, post, texts_of_post(post))


def override_guard(session: Session, *, actor: User, post: Post, justification: object,
                   now: datetime) -> GuardOverride:
    """An approver lets the post's current texts through the guard, saying why in writing."""
    if actor.role not in APPROVER_ROLES or actor.agency_id != post.agency_id:
        raise Forbidden("Only an approver or an admin can let a post through the "
                        "sensitive-information check.", code="override_forbidden")
    words = justification.strip() if isinstance(justification, str) else ""
    if len(words) < MIN_JUSTIFICATION or len(words) > MAX_JUSTIFICATION:
        message = (f"Write why this post may be published as it is ({MIN_JUSTIFICATION} to "
                   f"{MAX_JUSTIFICATION} characters), for example \u201cthe number is the "
                   "county's public hotline\u201d.")
        raise ValidationFailed(message, code="justification_required",
                               fields={"guard_override": message})
    _fresh(session, post)
    texts = texts_of_post(post)
    found = check_texts(texts, config_for(session.get(Agency, post.agency_id)))
    if not found:
        raise Conflict("The sensitive-information check finds nothing in this post; there is "
                       "nothing to override.", code="nothing_to_override")
    record = GuardOverride(agency_id=post.agency_id, post_id=post.id,
                           fingerprint=fingerprint(texts), justification=words,
                           findings=[f.to_dict() for f in found], created_by_id=actor.id,
                           created_at=now)
    session.add(record)
    session.flush()
    audit(session, "guard.override", actor_id=actor.id, entity_type="post", entity_id=post.id,
          now=now, details={"justification": words, "override_id": record.id,
                            "findings": [f.to_dict() for f in found]})
    return record


def require_clear(session: Session, post: Post, *, actor: User | None = None,
                  justification: object = None, now: datetime | None = None) -> None:
    """Refuse (422, :class:`GuardBlocked`) a post with a finding that no override covers.
    A ``justification`` from an approver records the override on the way."""
    found = check_post(session, post)
    if not found:
        return
    if justification not in (None, "") and actor is not None and now is not None:
        override_guard(session, actor=actor, post=post, justification=justification, now=now)
        return
    texts = texts_of_post(post)
    if _override_for(session, post, texts) is None:
        raise GuardBlocked(found, dict(texts))


def publish_refusal(session: Session, post: Post, *, loaded: bool = False) -> str | None:
    """Why the worker must not publish ``post`` now (a finding, no override), in plain words.
    ``loaded``: as for :func:`check_post`."""
    found = check_post(session, post, loaded=loaded)
    if not found or _override_for(session, post, texts_of_post(post)) is not None:
        return None
    first = found[0]
    return (f"Not published: the sensitive-information check found "
            f"{KIND_NAMES.get(first.finding.kind, first.finding.kind)} "
            f"(\u201c{first.finding.text}\u201d) in {first.where}. Change the words, or an "
            "approver can override with a written justification; then retry.")
