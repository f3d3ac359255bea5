"""The calendar in Chromium: month and week views show the posts (campaign color, status,
today); a post dragged to another day and hour in the week view is rescheduled; arrow keys move
between days and the "Move" form reschedules without a mouse; the ICS feed turned on from the
page parses with icalendar and holds the post. axe finds no serious or critical problem.
Screenshots go to ``test-artifacts/calendar/``."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from content_queue.models import Campaign, PostTarget, User
from content_queue.recurrence import queue_series
from content_queue.services import queue_post
from content_queue.timeutil import local_to_utc, utc_to_local
from tests.integration.browser_support import axe_problems, login, serve

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "calendar"
TZ = "America/Chicago"




def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _local_of(db, post_id: int) -> datetime:
    with db.session_scope(write=False) as s:
        target = s.query(PostTarget).filter_by(post_id=post_id).first()
        return utc_to_local(target.scheduled_at, TZ).replace(tzinfo=None)


def test_calendar_views_drag_keyboard_move_and_feed(app, db, factory, chromium_browser):
    approver = factory.user("approver", email="approver@metro911.gov")
    account = factory.account("sandbox", handle="metro911")
    today = utc_to_local(datetime.now(timezone.utc), TZ).date()
    day = today + timedelta(days=3)
    with db.session_scope() as s:
        actor = s.get(User, approver.id)
        campaign = Campaign(agency_id=actor.agency_id, name="Winter safety",
                            created_at=datetime.now(timezone.utc))
        s.add(campaign)
        s.flush()
        when = local_to_utc(datetime.combine(day, time(10, 0)), TZ, fold=0)
        dragged = queue_post(s, actor=actor, text="Drag me: winter storm tips",
                             account_ids=[account.id], scheduled_at=when,
                             now=datetime.now(timezone.utc), campaign_id=campaign.id).id
        keyed = queue_post(s, actor=actor, text="Move me by keyboard",
                           account_ids=[account.id], scheduled_at=when + timedelta(hours=2),
                           now=datetime.now(timezone.utc)).id
        series_id = queue_series(s, actor=actor, rule="FREQ=WEEKLY;COUNT=2",
                                 scheduled_at=when + timedelta(days=30),
                                 now=datetime.now(timezone.utc), text="Weekly tip",
                                 account_ids=[account.id])[0].id
    problems: list[str] = []
    axe: list[str] = []
    with serve(app) as base_url:
        context = chromium_browser.new_context(viewport={"width": 1400, "height": 2200})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        login(page, base_url, approver.email, factory.password)

        # Month view: both posts on their day, campaign color class, status, today marked.
        page.goto(f"{base_url}/calendar?view=month&day={day.isoformat()}")
        cell = page.locator(f'td[data-day="{day.isoformat()}"]')
        assert cell.locator(".cal-event").count() == 2
        first = cell.locator(f'.cal-event[data-post-id="{dragged}"]')
        assert "cal-c" in first.get_attribute("class")
        assert first.locator(".cal-status").inner_text() == "scheduled"
        if day.month == today.month:
            assert page.locator("td[aria-current=date]").get_attribute("data-day") == \
                today.isoformat()
        _shot(page, "month")
        axe += axe_problems(page)

        # Week view: drag the first post to another day, at 14:00.
        page.goto(f"{base_url}/calendar?view=week&day={day.isoformat()}")
        assert page.locator(f'.cal-event[data-post-id="{dragged}"]').count() == 1
        _shot(page, "week")
        axe += axe_problems(page)
        other = day + timedelta(days=1) if day.weekday() < 6 else day - timedelta(days=1)
        source = page.locator(f'.cal-event[data-post-id="{dragged}"]')
        drop = page.locator(f'td[data-day="{other.isoformat()}"][data-hour="14"]')
        with page.expect_navigation():
            source.drag_to(drop)
        assert "moved to" in page.locator(".flash--success").inner_text()
        assert _local_of(db, dragged) == datetime.combine(other, time(14, 0))
        assert page.locator(f'td[data-day="{other.isoformat()}"][data-hour="14"] '
                            f'.cal-event[data-post-id="{dragged}"]').count() == 1
        _shot(page, "week-after-drag")

        # Keyboard: arrows move between days, the Move form reschedules.
        start = page.locator(f'td[data-day="{day.isoformat()}"][data-hour="9"]')
        start.focus()
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.dataset.hour") == "10"
        page.keyboard.press("ArrowRight" if day.weekday() < 6 else "ArrowLeft")
        assert page.evaluate("document.activeElement.dataset.day") == other.isoformat()
        event = page.locator(f'.cal-event[data-post-id="{keyed}"]')
        event.locator("summary").focus()
        page.keyboard.press("Enter")
        event.get_by_label("Date").fill(other.isoformat())
        event.get_by_label("Time").fill("16:30")
        with page.expect_navigation():
            event.get_by_role("button", name="Move post").press("Enter")
        assert _local_of(db, keyed) == datetime.combine(other, time(16, 30))

        # A move into the past is refused with a message.
        event = page.locator(f'.cal-event[data-post-id="{keyed}"]')
        event.locator("summary").click()
        event.get_by_label("Date").fill((today - timedelta(days=1)).isoformat())
        with page.expect_navigation():
            event.get_by_role("button", name="Move post").click()
        assert "already passed" in page.locator(".flash--error").inner_text()

        # The slots page and a series page pass axe too.
        page.goto(f"{base_url}/calendar/slots")
        page.get_by_label("Monday").fill("09:00, 15:00")
        with page.expect_navigation():
            page.get_by_role("button", name="Save slots for @metro911").click()
        assert page.get_by_label("Monday").input_value() == "09:00, 15:00"
        _shot(page, "slots")
        axe += axe_problems(page)
        page.goto(f"{base_url}/calendar/series/{series_id}")
        assert page.locator(".series-list li").count() == 2
        _shot(page, "series")
        axe += axe_problems(page)

        # The ICS feed: turned on from the page, read without a session.
        page.goto(f"{base_url}/calendar")
        with page.expect_navigation():
            page.get_by_role("button", name="Turn the feed on").click()
        url = page.get_by_label("Feed address").input_value()
        _shot(page, "feed")
        anonymous = chromium_browser.new_context()
        answer = anonymous.request.get(url)
        assert answer.status == 200
        events = Calendar.from_ical(answer.body()).walk("VEVENT")
        assert any("Drag me" in str(e["SUMMARY"]) for e in events)
        assert anonymous.request.get(url.replace(".ics", "0.ics")).status == 404
        anonymous.close()
        context.close()
    assert not problems, problems
    assert not axe, axe
