"""Helpers for tests that need issue 8 approvals data (a PIO's waiting post, a review link)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from content_queue.models import SocialAccount, User
from content_queue.review_links import create_link
from content_queue.services import queue_post
from content_queue.users import create_user
from tests.conftest import utcnow


def waiting_post_with_review_link(session: Session, approver: User, account: SocialAccount,
                                  secret_key: str, *, password: str) -> tuple[int, str]:
    """A PIO's post waiting for approval and a review link for "Director Ruiz": (post id,
    token)."""
    pio = create_user(session, agency_id=approver.agency_id, email="pio-review@metro911.gov",
                      role="pio", password=password, now=utcnow(), display_name="Pat PIO")
    post = queue_post(session, actor=pio, text="Know your location when you call 911.",
                      account_ids=[account.id], scheduled_at=utcnow() + timedelta(days=1),
                      now=utcnow())
    _, token = create_link(session, actor=approver, post_id=post.id, name="Director Ruiz",
                           now=utcnow(), secret_key=secret_key)
    return post.id, token
