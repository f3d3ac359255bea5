"""Approvals in Chromium: a PIO submits, an approver approves one and sends one back with a
comment from the approvals page, the author sees both notifications; a review link approved by
"Director Ruiz" without an account; text with direction-changing characters shown isolated and
flagged. axe finds no serious or critical problem on these pages. Screenshots go to
``test-artifacts/approvals/``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from content_queue.models import Post, PostComment
from content_queue.timeutil import utc_to_local
from tests.conftest import utcnow
from tests.integration.browser_support import (axe_problems, compose, login, serve,
                                               sign_out_by_cookies, watched_context)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "approvals"
EVIL = "Call 911 \u202eonly\u202c for emergencies"


def _tomorrow_local(hours: int = 0) -> datetime:
    local = utc_to_local(utcnow() + timedelta(days=1, hours=hours), "America/Chicago")
    return local.replace(tzinfo=None, minute=0, second=0, microsecond=0)




def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_approve_reject_notify_review_link_and_bidi_in_the_browser(app, db, factory,
                                                                   chromium_browser):
    pio = factory.user("pio", email="pio@metro911.gov")
    approver = factory.user("approver", email="approver@metro911.gov")
    admin = factory.user("admin", email="admin@metro911.gov")
    factory.account("sandbox", handle="metro911")
    problems: list[str] = []
    axe: list[str] = []
    with serve(app) as base_url:
        author_ctx, approver_ctx, visitor_ctx = (watched_context(chromium_browser, problems)
                                                 for _ in range(3))
        author = author_ctx.new_page()
        login(author, base_url, pio.email, factory.password)
        approve_id = compose(author, base_url, "Winter storm shelters open tonight.",
                             ["@metro911"], _tomorrow_local(1))
        reject_id = compose(author, base_url, "Our number is on the website.", ["@metro911"],
                            _tomorrow_local(2))
        review_id = compose(author, base_url, "Thank you, dispatchers! #NPSTW", ["@metro911"],
                            _tomorrow_local(3))
        bidi_id = compose(author, base_url, EVIL, ["@metro911"], _tomorrow_local(4))
        assert author.locator("h1 .badge").inner_text() == "awaiting approval"

        # The approver's queue: oldest first, each with its preview.
        page = approver_ctx.new_page()
        login(page, base_url, approver.email, factory.password)
        with page.expect_navigation():  # all_inner_texts() below does not wait for the page
            page.get_by_role("link", name="Approvals").click()
        cards = page.locator(".approval")
        cards.first.wait_for()
        assert [int(re.search(r"\d+", t).group()) for t in
                cards.locator("h2").all_inner_texts()] == [approve_id, reject_id, review_id,
                                                           bidi_id]
        first = page.locator(f"#post-{approve_id}")
        assert first.locator(".preview-card__handle").inner_text() == "@metro911"
        assert "Winter storm shelters" in first.locator(".preview-card__text").inner_text()

        # Bidi: isolated in <bdi dir=auto> and flagged, with the controls shown as marks.
        evil = page.locator(f"#post-{bidi_id}")
        assert "This text contains direction-changing characters" in \
            evil.locator(".bidi-warning").inner_text()
        assert evil.locator(".bidi-mark").all_inner_texts() == ["[U+202E]", "[U+202C]"]
        isolated = evil.locator(".preview-card__text bdi")
        assert isolated.get_attribute("dir") == "auto"
        assert isolated.evaluate("e => e.textContent") == EVIL
        assert page.locator(f"#post-{approve_id} .bidi-warning").count() == 0
        _shot(page, "queue")
        axe += axe_problems(page)

        with page.expect_navigation():
            page.get_by_role("button", name=f"Approve #{approve_id}").click()
        assert f"Post #{approve_id} approved" in page.locator(".flash--success").inner_text()
        page.locator(f"#post-{reject_id}").get_by_label(re.compile("^Comment for")).fill(
            "Please add the non-emergency number, 555-0100.")
        with page.expect_navigation():
            page.get_by_role("button", name=f"Send back #{reject_id}").click()
        assert f"Post #{reject_id} sent back" in page.locator(".flash--success").inner_text()
        assert page.locator(f"#post-{approve_id}").count() == 0
        _shot(page, "queue-after-decisions")

        # The author hears of both decisions, with the comment.
        author.goto(f"{base_url}/notifications")
        notices = author.locator("main").inner_text()
        assert f"Post #{approve_id} was approved by" in notices
        assert f"Post #{reject_id} was sent back by" in notices
        assert "non-emergency number, 555-0100" in notices
        _shot(author, "author-notifications")
        author.goto(f"{base_url}/posts/{reject_id}")
        assert "non-emergency number" in author.locator("#comments").inner_text()
        assert author.locator("h1 .badge").inner_text() == "draft"
        _shot(author, "post-thread")
        author.get_by_role("link", name="Edit text, accounts or time").click()
        author.get_by_label("Post text").fill("Our non-emergency number is 555-0100.")
        with author.expect_navigation():
            author.get_by_role("button", name="Save changes").click()
        assert "Version 2" in author.locator("#versions").inner_text()
        assert author.locator("#versions ins").first.inner_text().startswith("added:")
        _shot(author, "post-versions")
        axe += axe_problems(author)
        author.goto(f"{base_url}/posts/{reject_id}/edit")
        axe += axe_problems(author)

        # The post page shows the bidi text isolated and flagged too.
        author.goto(f"{base_url}/posts/{bidi_id}")
        assert author.locator("#post-text bdi").get_attribute("dir") == "auto"
        assert author.locator("#post-text-bidi").is_visible()
        _shot(author, "post-bidi")
        axe += axe_problems(author)

        # A review link for Director Ruiz, made on the post's page.
        page.goto(f"{base_url}/posts/{review_id}")
        page.get_by_label("Who is it for?").fill("Director Ruiz")
        with page.expect_navigation():
            page.get_by_role("button", name="Make a review link").click()
        url = page.get_by_label(re.compile("^The link")).input_value()
        assert "/review/" in url
        _shot(page, "review-link-made")

        visitor = visitor_ctx.new_page()
        visitor.goto(url)
        assert "Director Ruiz" in visitor.locator("h1 + p").inner_text()
        assert "Thank you, dispatchers!" in visitor.locator(".preview-card__text").inner_text()
        assert visitor.get_by_role("link", name="Approvals").count() == 0  # no account, no nav
        _shot(visitor, "review-page")
        axe += axe_problems(visitor)
        visitor.get_by_label(re.compile("^Comment")).fill("Looks good. — R.")
        with visitor.expect_navigation():
            visitor.get_by_role("button", name="Approve").click()
        assert "Thank you, Director Ruiz" in visitor.locator(".flash--success").inner_text()
        _shot(visitor, "review-done")
        visitor.goto(url)
        assert "This link has been used" in visitor.locator("#link-state").inner_text()

        page.goto(f"{base_url}/posts/{review_id}")
        assert page.locator("h1 .badge").inner_text() == "scheduled"
        assert "Director Ruiz" in page.locator("#comments").inner_text()
        _shot(page, "post-approved-by-review-link")
        admin_page = visitor_ctx.new_page()
        sign_out_by_cookies(admin_page)
        login(admin_page, base_url, admin.email, factory.password)
        admin_page.goto(f"{base_url}/approvals/rules")
        admin_page.get_by_label("Every post needs a second person").check()
        with admin_page.expect_navigation():
            admin_page.get_by_role("button", name="Save rules").click()
        assert "Approval rules saved." in admin_page.locator(".flash--success").inner_text()
        _shot(admin_page, "rules")
        axe += axe_problems(admin_page)
        for context in (author_ctx, approver_ctx, visitor_ctx):
            context.close()

    assert problems == [], "the browser reported errors"
    assert not axe, "\n".join(axe)
    with db.session_scope(write=False) as s:
        reviewed = s.get(Post, review_id)
        assert (reviewed.approved_by_id, reviewed.approved_by_name) == (None, "Director Ruiz")
        assert s.get(Post, approve_id).approved_by_id == approver.id
        names = {c.author_name for c in s.query(PostComment).all()}
        assert "Director Ruiz" in names
