"""The guard in Chromium (issue 10): a post with a phone number or a CAD number is stopped on
compose with the words highlighted; an approver overrides on the post page with a written
justification (audited); the agency footer shows in the counter and the preview.
Screenshots go to test-artifacts/guard/."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from content_queue.footer import DEFAULT_FOOTER
from content_queue.models import Agency, AuditEvent, GuardOverride, Post
from tests.integration.browser_support import account_checkbox, login, serve, sign_out_by_cookies
from tests.integration.helpers import X_CREDENTIALS
from tests.integration.test_accessibility import WCAG_TAGS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "guard"


def shot(page, name: str) -> None:
    """A screenshot, and the page's serious or critical accessibility problems (axe)."""
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    problems = [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not problems, f"{name}: {problems}"


def _fill(page, base_url, text, handle):
    when = datetime.now() + timedelta(days=2)
    page.goto(f"{base_url}/posts/new")
    page.get_by_label("Post text").fill(text)
    account_checkbox(page, f"@{handle}").check()
    page.get_by_label("Date", exact=True).fill(when.strftime("%Y-%m-%d"))
    page.get_by_label("Time", exact=True).fill("10:00")


def test_guard_stops_highlights_and_an_approver_overrides(app, db, factory, chromium_browser):
    pio, approver = factory.user("pio"), factory.user("approver")
    factory.account("sandbox", handle="metro911_sandbox")
    with serve(app) as base_url:
        context = chromium_browser.new_context()
        context.set_default_timeout(10_000)
        page = context.new_page()
        login(page, base_url, pio.email, factory.password)

        # A phone number: stopped, the number marked.
        _fill(page, base_url, "Thank you to the caller at 715-381-2204 who stayed on the line!",
              "metro911_sandbox")
        with page.expect_navigation():
            page.get_by_role("button", name="Queue", exact=True).click()
        marks = page.locator("#guard-findings mark.guard-mark")
        assert marks.count() == 1 and marks.first.inner_text().startswith("715-381-2204")
        assert "phone number" in page.locator("#guard-findings").inner_text()
        shot(page, "compose-phone-stopped")

        # A CAD number: stopped too; saved as a draft for an approver.
        text = "Great work by B shift on CAD 24-018812, a water rescue with a happy ending."
        page.get_by_label("Post text").fill(text)
        with page.expect_navigation():
            page.get_by_role("button", name="Queue", exact=True).click()
        assert page.locator("#guard-findings mark.guard-mark").first.inner_text().startswith(
            "CAD 24-018812")
        shot(page, "compose-cad-stopped")
        with page.expect_navigation():
            page.get_by_role("button", name="Save draft", exact=True).click()
        with db.session_scope(write=False) as s:
            post_id = s.scalars(select(Post.id).where(Post.text == text)).one()

        # The approver sees the marked words on the post page and overrides in writing.
        sign_out_by_cookies(page)
        login(page, base_url, approver.email, factory.password)
        page.goto(f"{base_url}/posts/{post_id}")
        assert page.locator("#guard mark.guard-mark").first.inner_text().startswith("CAD 24-018812")
        page.get_by_label("Why may these words be published?").fill(
            "The CAD number is from a public training exercise, not a real call.")
        with page.expect_navigation():
            page.get_by_role("button", name="Override the check with this justification").click()
        assert "Let through by" in page.locator("#guard").inner_text()
        shot(page, "post-overridden")
        page.goto(f"{base_url}/guard/settings")
        shot(page, "settings-read-only")
        context.close()
    with db.session_scope(write=False) as s:
        row = s.scalars(select(GuardOverride).where(GuardOverride.post_id == post_id)).one()
        assert row.created_by_id == approver.id
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "guard.override",
                                                  AuditEvent.entity_id == post_id)).one()


def test_the_footer_shows_in_the_counter_and_preview(app, db, factory, chromium_browser):
    pio = factory.user("pio")
    factory.account("x", handle="metro911", credentials=X_CREDENTIALS)
    with db.session_scope() as s:
        s.execute(update(Agency).values(footer_enabled=True))
    with serve(app) as base_url:
        context = chromium_browser.new_context()
        context.set_default_timeout(10_000)
        page = context.new_page()
        login(page, base_url, pio.email, factory.password)
        page.goto(f"{base_url}/posts/new")
        page.get_by_label("Post text").fill("Stay warm tonight.")
        account_checkbox(page, "@metro911").check()
        chip = page.locator('.counter__item[data-platform="x"]')
        # 18 + 2 + 71 characters of the 280
        assert chip.locator(".counter__value").inner_text() == f"{280 - 20 - len(DEFAULT_FOOTER)} left"
        assert "footer included" in chip.inner_text()
        card = page.locator('.preview-card[data-platform="x"]')
        assert card.locator(".preview-card__text").inner_text() == \
            f"Stay warm tonight.\n\n{DEFAULT_FOOTER}"
        shot(page, "compose-footer-counter")
        page.get_by_label("Post text").fill("a" * 250)
        assert "no room for the footer" in chip.inner_text()
        assert "footer" not in card.locator(".preview-card__text").inner_text()
        assert chip.locator(".counter__value").inner_text() == "30 left"
        context.close()
