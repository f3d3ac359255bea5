"""The compose page in Chromium: an image with alt text, the per-account preview with X's count
and estimated charge, then queueing it."""

from __future__ import annotations

import re

import pytest

from content_queue.models import Post
from content_queue.platforms import count_x_weighted
from tests.integration.browser_support import account_checkbox, login, serve
from tests.integration.helpers import X_CREDENTIALS, jpeg

pytestmark = pytest.mark.browser


def test_compose_with_an_image_previews_x_count_and_cost_then_queues(app, db, factory,
                                                                     chromium_browser):
    approver = factory.user("approver")
    factory.account("x", handle="metro911", credentials=X_CREDENTIALS)
    factory.account("sandbox", handle="metro911_sandbox")
    text = "Winter storm shelters:\nhttps://metro911.gov/shelters — open all night."
    problems: list[str] = []
    with serve(app) as base_url:
        context = chromium_browser.new_context()
        context.set_default_timeout(10_000)
        context.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        context.on("weberror", lambda e: problems.append(str(e.error)))
        page = context.new_page()
        login(page, base_url, approver.email, factory.password)
        page.goto(f"{base_url}/posts/new")

        page.get_by_label("Post text").fill(text)
        account_checkbox(page, "@metro911 X").check()
        account_checkbox(page, "@metro911_sandbox").check()
        page.get_by_label("Image 1 file").set_input_files(
            {"name": "shelter.jpg", "mimeType": "image/jpeg",
             "buffer": jpeg((320, 200), (180, 40, 40))})
        alt = page.get_by_label(re.compile(r"^Alt text for image 1\b"))
        alt.fill("The gym at Lincoln High set up with cots")
        assert page.locator("#alt-0-count").inner_text() == "40 / 1,500 characters"
        page.locator("#image-slot-0 .image-slot__thumb").wait_for()  # the local thumbnail

        card = page.locator('.preview-card[data-platform="x"]')
        assert card.locator(".preview-card__handle").inner_text() == "@metro911"
        assert card.locator(".fact--length .fact__value").inner_text() == \
            f"{count_x_weighted(text)} / 280"
        assert card.locator(".fact--images .fact__value").inner_text() == "1 / 4"
        assert card.locator(".preview-card__text").inner_text() == text  # line break kept
        assert card.locator(".preview-card__image").count() == 1
        assert "$0.20 (post with a link)" in card.locator(".fact--cost").inner_text()
        sandbox = page.locator('.preview-card[data-platform="sandbox"]')
        assert sandbox.locator(".fact--cost").count() == 0
        summary = page.locator("#cost-summary")
        assert summary.inner_text().startswith(
            "Estimated X charge for this post: $0.20 — 1 post with a link × $0.20")

        # Text a PIO types is shown as text, never as markup.
        page.get_by_label("Post text").fill("<b>bold</b> plain")
        assert card.locator(".preview-card__text").inner_text() == "<b>bold</b> plain"
        assert card.locator(".preview-card__text b").count() == 0
        assert "$0.015 (post without a link)" in card.locator(".fact--cost").inner_text()

        # Submitting without alt text is stopped in the page, with the reason on the image.
        alt.fill("")
        page.get_by_role("button", name="Queue", exact=True).click()
        assert "alt text is required" in page.locator("#image-0-problem").inner_text()
        assert page.url.endswith("/posts/new")
        alt.fill("The gym at Lincoln High set up with cots")

        with page.expect_navigation():
            page.get_by_role("button", name="Queue", exact=True).click()
        post_id = int(re.search(r"/posts/(\d+)$", page.url).group(1))
        assert page.locator("h1 .badge").inner_text() == "scheduled"

        context.close()
    assert problems == [], "the browser reported errors"
    with db.session_scope(write=False) as s:
        media = s.get(Post, post_id).media
        assert [(m.alt_text, m.mime_type) for m in media] == [
            ("The gym at Lincoln High set up with cots", "image/jpeg")]
