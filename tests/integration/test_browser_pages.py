"""The pages in a real Chromium: log in, compose with the live counter, queue, approve."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from content_queue.platforms import count_x_weighted
from tests.integration.browser_support import account_checkbox, compose, login, serve
from tests.integration.helpers import X_CREDENTIALS

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(app):
    with serve(app) as url:
        yield url


@pytest.fixture
def open_tab(chromium_browser, base_url):
    """Opens browser tabs (one context each); any script error or CSP violation fails the test.

    Depends on ``base_url`` so the tabs close before the server stops.
    """
    contexts, problems = [], []

    def _open():
        context = chromium_browser.new_context()
        context.set_default_timeout(10_000)
        context.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        context.on("weberror", lambda error: problems.append(str(error.error)))
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()
    assert problems == [], "the browser reported errors"


@pytest.fixture
def page(open_tab):
    return open_tab()


X_SAMPLES = [
    "Road closed on Main St. Use Oak Ave instead.",
    "Details: https://metro911.gov/winter. Stay safe!",
    "Text 911 if you cannot call; see metro911.gov for how.",
    "Café owners: test your alarms ☕ 🔥",
    "Family plan 👩‍👩‍👧 and 日本語 speakers: call 911, ask for an interpreter.",
]


def next_week_at(hour: int, minute: int) -> datetime:
    return datetime.combine(date.today() + timedelta(days=7), time(hour, minute))


def counter_item(page, platform: str):
    return page.locator(f'#char-counter .counter__item[data-platform="{platform}"]')


def test_approver_composes_with_live_counter_and_sees_it_scheduled(page, base_url, factory):
    approver = factory.user("approver")
    x = factory.account("x", handle="metro911", credentials=X_CREDENTIALS)
    factory.account("sandbox", handle="metro911_sandbox")
    login(page, base_url, approver.email, factory.password)

    page.goto(f"{base_url}/posts/new")
    assert "America/Chicago" in page.locator("#when-group").inner_text()
    textarea = page.get_by_label("Post text")
    textarea.fill("a" * 270)
    account_checkbox(page, "@metro911 X").check()
    assert counter_item(page, "x").inner_text() == "X 10 left"
    textarea.fill("a" * 281)
    item = counter_item(page, "x")
    assert item.inner_text() == "X 1 over the limit"
    assert "counter__item--over" in item.get_attribute("class")
    assert "input--over" in textarea.get_attribute("class")
    account_checkbox(page, "@metro911_sandbox").check()
    assert counter_item(page, "sandbox").inner_text() == "Sandbox 219 left"
    # X counts every link as 23 characters.
    textarea.fill("https://metro911.example.gov/a/very/long/path/for/the/winter/storm " + "b" * 256)
    assert counter_item(page, "x").inner_text() == "X 0 left"
    # The live count agrees with the server's (twitter-text) on everyday posts.
    for sample in X_SAMPLES:
        textarea.fill(sample)
        shown = counter_item(page, "x").inner_text()
        assert shown == f"X {280 - count_x_weighted(sample)} left", (sample, shown)
    account_checkbox(page, "@metro911_sandbox").uncheck()
    assert counter_item(page, "sandbox").count() == 0

    when = next_week_at(9, 30)
    text = "Know your location: when you call 911, the first question is where you are."
    post_id = compose(page, base_url, text, ["@metro911 X"], when)

    assert page.locator("h1 .badge").inner_text() == "scheduled"
    assert "Scheduled for" in page.locator(".flash--success").inner_text()
    assert page.locator(".post-text").inner_text() == text
    target = page.locator(".target", has_text=f"@{x.handle}")
    assert "09:30" in target.inner_text() and "UTC" in target.inner_text()

    page.goto(f"{base_url}/posts")
    row = page.locator("tr", has=page.get_by_role("link", name=re.compile("Know your location")))
    assert row.locator(".badge").first.inner_text() == "scheduled"
    row.get_by_role("link", name=re.compile("Know your location")).click()
    page.wait_for_url(f"{base_url}/posts/{post_id}")


def test_pio_post_awaits_approval_until_an_approver_approves_it(open_tab, page, base_url, factory):
    pio, approver = factory.user("pio"), factory.user("approver")
    factory.account("sandbox", handle="metro911")
    login(page, base_url, pio.email, factory.password)
    post_id = compose(page, base_url, "Test your smoke alarms this weekend.", ["@metro911"],
                      next_week_at(14, 0))
    assert page.locator("h1 .badge").inner_text() == "awaiting approval"
    assert page.get_by_role("button", name="Approve").is_disabled()
    assert "Only an approver" in page.locator("#approve-why").inner_text()

    supervisor = open_tab()  # a second browser profile, logged in as the approver
    login(supervisor, base_url, approver.email, factory.password)
    supervisor.get_by_role("link", name="Review").click()
    supervisor.wait_for_url(f"{base_url}/posts/{post_id}")
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="Approve").click()
    assert supervisor.locator("h1 .badge").inner_text() == "scheduled"
    assert "Approved" in supervisor.locator(".flash--success").inner_text()

    page.reload()
    assert page.locator("h1 .badge").inner_text() == "scheduled"
    assert "Approved by" in page.locator(".meta").first.inner_text()
