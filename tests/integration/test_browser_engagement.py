"""The engagement dashboard in Chromium: a `viewer` opens it and sees charts drawn from stored
snapshots, each named for screen readers, with its data table beside it (Mastodon's views read
"not reported", not 0); the filters narrow it; a post's own page charts each snapshot; the CSV
export is the table shown; axe finds nothing. A screenshot is kept in test-artifacts/pages/."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from content_queue.models import (
    Campaign,
    EngagementSnapshot,
    Post,
    PostTarget,
)
from tests.integration.browser_support import login, serve
from tests.integration.helpers import utcnow
from tests.integration.web_client import login_client

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
LOUD = "Thank you to the <b>night shift</b> & every call taker"
QUIET = "Text 911 if you cannot call (Mastodon)"


def _post(s, author, account, text: str, *, ago: timedelta, campaign=None,
          snapshots=()) -> Post:
    published = utcnow() - ago
    post = Post(agency_id=author.agency_id, author_id=author.id, text=text,
                campaign_id=campaign.id if campaign else None, created_at=published,
                updated_at=published, first_scheduled_at=published)
    s.add(post)
    s.flush()
    target = PostTarget(post_id=post.id, account_id=account.id, status="published",
                        scheduled_at=published, next_attempt_at=published, attempts=1,
                        platform_post_id=f"seeded-{post.id}", published_at=published,
                        created_at=published, updated_at=published)
    s.add(target)
    s.flush()
    for hours, likes, reposts, replies, views in snapshots:
        s.add(EngagementSnapshot(target_id=target.id, taken_at=published + timedelta(hours=hours),
                                 likes=likes, reposts=reposts, replies=replies,
                                 impressions=views))
    return post


@pytest.fixture
def seeded(db, factory):
    viewer = factory.user("viewer", email="viewer@metro911.gov")
    author = factory.user("pio")
    sandbox = factory.account("sandbox", handle="metro911")
    mastodon = factory.account("mastodon", handle="metro911_social", credentials={
        "instance_url": "https://mastodon.example", "access_token": "t"})
    with db.session_scope() as s:
        before = Campaign(agency_id=author.agency_id, name="Winter safety",
                          starts_on=(utcnow() - timedelta(days=60)).date(),
                          created_at=utcnow() - timedelta(days=60))
        now_campaign = Campaign(agency_id=author.agency_id, name="NPSTW <2027>",
                                starts_on=(utcnow() - timedelta(days=10)).date(),
                                created_at=utcnow() - timedelta(days=10))
        s.add_all([before, now_campaign])
        s.flush()
        loud = _post(s, author, sandbox, LOUD, ago=timedelta(days=8), campaign=now_campaign,
                     snapshots=[(1, 12, 2, 1, 300), (24, 40, 9, 4, 1200), (168, 52, 11, 6, 1500)])
        quiet = _post(s, author, mastodon, QUIET, ago=timedelta(days=3), campaign=now_campaign,
                      snapshots=[(1, 3, 1, 0, None), (24, 7, 2, 1, None)])
        _post(s, author, sandbox, "Last winter's storm tips", ago=timedelta(days=50),
              campaign=before, snapshots=[(1, 5, 1, 0, 90), (24, 9, 1, 1, 200)])
        ids = loud.id, quiet.id
    return viewer, ids


def test_a_viewer_sees_charts_drawn_from_snapshots_with_their_data_tables(
        app, seeded, chromium_browser) -> None:
    viewer, (loud_id, quiet_id) = seeded
    with serve(app) as base_url:
        page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
        login(page, base_url, viewer.email, "correct horse battery")
        page.get_by_role("link", name="Engagement").click()
        page.wait_for_url(f"{base_url}/engagement")

        chart = page.get_by_role("img", name="Engagement over time of the most engaged posts")
        assert chart.count() == 1
        # Drawn from the stored snapshots: one line with a marker per snapshot of each post.
        assert page.locator("#chart-over-time polyline").count() == 2
        points = page.locator("#chart-over-time .point title").all_text_contents()
        assert len(points) == 5
        assert any(p.startswith("Thank you to the <b>") and p.endswith(": 69 at +7 d")
                   for p in points)  # 52 + 11 + 6, the text escaped (shown, not markup)

        table = page.get_by_role("table", name="Engagement over time: every snapshot of the "
                                 "posts charted")
        assert table.get_by_role("row").count() == 1 + 5  # header + every snapshot
        row = table.get_by_role("row").filter(has_text="Text 911 if you cannot call").last
        assert "not reported" in row.inner_text()
        assert page.locator("#engagement-totals").inner_text().count("not reported") == 0
        assert "1,500" in page.locator("#section-by_platform").inner_text()

        platforms = page.get_by_role("table", name="Totals per platform")
        mastodon_row = platforms.get_by_role("row").filter(has_text="Mastodon")
        assert "not reported" in mastodon_row.inner_text()
        assert page.get_by_role("img", name="Totals per platform: likes, reposts and replies") \
            .count() == 1
        assert page.get_by_role("img", name="Engagement per post by weekday and hour").count() == 1
        comparison = page.locator("#section-campaign_comparison")
        assert "NPSTW <2027>" in comparison.inner_text()
        assert "Winter safety" in comparison.inner_text()
        assert page.get_by_role("table", name="Suggested posting times per account").count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "engagement-dashboard.png"), full_page=True)

        # Filters, by keyboard: only Mastodon.
        page.get_by_label("Platform", exact=True).select_option("mastodon")
        page.get_by_role("button", name="Show").press("Enter")
        page.wait_for_url("**platform=mastodon**")
        posts = page.get_by_role("table", name="Every published post in the range (latest "
                                 "snapshot)")
        assert posts.get_by_role("row").count() == 2
        assert QUIET in posts.inner_text() and "night shift" not in posts.inner_text()

        # A post's own page: one chart per account, every snapshot in its table.
        page.goto(f"{base_url}/engagement/posts/{loud_id}")
        assert page.get_by_role("img", name="Engagement of this post on @metro911 over time") \
            .count() == 1
        assert page.locator("polyline").count() == 3  # likes, reposts, replies
        assert page.get_by_role("table").get_by_role("row").count() == 1 + 3
        page.screenshot(path=str(ARTIFACTS / "engagement-post.png"), full_page=True)
        page.close()


def test_the_engagement_pages_pass_axe(app, seeded, chromium_browser) -> None:
    from axe_playwright_python.sync_playwright import Axe

    viewer, (loud_id, _) = seeded
    with serve(app) as base_url:
        page = chromium_browser.new_page()
        login(page, base_url, viewer.email, "correct horse battery")
        for url in ("/engagement", f"/engagement/posts/{loud_id}"):
            page.goto(base_url + url)
            results = Axe().run(page)
            assert results.violations_count == 0, results.generate_report()
        page.close()


def test_the_csv_export_is_the_table_shown_and_escapes_formulas(app, seeded, db) -> None:
    viewer, _ = seeded
    with db.session_scope() as s:
        s.add(Campaign(agency_id=viewer.agency_id, name="=HYPERLINK(\"evil\")",
                       created_at=utcnow()))
    client = app.test_client()
    login_client(client, viewer.email, "correct horse battery")
    response = client.get("/engagement/export.csv?table=by_platform")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Platform", "Posts", "Likes", "Reposts", "Replies", "Views",
                       "Engagement", "Per post"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Mastodon"][5] == "not reported"
    assert by_name["Sandbox"][2] == "52"

    # Suggested times stand beside the account's posting slots (the calendar's).
    from content_queue.models import PostingSlot, SocialAccount
    with db.session_scope() as s:
        sandbox = s.scalars(select(SocialAccount).where(SocialAccount.handle == "metro911")).one()
        s.add_all([PostingSlot(agency_id=viewer.agency_id, account_id=sandbox.id, weekday=w,
                               time=t) for w, t in ((1, "09:30"), (3, "12:00"))])
    suggested = list(csv.reader(io.StringIO(client.get(
        "/engagement/export.csv?table=suggested_times").get_data(as_text=True))))
    assert suggested[0][-1] == "Posting slots"
    sandbox_rows = [r for r in suggested[1:] if r[0] == "Sandbox @metro911"]
    assert sandbox_rows and all(r[-1] == "Tue 09:30, Thu 12:00" for r in sandbox_rows)
    assert "not enough history" in sandbox_rows[0][1]  # one post per weekday and hour

    posts = list(csv.reader(io.StringIO(client.get(
        "/engagement/export.csv?table=posts&platform=mastodon").get_data(as_text=True))))
    assert [r[0] for r in posts[1:]] == [QUIET]
    assert client.get("/engagement/export.csv?table=nope").status_code == 400
    assert client.get("/engagement?from=someday").status_code == 400
