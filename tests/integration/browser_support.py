"""Serve the Flask app in a thread and drive it with Playwright and Debian's Chromium.

Reusable by any browser test::

    from tests.integration.browser_support import chromium, compose, login, serve

    with serve(create_app(settings, db=db)) as base_url, chromium() as browser:
        page = browser.new_page()
        login(page, base_url, "pio@metro911.gov", "correct horse battery")
        post_id = compose(page, base_url, "Test post", ["@metro911"], local_dt)
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
POST_URL = re.compile(r"/posts/(\d+)$")


def chromium_executable() -> str:
    """``$TENFOUR_CHROMIUM`` or Debian's Chromium; skips the test when neither exists."""
    for candidate in (os.environ.get("TENFOUR_CHROMIUM"), DEFAULT_CHROMIUM):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.skip("Chromium not found: install Debian's chromium or set TENFOUR_CHROMIUM")


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@contextmanager
def serve(app, port: int = 0) -> Iterator[str]:
    """Run ``app`` on ``port`` (0: a free one) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="tenfour-test-web", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def watched_context(browser, problems: list[str], *, timeout_ms: int = 10_000, **options):
    """A new browser context whose uncaught page errors land in ``problems`` (the test asserts
    it stays empty), waiting at most ``timeout_ms`` for any locator."""
    context = browser.new_context(**options)
    context.set_default_timeout(timeout_ms)
    context.on("weberror", lambda e: problems.append(str(e.error)))
    return context


@contextmanager
def chromium():
    """A headless Chromium (Playwright sync API), closed afterwards."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _problem(page) -> str:
    summary = page.locator(".error-summary, .field-error, .flash--error")
    return " | ".join(summary.all_inner_texts()) or "(no error message on the page)"


LOGIN_PAGE_TIMEOUT_MS = 30_000


def sign_out_by_cookies(page) -> None:
    """Forget the context's session. The page is left first: a request still in flight from it
    (the compose page's guard check, say) would otherwise set the session cookie again when its
    answer arrives after the cookies were cleared, and the next /login would go to the dashboard."""
    for open_page in page.context.pages:
        open_page.goto("about:blank")
    page.context.clear_cookies()


def login(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form; fails the test with the page's message if refused."""
    # Under a loaded full run the login page has been slow to appear after a context's cookies
    # were cleared: wait for the document itself, then for the field, and say what was there.
    response = page.goto(f"{base_url}/login", wait_until="domcontentloaded",
                         timeout=LOGIN_PAGE_TIMEOUT_MS)
    email_field = page.get_by_label("Email")
    try:
        email_field.wait_for(state="visible", timeout=LOGIN_PAGE_TIMEOUT_MS)
    except Exception as exc:
        status = response.status if response is not None else "no response"
        raise AssertionError(f"the login page at {page.url} (HTTP {status}) showed no Email field: "
                             f"{page.locator('body').inner_text()[:300]!r}") from exc
    email_field.fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/login" in page.url:
        raise AssertionError(f"login as {email} failed: {_problem(page)}")


def account_checkbox(page, label: str):
    """The compose page's checkbox whose label starts with ``label`` (e.g. ``"@metro911"``).

    Matching the start and a word end keeps ``@metro911`` from also matching ``@metro911fb``.
    """
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)}(\s|$)"))


def compose(page, base_url: str, text: str, account_labels: Sequence[str],
            local_dt: datetime, *, draft: bool = False, campaign: str | None = None) -> int:
    """Write and queue a post on the compose page; returns the new post's id.

    ``account_labels`` pick checkboxes by the start of their label: the handle with its ``@``
    (``"@metro911"``), optionally followed by the platform (``"@metro911 X"``).
    ``local_dt`` is a naive wall-clock time in the agency's zone; seconds are kept when not
    zero, so a test can schedule a post a few seconds ahead.
    """
    page.goto(f"{base_url}/posts/new")
    page.get_by_label("Post text").fill(text)
    for label in account_labels:
        account_checkbox(page, label).check()
    page.get_by_label("Date", exact=True).fill(local_dt.strftime("%Y-%m-%d"))
    page.get_by_label(re.compile(r"^Time\b")).fill(
        local_dt.strftime("%H:%M:%S" if local_dt.second else "%H:%M"))
    if campaign is not None:
        page.get_by_label(re.compile(r"^Campaign")).select_option(label=campaign)
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft" if draft else "Queue", exact=True).click()
    match = POST_URL.search(page.url)
    if match is None:
        raise AssertionError(f"composing the post failed: {_problem(page)}")
    return int(match.group(1))


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_problems(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now, one
    line each (page, rule, impact, help, the first elements it names)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes'][:3]]}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
