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


def refuse_sensitive(session: Session, target_ids: Sequence[int], *, now: datetime) -> set[int]:
    """Fail, in the caller's transaction (the one that stamped them), the targets whose post
    holds a finding no override covers; returns their ids. Each post is checked once."""
    if not target_ids:
        return set()
    # Read already, with their posts' texts and agencies, by the stamping in this transaction
    # (content_queue.publishing.start_attempts): these are look-ups in the session, not queries.
    targets = [t for t in (session.get(PostTarget, i) for i in target_ids) if t is not None]
    by_post: dict[int, str | None] = {}
    refused: set[int] = set()
    for target in targets:
        if target.post_id not in by_post:
            by_post[target.post_id] = publish_refusal(session, target.post, loaded=True)
        reason = by_post[target.post_id]
        if reason is not None:
            fail_without_call(session, target.id,
                              SensitiveInformation(reason, "sensitive_information"), now=now)
            log.warning("publish refused by the guard", extra={"target_id": target.id})
            refused.add(target.id)
    return refused
