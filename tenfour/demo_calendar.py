"""issue 8 calendar demo: posting slots for the demo accounts, a weekly recurring post, and a
few posts put into the next free slots, so `make run` shows a filled calendar. Idempotent: an
agency that already has a series gets nothing new."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.models import Agency, Campaign, PostSeries, SocialAccount, User
from content_queue.recurrence import queue_series
from content_queue.services import queue_post
from content_queue.slots import next_free_slot, replace_slots
from content_queue.timeutil import local_to_utc, utc_to_local

WEEKDAY_SLOTS = [{"weekday": d, "time": t} for d in range(5) for t in ("09:00", "15:00")]
CAREERS_SLOTS = [{"weekday": d, "time": "12:00"} for d in (1, 3)]
SLOT_POSTS = [
    "Do you know your exact address when you call 911? Check the sign at the end of your street.",
    "Text to 911 is available in our county. Call if you can, text if you can't.",
    "Our dispatchers answered 1,200 calls last week. Thank you for staying calm on the line.",
]


def seed_calendar_demo(session: Session, *, agency: Agency, admin: User,
                       accounts: list[SocialAccount], now: datetime) -> Iterator[str]:
    if not accounts or session.scalars(select(PostSeries.id).where(
            PostSeries.agency_id == agency.id)).first() is not None:
        return
    main, careers = accounts[0], accounts[-1]
    replace_slots(session, admin, main.id, WEEKDAY_SLOTS)
    if careers.id != main.id:
        replace_slots(session, admin, careers.id, CAREERS_SLOTS)
    yield f"Posting slots set for @{main.handle} (weekdays 09:00 and 15:00)."
    campaign = session.scalars(select(Campaign).where(Campaign.agency_id == agency.id)
                               .order_by(Campaign.id)).first()
    today = utc_to_local(now, agency.timezone).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    first = local_to_utc(datetime.combine(monday, time(9, 0)), agency.timezone, fold=0)
    series, posts = queue_series(
        session, actor=admin, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=8", scheduled_at=first, now=now,
        text="Monday safety tip: keep a list of medications and allergies by the phone.",
        account_ids=[a.id for a in accounts], campaign_id=campaign.id if campaign else None)
    yield f"Recurring Monday post: {len(posts)} occurrences (series #{series.id})."
    for text in SLOT_POSTS:
        when = next_free_slot(session, admin, [main.id], now=now)
        queue_post(session, actor=admin, text=text, account_ids=[main.id], scheduled_at=when,
                   now=now)
    yield f"{len(SLOT_POSTS)} posts added to @{main.handle}'s next free slots."
