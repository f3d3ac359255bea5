"""End to end, as a PIO would: log in through Chromium, compose a post a few seconds ahead,
and watch a real scheduler and Celery worker publish it to the simulator once, with its
permalink on the post page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.browser_support import compose, login, serve
from tests.integration.helpers import wait_until
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_post_composed_in_the_browser_is_published_once_with_its_link(
        db, factory, sim, stack_settings, worker, scheduler_proc, chromium_browser) -> None:
    admin = factory.user("admin", email="pio.lead@metro911.gov")
    account = factory.account("sandbox", handle="metro911e2e")
    text = "Thank you to every telecommunicator on the floor tonight. #NPSTW"
    tz = ZoneInfo(factory.agency().timezone)

    with serve(create_app(stack_settings, db=db)) as base_url:
        page = chromium_browser.new_page()
        login(page, base_url, admin.email, factory.password)
        when = (datetime.now(tz) + timedelta(seconds=6)).replace(tzinfo=None, microsecond=0)
        post_id = compose(page, base_url, text, [f"@{account.handle}"], when)

        page.goto(f"{base_url}/posts/{post_id}")
        assert "scheduled" in page.locator("body").inner_text().lower()

        link = page.locator("a.permalink")

        def permalink_shown() -> int:
            page.reload()
            return link.count()

        wait_until(permalink_shown, timeout=30, interval=0.2, message="the post page's permalink")
        assert link.count() == 1, page.locator("body").inner_text()
        href = link.get_attribute("href")
        body = page.locator("body").inner_text().lower()
        page.close()

    published = [p for p in sim.posts() if p["text"] == text]
    assert len(published) == 1
    assert href == published[0]["url"]
    assert "published" in body
