"""The last look of the sensitive-information guard, right before a platform call: a post whose
texts hold a finding that no approver's override covers fails with the reason in plain words
(the agency may have tightened its patterns after approval, or the text was edited)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from content_queue.guard import publish_refusal
from content_queue.models import Agency, Post, PostTarget
from content_queue.ports import Permanent
from content_queue.publishing import fail_without_call
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


class SensitiveInformation(Permanent):
    code = "sensitive_information"


def refused_by_guard(rt: Runtime, target_ids: Sequence[int]) -> set[int]:
    """The targets failed because of a finding (nothing was sent for them): one read for the
    whole chunk, each post checked once, and a write only when something is refused."""
    if not target_ids:
        return set()
    reasons: dict[int, str] = {}
    with rt.db.session_scope(write=False) as session:
        targets = session.scalars(
            select(PostTarget).where(PostTarget.id.in_(list(target_ids)))
            .options(selectinload(PostTarget.post).selectinload(Post.attachments),
                     selectinload(PostTarget.post).selectinload(Post.variants))).all()
        # Kept for the session's length (its identity map holds an object only while something
        # refers to it): each post's check looks its agency up.
        session.info["agencies"] = session.scalars(select(Agency).where(
            Agency.id.in_({t.post.agency_id for t in targets}))).all()
        by_post: dict[int, str | None] = {}
        for target in targets:
            if target.post_id not in by_post:
                by_post[target.post_id] = publish_refusal(session, target.post, loaded=True)
            if by_post[target.post_id] is not None:
                reasons[target.id] = by_post[target.post_id]
    if not reasons:
        return set()
    with rt.db.session_scope() as session:
        for target_id, reason in reasons.items():
            fail_without_call(session, target_id,
                              SensitiveInformation(reason, "sensitive_information"),
                              now=datetime.now(timezone.utc))
    for target_id in reasons:
        log.warning("publish refused by the guard", extra={"target_id": target_id})
    return set(reasons)
