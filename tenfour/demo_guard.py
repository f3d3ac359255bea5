"""Demo data for the sensitive-information guard (issue 10): the demo agency's allow-list (its
own non-emergency line, address and e-mail domain) and one draft whose text holds a CAD number,
so the post page shows the highlighted words and the override form in `make run`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.models import Agency, Post, PostTarget, SocialAccount, User
from content_queue.states import Status

DEMO_TEXT = ("[Demo] Great work by B shift on CAD 24-018812 last night: a water rescue with a "
             "happy ending. Non-emergency questions: (612) 555-0100.")


def seed_guard_demo(s: Session, *, agency: Agency, admin: User, now: datetime) -> Iterator[str]:
    if agency.guard_allowed_numbers is not None:
        return  # seeded before (or set by an admin): leave it alone
    agency.guard_allowed_numbers = "(612) 555-0100"
    agency.guard_allowed_addresses = "100 Civic Center Dr"
    agency.guard_allowed_domains = "metro911.gov\ntenfour.local"
    yield "Guard allow-list: the demo center's non-emergency line (612) 555-0100."
    account = s.scalars(select(SocialAccount).where(SocialAccount.agency_id == agency.id)
                        .order_by(SocialAccount.id)).first()
    if account is None:
        return
    when = now + timedelta(days=3)
    post = Post(agency_id=agency.id, author_id=admin.id, text=DEMO_TEXT, first_scheduled_at=when,
                created_at=now, updated_at=now)
    s.add(post)
    s.flush()
    s.add(PostTarget(post_id=post.id, account_id=account.id, status=Status.DRAFT.value,
                     scheduled_at=when, next_attempt_at=when, attempts=0, created_at=now,
                     updated_at=now))
    s.flush()
    yield f"Draft post {post.id} holds a CAD number: open it to see the guard's highlight."
