"""Issue 8's compose part in Chromium: start a post from a template (its field filled in a
small form), give X its own shorter text (own counter), pick an image from the media library
without uploading it, queue it; then import a CSV with a bad row and read the per-row report,
with nothing created. Screenshots go to ``test-artifacts/compose/``."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from content_queue.media import store_media
from content_queue.models import Post, PostTemplate, SocialAccount, User
from content_queue.platforms import count_x_weighted
from content_queue.timeutil import utc_to_local
from tests.conftest import utcnow
from tests.integration.browser_support import (axe_problems, account_checkbox, login, serve,
                                               watched_context)
from tests.integration.helpers import X_CREDENTIALS, count_rows, png

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "compose"
TEMPLATE = ("Thank you, {dispatcher_name}, for twelve years on the floor at {center_name}. "
            "Every call you answered mattered to someone on the worst day of their life. "
            "Tonight the whole center says it together: thank you for the calm voice, the "
            "steady hands and the care you bring to every shift, every holiday and every storm. "
            "#NPSTW #ThankATelecommunicator")
SHORT = "Thank you, Dana Ortiz! 12 years on the floor. #NPSTW"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)




def test_compose_with_a_template_a_variant_and_a_library_image_then_import(app, db, factory,
                                                                           chromium_browser):
    pio = factory.user("pio")
    factory.account("x", handle="metro911", credentials=X_CREDENTIALS)
    factory.account("sandbox", handle="metro911_sandbox")
    big = factory.account("mastodon", handle="metro911@big.example",
                          credentials={"instance_url": "https://big.example",
                                       "access_token": "t"})
    with db.session_scope() as s:
        s.get(SocialAccount, big.id).max_characters = 1000  # as read from its server
        actor = s.get(User, pio.id)
        s.add(PostTemplate(agency_id=actor.agency_id, name="Telecommunicator thank-you",
                           text=TEMPLATE, created_by_id=actor.id, created_at=utcnow(),
                           updated_at=utcnow()))
        store_media(s, actor=actor, data=png((20, 90, 160), (60, 40)), filename="headset.png",
                    alt_text="A dispatcher's headset resting on the console", now=utcnow())
        store_media(s, actor=actor, data=png((160, 90, 20), (60, 40)), filename="cake.png",
                    alt_text="A cake for the night shift", now=utcnow())
        tz = actor.agency.timezone
        agency_name = actor.agency.name
    when = utc_to_local(utcnow() + timedelta(days=2), tz).replace(hour=10, minute=0)
    problems: list[str] = []
    with serve(app) as base_url:
        context = watched_context(chromium_browser, problems)
        page = context.new_page()
        # (the refused import answers 422 on purpose: that one is not a problem)
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "status of 422" not in m.text else None)
        login(page, base_url, pio.email, factory.password)
        page.goto(f"{base_url}/posts/new")

        # A template: its field filled in the small form, then it becomes the text.
        page.get_by_label("Template", exact=True).select_option(label="Telecommunicator thank-you")
        assert page.get_by_label("center name").input_value() == agency_name
        page.get_by_role("button", name="Use this template").click()
        assert "Fill in {dispatcher_name}" in page.locator("#template-problem").inner_text()
        page.get_by_label("dispatcher name").fill("Dana Ortiz")
        page.get_by_role("button", name="Use this template").click()
        text = TEMPLATE.replace("{dispatcher_name}", "Dana Ortiz").replace("{center_name}",
                                                                          agency_name)
        assert page.get_by_label("Post text").input_value() == text

        account_checkbox(page, "@metro911 X").check()
        account_checkbox(page, "@metro911_sandbox").check()
        account_checkbox(page, "@metro911@big.example").check()
        # the Mastodon server's own limit (1,000), not the platform's default 500
        assert page.locator('.counter__item[data-platform="mastodon"] .counter__value'
                            ).inner_text() == f"{1000 - len(text)} left"
        assert page.locator('.preview-card[data-platform="mastodon"] .fact--length '
                            '.fact__value').inner_text() == f"{len(text)} / 1,000"
        x_chip = page.locator('.counter__item[data-platform="x"]')
        assert "over the limit" in x_chip.inner_text()  # too long for X as it stands
        shot(page, "1-template-too-long-for-x")

        # X gets its own text, with its own counter; the main counter no longer lists X.
        page.locator("#variants-group summary").click()
        variant = page.get_by_label("Text for X")
        variant.fill(SHORT)
        assert page.locator("#variant-x-count").inner_text() == \
            f"X: {280 - count_x_weighted(SHORT)} left of 280"
        assert page.locator('.counter__item[data-platform="x"]').count() == 0
        card = page.locator('.preview-card[data-platform="x"] .preview-card__text')
        assert card.inner_text() == SHORT
        assert page.locator('.preview-card[data-platform="sandbox"] .preview-card__text'
                            ).inner_text() == text

        # An image from the library, found by its alt text: no upload.
        page.locator("#library-picker summary").click()
        page.get_by_label("Search by file name or alt text").fill("headset")
        page.get_by_role("button", name="Search", exact=True).click()
        page.locator("#library-status").filter(has_text="1 image matches.").wait_for()
        page.get_by_role("checkbox", name=re.compile(r"^headset\.png")).check()
        assert page.get_by_role("checkbox", name=re.compile(r"^cake\.png")).count() == 0
        assert page.locator('.preview-card[data-platform="x"] .fact--images .fact__value'
                            ).inner_text() == "1 / 4"
        page.get_by_label("Date", exact=True).fill(when.strftime("%Y-%m-%d"))
        page.get_by_label(re.compile(r"^Time\b")).fill(when.strftime("%H:%M"))
        shot(page, "2-variant-and-library-image")
        assert axe_problems(page) == []
        with page.expect_navigation():
            page.get_by_role("button", name="Queue", exact=True).click()
        assert re.search(r"/posts/\d+$", page.url), page.locator(".error-summary").all_inner_texts()
        assert "Text per platform" in page.content()
        shot(page, "3-queued-post")
        with db.session_scope() as s:
            post = s.scalars(s.query(Post).statement).one()
            assert post.text == text
            assert {v.platform: v.text for v in post.variants} == {"x": SHORT}
            assert [m.filename for m in post.media] == ["headset.png"]
            assert {t.status for t in post.targets} == {"awaiting_approval"}

        # Writing the same text again for the same account and day: a warning, as one types.
        page.goto(f"{base_url}/posts/new")
        page.get_by_label("Post text").fill(text)
        account_checkbox(page, "@metro911_sandbox").check()
        page.get_by_label("Date", exact=True).fill(when.strftime("%Y-%m-%d"))
        page.get_by_label(re.compile(r"^Time\b")).fill((when + timedelta(hours=2)).strftime("%H:%M"))
        warning = page.locator("#repeat-warnings .flash--warning")
        warning.wait_for()
        assert "The same text is already awaiting approval on Sandbox @metro911_sandbox" in \
            warning.inner_text()
        shot(page, "3b-repeat-warning")

        # The import page: a file with one bad row is refused whole, row by row.
        page.goto(f"{base_url}/posts/import")
        day = when.strftime("%Y-%m-%d")
        csv_text = ("text,accounts,scheduled_at,campaign\n"
                    f"Tours on Saturday,metro911_sandbox,{day} 09:00,\n"
                    f"Who is this,metro911_nobody,{day} 10:00,\n"
                    f"Open house,x:metro911,{day} 11:00,\n")
        page.get_by_label("CSV file", exact=True).set_input_files(
            {"name": "week.csv", "mimeType": "text/csv", "buffer": csv_text.encode()})
        with page.expect_navigation():
            page.get_by_role("button", name="Import", exact=True).click()
        report = page.locator("#import-report")
        assert "Nothing was imported: 1 of 3 rows has a problem" in report.inner_text()
        row = report.locator('tr[data-row="3"]')
        assert "metro911_nobody" in row.inner_text()
        assert report.locator("tbody tr").count() == 1
        shot(page, "4-import-refused-per-row")
        assert axe_problems(page) == []
        assert count_rows(db, Post) == 1  # nothing was created

        example = page.get_by_role("link", name="Download the example file")
        with page.expect_download() as download:
            example.click()
        assert download.value.suggested_filename == "tenfour-import-example.csv"
        context.close()
    assert not problems, problems
