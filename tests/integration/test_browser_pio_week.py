"""Issue 8 end to end, in Chromium, with a real scheduler and Celery worker: a PIO plans a week
on two accounts (posting slots, a template, a recurring Monday post, two posts into the next
free slots), submits them; an approver approves one and sends one back with a comment; the
author sees both decisions; the approver drags a post in the week view; a post due a few
seconds ahead is published and shows as published on the calendar; a CSV with a bad row is
refused row by row with nothing created. Screenshots go to ``test-artifacts/week/``."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from content_queue.models import Post, PostTarget, PostTemplate
from content_queue.timeutil import utc_to_local
from tests.conftest import utcnow
from tests.integration.browser_support import account_checkbox, compose, login, serve
from tests.integration.helpers import wait_until
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "week"
TEMPLATE = "Meet {dispatcher_name}, one of the voices of {center_name}. #BehindTheHeadset"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _queue(page, base_url: str, text: str, handles: list[str], local: datetime, *,
           next_slot: bool = False, weekly_times: int = 0) -> int:
    """The compose page with the slot / repeat options; returns the (first) post's id."""
    page.goto(f"{base_url}/posts/new")
    page.get_by_label("Post text").fill(text)
    for handle in handles:
        account_checkbox(page, f"@{handle}").check()
    page.get_by_label("Date", exact=True).fill(local.strftime("%Y-%m-%d"))
    page.get_by_label(re.compile(r"^Time\b")).fill(local.strftime("%H:%M"))
    if next_slot:
        page.get_by_label("Add to the next free slot (instead of the time above)").check()
    if weekly_times:
        page.get_by_label("Repeat", exact=True).select_option("weekly")
        page.get_by_label("Times", exact=True).fill(str(weekly_times))
    with page.expect_navigation():
        page.get_by_role("button", name="Queue", exact=True).click()
    match = re.search(r"/posts/(\d+)$", page.url)
    assert match, page.locator(".error-summary, .field-error, .flash--error").all_inner_texts()
    return int(match.group(1))


def _targets(db, post_id: int) -> list[tuple[str, datetime]]:
    with db.session_scope(write=False) as s:
        return [(t.status, t.scheduled_at) for t in
                s.scalars(select(PostTarget).where(PostTarget.post_id == post_id))]


def _post_count(db) -> int:
    with db.session_scope(write=False) as s:
        return s.scalar(select(func.count(Post.id)))


def test_a_pio_plans_a_week_it_is_approved_moved_and_published(
        db, factory, sim, stack_settings, worker, scheduler_proc, chromium_browser) -> None:
    pio = factory.user("pio", email="pio.week@metro911.gov")
    approver = factory.user("approver", email="approver.week@metro911.gov")
    main = factory.account("sandbox", handle="metro911")
    second = factory.account("sandbox", handle="metro911county")
    agency = factory.agency()
    tz = ZoneInfo(agency.timezone)
    with db.session_scope() as s:
        s.add(PostTemplate(agency_id=agency.id, name="Dispatcher spotlight", text=TEMPLATE,
                           created_by_id=pio.id, created_at=utcnow(), updated_at=utcnow()))
    today = utc_to_local(utcnow(), agency.timezone).date()
    next_monday = today + timedelta(days=(7 - today.weekday()) or 7)

    with serve(create_app(stack_settings, db=db)) as base_url:
        context = chromium_browser.new_context(viewport={"width": 1400, "height": 2200})
        context.set_default_timeout(15_000)
        boss = context.new_page()
        login(boss, base_url, approver.email, factory.password)

        # Posting slots: weekdays 09:00 and 15:00 on both accounts.
        boss.goto(f"{base_url}/calendar/slots")
        for account in (main, second):
            card = boss.locator(f"#account-{account.id}")
            for day in WEEKDAYS:
                card.get_by_label(day, exact=True).fill("09:00, 15:00")
            with boss.expect_navigation():
                card.get_by_role("button", name=f"Save slots for @{account.handle}").click()

        # The PIO: a recurring Monday post from a template, and two posts into free slots.
        pio_context = chromium_browser.new_context(viewport={"width": 1400, "height": 2200})
        pio_context.set_default_timeout(15_000)
        page = pio_context.new_page()
        login(page, base_url, pio.email, factory.password)
        page.goto(f"{base_url}/posts/new")
        page.get_by_label("Template", exact=True).select_option(label="Dispatcher spotlight")
        page.get_by_label("dispatcher name").fill("Dana Ortiz")
        page.get_by_role("button", name="Use this template").click()
        spotlight = page.get_by_label("Post text").input_value()
        assert spotlight.startswith("Meet Dana Ortiz, one of the voices of ")
        monday_at_nine = datetime.combine(next_monday, time(9, 0))
        series_first = _queue(page, base_url, spotlight, [main.handle, second.handle],
                              monday_at_nine, weekly_times=4)
        with db.session_scope(write=False) as s:
            series_id = s.get(Post, series_first).series_id
            occurrences = s.scalars(select(Post).where(Post.series_id == series_id)
                                    .order_by(Post.first_scheduled_at)).all()
            local_times = [utc_to_local(p.first_scheduled_at, agency.timezone) for p in occurrences]
        assert series_id is not None and len(local_times) == 4
        assert all(t.weekday() == 0 and t.time() == time(9, 0) for t in local_times)

        tomorrow = datetime.combine(today + timedelta(days=1), time(12, 0))
        slot_a = _queue(page, base_url, "Tours of the center every Saturday: ask us!",
                        [main.handle], tomorrow, next_slot=True)
        slot_b = _queue(page, base_url, "Text-to-911 works here. Call if you can, text if you "
                        "can't.", [main.handle], tomorrow, next_slot=True)
        times = [_targets(db, slot_a)[0], _targets(db, slot_b)[0]]
        assert all(status == "awaiting_approval" for status, _ in times)
        slot_times = [utc_to_local(at, agency.timezone) for _, at in times]
        assert all(t.time() in (time(9, 0), time(15, 0)) and t.weekday() < 5
                   for t in slot_times), slot_times
        assert slot_times[0] != slot_times[1], "two posts took the same slot"
        _shot(page, "1-pio-queued")

        # The approver: approve one, send the other back with a comment.
        boss.goto(f"{base_url}/approvals")
        with boss.expect_navigation():
            boss.get_by_role("button", name=f"Approve #{slot_a}").click()
        boss.locator(f"#post-{slot_b}").get_by_label(re.compile("^Comment for")).fill(
            "Please add the non-emergency number too.")
        with boss.expect_navigation():
            boss.get_by_role("button", name=f"Send back #{slot_b}").click()
        assert _targets(db, slot_a)[0][0] == "scheduled"
        assert _targets(db, slot_b)[0][0] == "draft"
        _shot(boss, "2-approvals")

        # The author hears both decisions.
        page.goto(f"{base_url}/notifications")
        notices = page.locator("main").inner_text()
        assert f"Post #{slot_a} was approved" in notices
        assert f"Post #{slot_b} was sent back" in notices
        _shot(page, "3-author-notified")

        # The approver drags the approved post to another day at 14:00 in the week view; an
        # approver's move keeps it approved.
        day = slot_times[0].date()
        other = day + timedelta(days=1 if day.weekday() < 4 else -1)
        boss.goto(f"{base_url}/calendar?view=week&day={day.isoformat()}")
        source = boss.locator(f'.cal-event[data-post-id="{slot_a}"]')
        drop = boss.locator(f'td[data-day="{other.isoformat()}"][data-hour="14"]')
        with boss.expect_navigation():
            source.drag_to(drop)
        status, moved = _targets(db, slot_a)[0]
        assert status == "scheduled"
        assert utc_to_local(moved, agency.timezone).replace(tzinfo=None) == \
            datetime.combine(other, time(14, 0))
        _shot(boss, "4-week-after-drag")

        # A post due a few seconds ahead goes out once and shows as published on the calendar.
        soon = (datetime.now(tz) + timedelta(seconds=8)).replace(tzinfo=None, microsecond=0)
        text = "Thank you to every telecommunicator on the floor tonight. #NPSTW"
        now_post = compose(boss, base_url, text, [f"@{main.handle}"], soon)
        wait_until(lambda: _targets(db, now_post)[0][0] == "published", timeout=45,
                   interval=0.3, message="the post to be published")
        assert len([p for p in sim.posts() if p["text"] == text]) == 1
        day_shown = soon.date()
        boss.goto(f"{base_url}/calendar?view=month&day={day_shown.isoformat()}")
        event = boss.locator(f'td[data-day="{day_shown.isoformat()}"] '
                             f'.cal-event[data-post-id="{now_post}"]')
        assert event.locator(".cal-status").inner_text().strip().lower() == "published"
        _shot(boss, "5-published-on-calendar")

        # A CSV with a bad row: a report per row, nothing created.
        before = _post_count(db)
        page.goto(f"{base_url}/posts/import")
        when = (today + timedelta(days=3)).strftime("%Y-%m-%d")
        csv_text = ("text,accounts,scheduled_at,campaign\n"
                    f"Open house Saturday,{main.handle},{when} 10:00,\n"
                    f"Who is this,metro911_nobody,{when} 11:00,\n")
        page.get_by_label("CSV file", exact=True).set_input_files(
            {"name": "week.csv", "mimeType": "text/csv", "buffer": csv_text.encode()})
        with page.expect_navigation():
            page.get_by_role("button", name="Import", exact=True).click()
        report = page.locator("#import-report")
        assert "Nothing was imported" in report.inner_text()
        assert "metro911_nobody" in report.locator('tr[data-row="3"]').inner_text()
        assert _post_count(db) == before
        _shot(page, "6-import-refused")
        pio_context.close()
        context.close()
