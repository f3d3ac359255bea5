"""The last look of the sensitive-information guard, right before a platform call: a post whose
texts hold a finding that no approver's override covers fails with the reason in plain words
(the agency may have tightened its patterns after approval, or the text was edited)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session

from content_queue.guard import publish_refusal
from content_queue.models import PostTarget
from content_queue.ports import Permanent
from content_queue.publishing import fail_without_call

log = logging.getLogger("tenfour.worker")


class SensitiveInformation(Permanent):
    code = "sensitive_information"


def sensitive_refusals(session: Session, target_ids: Sequence[int]) -> dict[int, str]:
    """Why each of these targets must not be published (its post holds a finding no override
    covers), by target id; the others are not in it. Reads only (each post is checked once),
    so the worker asks before it takes the write lock."""
    # Read already, with their posts' texts and agencies, in this session
    # (content_queue.publishing.read_attempts): these are look-ups in the session, not queries.
    targets = [t for t in (session.get(PostTarget, i) for i in target_ids) if t is not None]
    by_post: dict[int, str | None] = {}
    refusals: dict[int, str] = {}
    for target in targets:
        if target.post_id not in by_post:
            by_post[target.post_id] = publish_refusal(session, target.post, loaded=True)
        reason = by_post[target.post_id]
        if reason is not None:
            refusals[target.id] = reason
    return refusals


def refuse_sensitive(session: Session, refusals: dict[int, str], *, now: datetime) -> set[int]:
    """Fail, in the caller's transaction (the one that stamped them), the targets
    :func:`sensitive_refusals` refused; returns the ids it failed."""
    refused: set[int] = set()
    for target_id, reason in refusals.items():
        fail_without_call(session, target_id,
                          SensitiveInformation(reason, "sensitive_information"), now=now)
        log.warning("publish refused by the guard", extra={"target_id": target_id})
        refused.add(target_id)
    return refused
