"""Every page, in Chromium: axe-core finds no serious or critical WCAG 2.1 AA violation, and
nothing is fetched from anywhere but the app (ECC networks are often closed).

The pages are found from the URL map (every GET route that answers HTML), so a new page is
audited without being listed; a route whose URL needs an argument this module cannot fill
fails the test until :data:`ARG_VALUES` learns it. Screenshots go to ``test-artifacts/pages/``.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from PIL import Image

from content_queue.kits import load_catalog, start_kit  # issue 10 kits
from content_queue.media import store_media
from content_queue.models import User
from content_queue.post_templates import create_template
from content_queue.services import queue_post
from tests.conftest import utcnow
from tests.integration.approvals_support import waiting_post_with_review_link
from tests.integration.browser_support import login, serve, sign_out_by_cookies

pytestmark = pytest.mark.xdist_group("browser-accessibility")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
#: Rules that answer something other than a page for people (files, probes, redirects).
NOT_PAGES = {"health.healthz", "health.readyz", "metrics.metrics", "media.file",
             "media.public_file", "accounts.callback", "auth.logout", "static",
             # issue 8 compose: CSV downloads and the compose page's JSON search
             "templates_lib.export_page_csv", "templates_lib.import_example",
             "media_library.search_json",
             "calendar.feed"}  # issue 8 calendar: the ICS feed (text/calendar)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (20, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def seeded(db, factory, settings):
    """An agency with one of everything a page can show."""
    admin = factory.user("admin", email="admin@metro911.gov")
    account = factory.account(handle="metro911")
    with db.session_scope() as s:
        actor = s.get(User, admin.id)
        media = store_media(s, actor=actor, data=_png(), filename="headset.png",
                            alt_text="A dispatcher's headset on the console", now=utcnow())
        post = queue_post(s, actor=actor, text="Thank you to our dispatchers! #NPSTW",
                          account_ids=[account.id], scheduled_at=utcnow() + timedelta(days=1),
                          now=utcnow(), media_ids=[media.id])
        ids = {"post_id": post.id, "account_id": account.id, "media_id": media.id,
               "target_id": post.targets[0].id}
        # issue 8 compose: a template, for its edit page
        ids["template_id"] = create_template(s, actor=actor, name="Thank-you",
                                             text="Thank you, {dispatcher_name}!",
                                             now=utcnow()).id
        # issue 8 approvals: a PIO's post waiting for approval, with a review link
        ids["waiting_post_id"], ids["token"] = waiting_post_with_review_link(
            s, actor, account, settings.secret_key, password=factory.password)
        # issue 10 kits: a campaign started from a kit, for its page (drafts, consent needed)
        ids["campaign_id"] = start_kit(
            s, actor=actor, kit=load_catalog().get("dispatcher-spotlight"), now=utcnow(),
            fields={"agency_name": "Metro 911", "person_name": "Jordan Lee",
                    "role": "Senior telecommunicator", "contribution": "trained 12 call takers."},
            account_ids=[account.id], start_date=(utcnow() + timedelta(days=3)).date()
        ).campaign.id
        # issue 8 calendar: a weekly series, for its page
        from content_queue.recurrence import queue_series
        ids["series_id"] = queue_series(s, actor=actor, rule="FREQ=WEEKLY;COUNT=2",
                                        scheduled_at=utcnow() + timedelta(days=2), now=utcnow(),
                                        text="Weekly tip", account_ids=[account.id])[0].id
    return admin, ids


def _arg_values(ids: dict) -> dict[str, object]:
    return {**ids, "platform": "sandbox", "kit_id": "npstw"}  # kit_id: issue 10 kits


def _page_urls(app, values: dict[str, object]) -> tuple[list[str], list[str]]:
    urls, unfillable = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.startswith("/api/") or rule.endpoint.endswith(".static"):
            continue
        missing = [a for a in rule.arguments if a not in values]
        if missing:
            unfillable.append(f"{rule.rule} ({', '.join(missing)})")
            continue
        urls.append(rule.build({a: values[a] for a in rule.arguments})[1])
    return sorted(set(urls)), unfillable


def test_every_page_passes_axe_and_loads_nothing_from_outside(app, seeded, chromium_browser):
    from axe_playwright_python.sync_playwright import Axe

    admin, ids = seeded
    urls, unfillable = _page_urls(app, _arg_values(ids))
    assert not unfillable, ("pages whose URL this test cannot build; add the argument to "
                            f"ARG_VALUES: {unfillable}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems, outside, audited = [], set(), []
    with serve(app) as base_url:
        page = chromium_browser.new_page()
        here = urlsplit(base_url).netloc
        page.on("request", lambda r: outside.add(r.url)
                if urlsplit(r.url).netloc not in (here, "") and not r.url.startswith("data:")
                else None)
        login(page, base_url, "admin@metro911.gov", "correct horse battery")
        for url in urls:
            try:
                response = page.goto(base_url + url)
            except PlaywrightError as exc:  # a file download (CSV export), not a page
                if "Download is starting" in str(exc):
                    continue
                raise
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            audited.append(url)
            name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "dashboard"
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
            if url == "/briefing":  # issue 9: the unattended floor screen reloads by design;
                # /briefing?refresh=0 (no reload, for a person) is audited in full
                options["rules"] = {"meta-refresh": {"enabled": False}}
            result = axe.run(page, options=options)
            for violation in result.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in violation["nodes"][:3]]
                    problems.append(f"{url}: {violation['id']} ({violation['impact']}): "
                                    f"{violation['help']} at {targets}")
        # The sign-in page, signed out.
        sign_out_by_cookies(page)
        page.goto(base_url + "/login")
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        problems += [f"/login: {v['id']} ({v['impact']}): {v['help']}"
                     for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        # The auditor is live in this run: an image without a text alternative is caught.
        page.set_content('<html lang="en"><head><title>t</title></head>'
                         '<body><main><img src="data:,"></main></body></html>')
        broken = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert "image-alt" in {v["id"] for v in broken.response["violations"]}
    assert "/" in audited and f"/posts/{ids['post_id']}" in audited and "/posts/new" in audited
    assert not problems, "\n".join(problems)
    assert not outside, f"pages fetched from outside the app: {sorted(outside)}"
