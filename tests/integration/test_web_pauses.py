"""The incident pause in the admin pages (Flask's test client, CSRF on as in production): the
header button for approvers and admins, the banner on every page while a pause is active, held
posts with the pause's reason on the queue and the post page, and the resume choices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.models import Pause, PostTarget, User
from content_queue.pauses import hold_paused_targets
from content_queue.services import queue_post
from tests.integration.helpers import utcnow
from tests.integration.web_client import FormClient


@pytest.fixture
def pages(client, factory):
    return FormClient(client, factory.password)


def _held_post(db, factory, author) -> tuple[int, int]:
    """A post due a minute ago on a paused agency, held as the scheduler would hold it."""
    account = factory.account("sandbox")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text="Honoring our fallen officer.",
                          account_ids=[account.id], scheduled_at=utcnow() + timedelta(seconds=30),
                          now=utcnow() - timedelta(minutes=1))
        ids = post.id, post.targets[0].id
    with db.session_scope() as s:
        hold_paused_targets(s, utcnow() + timedelta(minutes=1))
    return ids


def test_approver_pauses_from_the_header_and_every_page_shows_the_banner(
        pages, factory, db) -> None:
    approver = factory.user("approver")
    pages.login(approver)
    dashboard = pages.text("/")
    assert "Pause outgoing posts" in dashboard and 'href="/pauses"' in dashboard
    assert "pause-banner" not in dashboard

    response = pages.submit("/pauses", {"reason": "Line-of-duty death", "scope": "all"},
                            token_from="/pauses")
    assert response.status_code == 302

    for path in ("/", "/posts", "/accounts", "/campaigns", "/pauses"):
        page = pages.text(path)
        assert "Outgoing posts are paused" in page, path
        assert "Line-of-duty death" in page and approver.display_name in page
        assert 'name="held" value="publish_now"' in page and 'value="review"' in page


def test_held_posts_show_the_pause_reason_on_the_queue_and_post_page(pages, factory, db) -> None:
    admin = factory.user("admin")
    pages.login(admin)
    pages.submit("/pauses", {"reason": "Major incident downtown", "scope": "all"},
                 token_from="/pauses")
    post_id, _ = _held_post(db, factory, admin)

    queue = pages.text("/posts?status=held")
    assert "badge--held" in queue and "Major incident downtown" in queue
    detail = pages.text(f"/posts/{post_id}")
    assert "Held by an incident pause: Major incident downtown" in detail


def test_resume_from_the_banner_with_review_sends_held_posts_back_for_approval(
        pages, factory, db) -> None:
    admin = factory.user("admin")
    pages.login(admin)
    pages.submit("/pauses", {"reason": "Vigil", "scope": "all"}, token_from="/pauses")
    _, target_id = _held_post(db, factory, admin)
    with db.session_scope(write=False) as s:
        pause_id = s.scalar(select(Pause.id).where(Pause.resumed_at.is_(None)))

    response = pages.submit(f"/pauses/{pause_id}/resume", {"held": "review", "next": "/posts"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/posts")
    with db.session_scope(write=False) as s:
        assert s.get(PostTarget, target_id).status == "awaiting_approval"
        assert s.get(Pause, pause_id).held_mode == "review"
    assert "pause-banner" not in pages.text("/")


def test_pio_sees_the_banner_but_no_button_and_cannot_pause(pages, factory, db) -> None:
    pio = factory.user("pio")
    pages.login(pio)
    assert "pause-button" not in pages.text("/")
    refused = pages.submit("/pauses", {"reason": "x", "scope": "all"}, token_from="/pauses")
    assert refused.status_code == 403
    with db.session_scope(write=False) as s:
        assert s.scalars(select(Pause)).all() == []


def test_a_pause_without_a_reason_is_refused_next_to_the_field(pages, factory) -> None:
    pages.login(factory.user("approver"))
    response = pages.submit("/pauses", {"reason": "  ", "scope": "all"}, token_from="/pauses")
    assert response.status_code == 422
    assert "a reason is required" in response.get_data(as_text=True)


def test_a_pause_form_without_its_csrf_token_is_refused(pages, factory, client, db) -> None:
    pages.login(factory.user("approver"))
    response = client.post("/pauses", data={"reason": "x", "scope": "all"})
    assert response.status_code == 400
    with db.session_scope(write=False) as s:
        assert s.scalars(select(Pause)).all() == []
