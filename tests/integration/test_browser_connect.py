"""Connecting an X account in a real Chromium, through the simulator's consent page.

The hand-off page matters here: the app's CSP (``form-action 'self'``) makes Chromium block a
redirect from our form post to the platform, so only a browser shows the flow really works.
Set ``TENFOUR_SCREENSHOTS=<dir>`` to keep a screenshot of each step.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from content_queue.models import SocialAccount
from tenfour.wsgi import build_app
from tests.integration.browser_support import login, serve
from tests.integration.test_web_connect import linked_settings

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:
    folder = os.environ.get("TENFOUR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_admin_connects_x_by_clicking_through_the_consent_page(settings, db, sim, factory,
                                                               chromium_browser):
    admin = factory.user("admin")
    app = build_app(linked_settings(settings, sim), db=db)
    with serve(app) as base_url:
        context = chromium_browser.new_context()
        context.set_default_timeout(10_000)
        problems: list[str] = []
        context.on("console", lambda msg: problems.append(msg.text)
                   if msg.type == "error" and msg.location.get("url", "").startswith(base_url) else None)
        page = context.new_page()
        login(page, base_url, admin.email, factory.password)

        page.goto(f"{base_url}/accounts")
        page.get_by_role("link", name="Connect an account").first.click()
        page.wait_for_url(f"{base_url}/accounts/connect")
        _shot(page, "connect-choose")
        page.get_by_role("button", name="Connect with X").click()

        # The hand-off page moves on by itself to X's (the simulator's) consent page.
        page.wait_for_url(f"{sim.url}/x/i/oauth2/authorize?**")
        assert "Authorize" in page.locator("h1").inner_text()
        page.get_by_role("button", name="Authorize app").click()

        page.wait_for_url(f"{base_url}/accounts")
        _shot(page, "accounts-after-connect")
        assert page.locator(".flash--success").inner_text() == "Connected X @metro911."
        row = page.locator("tr", has_text="@metro911")
        assert row.locator(".badge").inner_text() == "active"
        assert "Renews automatically" in row.inner_text()

        row.get_by_role("button", name="Test connection").click()
        page.wait_for_url(f"{base_url}/accounts#account-*")
        assert page.locator(".flash--success").inner_text() == "Connected as @metro911."
        context.close()
    assert problems == [], "the browser reported errors (a CSP violation?)"
    with db.session_scope(write=False) as s:
        account = s.scalars(select(SocialAccount)).one()
        assert (account.platform, account.handle, account.status) == ("x", "metro911", "active")
