"""Demo data for approvals (issue 8): a demo PIO whose posts wait in the approvals queue — one
already discussed and edited (a comment thread, two versions), one whose text holds a
right-to-left override (flagged on the page) — so `make run` shows the queue, the thread, the
diff and the bidi flag. The demo admin can approve them (nobody approves their own post)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.approvals import add_comment
from content_queue.models import Agency, SocialAccount, User
from content_queue.passwords import generate_password
from content_queue.post_edits import edit_post
from content_queue.services import queue_post
from content_queue.users import create_user, find_user

DEMO_PIO_EMAIL = "pio@tenfour.local"


def seed_approvals_demo(s: Session, *, agency: Agency, admin: User,
                        now: datetime) -> Iterator[str]:
    if find_user(s, DEMO_PIO_EMAIL) is not None:
        return  # seeded before
    accounts = list(s.scalars(select(SocialAccount).where(
        SocialAccount.agency_id == agency.id, SocialAccount.platform == "sandbox",
        SocialAccount.status != "disabled").order_by(SocialAccount.id).limit(2)))
    if not accounts:
        return
    pio = create_user(s, agency_id=agency.id, email=DEMO_PIO_EMAIL, role="pio",
                      password=generate_password(), now=now, display_name="Demo PIO")
    first = queue_post(s, actor=pio, text="[Demo] Winter storm tonight: shelters open at 6 pm.",
                       account_ids=[a.id for a in accounts],
                       scheduled_at=now + timedelta(days=1, hours=2), now=now)
    edit_post(s, actor=pio, post_id=first.id, now=now + timedelta(minutes=2),
              text="[Demo] Winter storm tonight: warming shelters open at 6 pm at Lincoln "
                   "High and the Civic Center.")
    add_comment(s, actor=admin, post_id=first.id, now=now + timedelta(minutes=5),
                body="Can we say which doors of the Civic Center are open?")
    add_comment(s, actor=pio, post_id=first.id, now=now + timedelta(minutes=7),
                body="The east doors; I will add it if you send it back.")
    second = queue_post(s, actor=pio, text="[Demo] Call 911 \u202eonly\u202c for emergencies.",
                        account_ids=[accounts[0].id],
                        scheduled_at=now + timedelta(days=1, hours=4), now=now)
    yield (f"Approvals: posts {first.id} and {second.id} by the demo PIO wait on /approvals "
           f"(post {second.id} holds a right-to-left override, flagged there).")
