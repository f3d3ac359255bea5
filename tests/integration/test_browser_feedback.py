"""The feedback wall and the shift briefing in Chromium: an emergency-looking reply is at the
top with the agency's instructions and the on-duty supervisor finds the alert in their
notifications; an approver hides one reply and puts another on the briefing; the briefing (no
controls, refreshing itself) shows it. Screenshots go to test-artifacts/feedback/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from content_queue.feedback import record_replies
from content_queue.models import Agency, EngagementSnapshot, Post, PostTarget
from content_queue.ports import Reply
from tests.integration.browser_support import login, serve
from tests.integration.helpers import utcnow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "feedback"
PLEA = "Please send an ambulance to 412 Birch Lane, my husband collapsed"
THANKS = "Thank you to the dispatcher who talked me through CPR. <b>Heroes</b>!"
QUESTION = "Is the open house on Saturday?"


@pytest.fixture
def seeded(db, factory):
    supervisor = factory.user("viewer", email="supervisor@metro911.gov")
    approver = factory.user("approver", email="approver@metro911.gov")
    author = factory.user("pio")
    account = factory.account("sandbox", handle="metro911")
    published = utcnow() - timedelta(hours=3)
    with db.session_scope() as s:
        agency = s.get(Agency, supervisor.agency_id)
        agency.on_duty_user_id = supervisor.id
        agency.emergency_instructions = ("Not monitored 24/7: relay to the floor supervisor "
                                         "and reply: call or text 911.")
        post = Post(agency_id=agency.id, author_id=author.id, text="Meet the night shift",
                    created_at=published, updated_at=published, first_scheduled_at=published)
        s.add(post)
        s.flush()
        target = PostTarget(post_id=post.id, account_id=account.id, status="published",
                            scheduled_at=published, next_attempt_at=published, attempts=1,
                            platform_post_id="p1", published_at=published,
                            permalink="http://127.0.0.1:9/sandbox/p1",
                            created_at=published, updated_at=published)
        s.add(target)
        s.flush()
        s.add(EngagementSnapshot(target_id=target.id, taken_at=utcnow(), likes=40, reposts=6,
                                 replies=3))
        record_replies(s, target.id, [
            Reply("r1", "p1", "grateful_mom", THANKS, utcnow() - timedelta(hours=2)),
            Reply("r2", "p1", "curious_kid", QUESTION, utcnow() - timedelta(minutes=30)),
            Reply("r3", "p1", "worried_in_unit4", PLEA, utcnow() - timedelta(hours=1)),
        ], now=utcnow())
    return supervisor, approver


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_an_emergency_is_on_top_with_instructions_and_the_on_duty_user_was_alerted(
        app, factory, seeded, chromium_browser) -> None:
    supervisor, _ = seeded
    with serve(app) as base_url:
        page = chromium_browser.new_context().new_page()
        login(page, base_url, supervisor.email, factory.password)
        page.goto(f"{base_url}/feedback")
        top = page.locator(".reply").first
        assert PLEA in top.inner_text() and "Emergency?" in top.inner_text()
        assert "relay to the floor supervisor" in page.locator("#emergency-instructions").inner_text()
        # below the emergency: the thank-you first (positive), then the question
        wall = page.locator("#wall .reply")
        assert "Heroes" in wall.nth(0).inner_text() and "<b>" in wall.nth(0).inner_text()
        assert QUESTION in wall.nth(1).inner_text()
        assert page.get_by_role("button", name="Hide").count() == 0  # a viewer cannot moderate
        _shot(page, "wall-emergency")
        page.get_by_role("link", name="Notifications").click()
        notice = page.locator(".notification").first
        assert "Emergency-looking reply" in notice.inner_text() and "412 Birch Lane" in \
            notice.inner_text()
        _shot(page, "on-duty-alert")


def test_an_approver_hides_and_highlights_and_the_briefing_shows_the_highlight(
        app, factory, seeded, chromium_browser) -> None:
    supervisor, approver = seeded
    with serve(app) as base_url:
        context = chromium_browser.new_context()
        page = context.new_page()
        login(page, base_url, approver.email, factory.password)
        page.goto(f"{base_url}/feedback")
        question = page.locator(".reply", has_text=QUESTION)
        question.get_by_role("button", name="Hide").click()
        page.wait_for_load_state()
        assert "Reply hidden from the wall." in page.locator(".flashes").inner_text()
        hidden = page.locator(".reply", has_text=QUESTION)
        assert "Hidden from the wall: hidden by" in hidden.inner_text()
        thanks = page.locator(".reply", has_text="Heroes")
        thanks.get_by_role("button", name="Put on the briefing").click()
        page.wait_for_load_state()
        assert "On the briefing" in page.locator(".reply", has_text="Heroes").inner_text()
        _shot(page, "wall-approver")

        viewer_page = chromium_browser.new_context().new_page()
        login(viewer_page, base_url, supervisor.email, factory.password)
        viewer_page.goto(f"{base_url}/feedback")
        assert QUESTION not in viewer_page.locator("main").inner_text()  # hidden for viewers
        viewer_page.goto(f"{base_url}/briefing")
        refresh = viewer_page.locator('meta[http-equiv="refresh"]').get_attribute("content")
        assert int(refresh) > 0
        quotes = viewer_page.locator(".briefing__quote")
        assert quotes.count() == 1 and "Heroes" in quotes.first.inner_text()
        assert "Metro 911" in viewer_page.locator("h1").inner_text()
        assert "Meet the night shift" in viewer_page.locator(".briefing__top").inner_text()
        assert viewer_page.locator("button, input, select, textarea, nav").count() == 0
        _shot(viewer_page, "briefing-screen")
        viewer_page.emulate_media(media="print")
        _shot(viewer_page, "briefing-print")
        pdf = viewer_page.pdf(format="Letter")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # prints on one page


def test_the_wall_the_on_duty_form_and_the_briefing_pass_axe(app, factory, db, seeded,
                                                              chromium_browser) -> None:
    from axe_playwright_python.sync_playwright import Axe

    admin = factory.user("admin", email="admin-feedback@metro911.gov")
    axe = Axe()
    problems = []
    with serve(app) as base_url:
        page = chromium_browser.new_context().new_page()
        login(page, base_url, admin.email, factory.password)
        for path in ("/feedback", "/feedback?view=newest", "/feedback/on-duty", "/briefing",
                     "/briefing?refresh=0"):
            page.goto(base_url + path)
            options = {"runOnly": {"type": "tag", "values": [
                "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
            if path == "/briefing":  # the unattended floor screen reloads by design; a person
                # at a desk uses ?refresh=0 (audited in full just after)
                options["rules"] = {"meta-refresh": {"enabled": False}}
            result = axe.run(page, options=options)
            problems += [f"{path}: {v['id']} ({v['impact']}): {v['help']}"
                         for v in result.response["violations"]
                         if v["impact"] in ("serious", "critical")]
        # a refused on-duty form keeps what was typed and names the field
        page.goto(base_url + "/feedback/on-duty")
        page.get_by_label("E-mail the alert to (optional)").fill("not-an-address")
        page.get_by_role("button", name="Save").click()
        assert "does not look like an e-mail address" in page.locator(".field-error").inner_text()
        assert page.get_by_label("E-mail the alert to (optional)").input_value() == \
            "not-an-address"
        _shot(page, "on-duty-form-error")
    assert problems == []
