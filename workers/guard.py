"""The last look of the sensitive-information guard, right before a platform call: a post whose
texts hold a finding that no approver's override covers fails with the reason in plain words
(the agency may have tightened its patterns after approval, or the text was edited)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from content_queue.guard import publish_refusal
from content_queue.models import PostTarget
from content_queue.ports import Permanent
from content_queue.publishing import fail_without_call
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


class SensitiveInformation(Permanent):
    code = "sensitive_information"


def refused_by_guard(rt: Runtime, target_id: int) -> bool:
    """True when the target was failed because of a finding (nothing was sent)."""
    with rt.db.session_scope(write=False) as session:
        target = session.get(PostTarget, target_id)
        reason = None if target is None else publish_refusal(session, target.post)
    if reason is None:
        return False
    with rt.db.session_scope() as session:
        fail_without_call(session, target_id, SensitiveInformation(reason, "sensitive_information"),
                          now=datetime.now(timezone.utc))
    log.warning("publish refused by the guard", extra={"target_id": target_id})
    return True
