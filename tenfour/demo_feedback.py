"""Demo replies for the feedback wall: the simulator's own reply mix (thank-yous, questions,
Spanish, a phone number) on the most recent demo posts, one emergency-looking reply from a few
minutes ago, the on-duty contact set to the demo admin, and three thank-yous put on the shift
briefing, so `tenfour run` shows a living wall and briefing at once. New posts published to
the simulator then receive replies of their own over time (simulator/replies.py), fetched by
the reply poll.

Everything goes through content_queue.feedback (classified, PII hidden, the emergency alerted,
highlights audited). Idempotent: nothing is added once the agency has any reply.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue import feedback
from content_queue.models import Agency, CommunityReply, Post, PostTarget, User
from content_queue.ports import Reply
from simulator.replies import EMERGENCIES, base_schedule

POSTS = 6
HIGHLIGHTS = 3


def seed_feedback_demo(session: Session, *, agency: Agency, admin: User,
                       now: datetime) -> Iterator[str]:
    if session.scalar(select(CommunityReply.id).where(CommunityReply.agency_id == agency.id)
                      .limit(1)) is not None:
        return
    targets = list(session.scalars(
        select(PostTarget).join(Post, Post.id == PostTarget.post_id)
        .where(Post.agency_id == agency.id, PostTarget.status == "published",
               PostTarget.platform_post_id.is_not(None), PostTarget.published_at <= now)
        .order_by(PostTarget.published_at.desc()).limit(POSTS)))
    if not targets:
        return
    if agency.on_duty_user_id is None:
        agency.on_duty_user_id = admin.id
    stored = 0
    for target in targets:
        replies = [Reply(f"demo-{target.id}-{n}", target.platform_post_id, author, text,
                         target.published_at + timedelta(seconds=offset))
                   for n, (offset, (author, text)) in enumerate(
                       base_schedule(target.platform_post_id))
                   if target.published_at + timedelta(seconds=offset) <= now]
        if target is targets[0]:
            author, text = EMERGENCIES[0]
            replies.append(Reply(f"demo-{target.id}-urgent", target.platform_post_id, author,
                                 text, now - timedelta(minutes=12)))
        stored += len(feedback.record_replies(session, target.id, replies, now=now).new)
    warm = list(session.scalars(
        select(CommunityReply).where(CommunityReply.agency_id == agency.id,
                                     CommunityReply.hidden.is_(False),
                                     CommunityReply.emergency.is_(False))
        .order_by(CommunityReply.sentiment.desc(), CommunityReply.id).limit(HIGHLIGHTS)))
    for reply in warm:
        feedback.set_highlighted(session, reply, True, actor=admin, now=now)
    yield (f"Feedback wall: {stored} demo replies (one emergency-looking), "
           f"{len(warm)} on the shift briefing.")

