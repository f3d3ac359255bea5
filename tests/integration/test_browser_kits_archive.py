"""In a real Chromium: a PIO starts the Telecommunicator Week kit for 2027, fills it and sees
the seven drafts on April 11–17; an admin downloads the public-records archive.

Set ``TENFOUR_SCREENSHOTS=<dir>`` to keep a screenshot of each step.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from content_queue.models import Post, PostTarget
from content_queue.states import Status
from tests.integration.browser_support import account_checkbox, login, serve

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:
    folder = os.environ.get("TENFOUR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def tab(chromium_browser, app):
    with serve(app) as base_url:
        context = chromium_browser.new_context(accept_downloads=True)
        context.set_default_timeout(10_000)
        problems: list[str] = []
        # A refused form answers 422, which Chromium logs; any other error fails the test.
        context.on("console", lambda m: problems.append(m.text)
                   if m.type == "error" and "422" not in m.text else None)
        context.on("weberror", lambda e: problems.append(str(e.error)))
        try:
            yield context.new_page(), base_url
        finally:
            context.close()
        assert problems == [], "the browser reported errors"


def test_pio_starts_npstw_2027_and_sees_seven_drafts_then_admin_downloads_the_archive(
        tab, factory, db, tmp_path):
    page, base_url = tab
    pio, admin = factory.user("pio"), factory.user("admin")
    factory.account("sandbox", handle="metro911")
    login(page, base_url, pio.email, factory.password)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Kits").click()
    page.locator("#kit-npstw").get_by_role("link", name="Use this kit").click()
    _shot(page, "kits-1-npstw-form")
    page.get_by_label("Year", exact=True).fill("2027")
    page.get_by_label("Your center's name").fill("Metro 911 Communications")
    page.get_by_label("The community you serve").fill("Metro County")
    page.get_by_label("How many telecommunicators work at the center").fill("42")
    # a required field left empty is refused, named, and nothing typed is lost
    with page.expect_navigation():
        page.get_by_role("button", name="Create the draft posts").click()
    summary = page.locator(".error-summary")
    assert "Calls answered last year" in summary.inner_text()
    assert page.get_by_label("The community you serve").input_value() == "Metro County"
    _shot(page, "kits-2-missing-fields")

    page.get_by_label("Calls answered last year").fill("182,000")
    page.get_by_label("Link to your job openings").fill("https://metro911.gov/jobs")
    account_checkbox(page, "@metro911").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Create the draft posts").click()
    assert "/kits/campaigns/" in page.url, page.locator(".error-summary").all_inner_texts()
    drafts = page.locator(".kit-draft")
    assert drafts.count() == 7
    days = [drafts.nth(i).locator("time").inner_text() for i in range(7)]
    assert days == [f"{d}, Apr {n} 2027, 10:00 CDT" for d, n in zip(
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], range(11, 18))], days
    assert "Metro County" in drafts.nth(0).inner_text()
    _shot(page, "kits-3-seven-drafts")

    # one of the drafts goes out (as the worker would), then the admin exports that week
    with db.session_scope() as s:
        first = s.scalars(select(Post).order_by(Post.id)).first()
        s.execute(update(PostTarget).where(PostTarget.post_id == first.id).values(
            status=Status.PUBLISHED.value, platform_post_id="sb-npstw",
            published_at=datetime.now(timezone.utc) - timedelta(minutes=5)))
    page.get_by_role("button", name="Sign out").click()
    login(page, base_url, admin.email, factory.password)
    page.get_by_role("link", name="Archive").click()
    today = datetime.now(timezone.utc).date()
    page.get_by_label("From").fill((today - timedelta(days=2)).isoformat())
    page.get_by_label("To").fill((today + timedelta(days=2)).isoformat())
    _shot(page, "kits-4-archive-form")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the archive").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"]
        posts = json.loads(zf.read("posts.json"))["posts"]
    assert [p["id"] for p in posts] == [first.id]
    assert manifest["exported_by"]["email"] == admin.email
    page.reload()
    assert "browser" in page.locator("#exports").inner_text()
    _shot(page, "kits-5-archive-exported")


def test_the_kits_consent_and_archive_pages_pass_axe(tab, factory, db):
    from axe_playwright_python.sync_playwright import Axe

    from content_queue.kits import load_catalog, start_kit
    from content_queue.models import User

    page, base_url = tab
    admin = factory.user("admin")
    account = factory.account("sandbox", handle="metro911")
    with db.session_scope() as s:
        started = start_kit(
            s, actor=s.get(User, admin.id), kit=load_catalog().get("dispatcher-spotlight"),
            fields={"agency_name": "Metro 911", "person_name": "Jordan Lee",
                    "role": "Senior telecommunicator", "contribution": "trained 12 call takers."},
            account_ids=[account.id], now=datetime.now(timezone.utc),
            start_date=datetime.now(timezone.utc).date() + timedelta(days=3))
        campaign_id, post_id = started.campaign.id, started.posts[0].id
    login(page, base_url, admin.email, factory.password)
    axe, problems = Axe(), []
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    for url in ("/kits", "/kits/npstw", "/kits/behind-the-headset-tour",
                f"/kits/campaigns/{campaign_id}", f"/posts/{post_id}", "/archive"):
        page.goto(base_url + url)
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": tags}})
        problems += [f"{url}: {v['id']} ({v['impact']}): {v['help']}"
                     for v in result.response["violations"] if v["impact"] in ("serious",
                                                                             "critical")]
    _shot(page, "kits-6-archive-page")
    page.goto(f"{base_url}/posts/{post_id}")
    assert "Needed before approval" in page.locator("#consent").inner_text()
    _shot(page, "kits-7-consent-panel")
    assert not problems, "\n".join(problems)
