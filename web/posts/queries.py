"""Read-only queries the post pages need beyond the services' verbs: the audit trail."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from content_queue.models import AuditEvent, Post


def post_history(session: Session, post: Post) -> list[AuditEvent]:
    """Audit events for the post and each of its targets, oldest first."""
    target_ids = [t.id for t in post.targets]
    conditions = [and_(AuditEvent.entity_type == "post", AuditEvent.entity_id == post.id)]
    if target_ids:
        conditions.append(and_(AuditEvent.entity_type == "post_target",
                               AuditEvent.entity_id.in_(target_ids)))
    return list(session.scalars(
        select(AuditEvent).where(or_(*conditions))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ))
