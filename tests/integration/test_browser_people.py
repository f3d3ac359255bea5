"""Issue 11 in a real browser: an admin creates a PIO on the users page, the PIO signs in with
the password shown once, creates an API token on their own page and sees it once (it works on
the API); thirty wrong passwords in a row get 429; a copied cookie stops after sign-out."""

from __future__ import annotations

import pytest

from tests.integration.browser_support import axe_problems, login, serve, watched_context

pytestmark = pytest.mark.browser




def test_admin_creates_a_pio_who_makes_a_token_seen_once(app, db, factory, chromium_browser):
    admin = factory.user("admin", email="admin@metro911.gov")
    errors: list[str] = []
    with serve(app) as base_url:
        admin_ctx, pio_ctx = (watched_context(chromium_browser, errors) for _ in range(2))
        page = admin_ctx.new_page()
        login(page, base_url, admin.email, factory.password)
        page.get_by_role("link", name="Users").click()
        page.get_by_label("Email").fill("dana.pio@metro911.gov")
        page.get_by_label("Name").fill("Dana")
        page.get_by_label("Role", exact=True).select_option("pio")
        page.get_by_role("button", name="Create user").click()
        password = page.locator("#generated-password").inner_text().strip()
        assert len(password) >= 20
        axe = axe_problems(page)
        page.goto(f"{base_url}/admin/agency")
        axe += axe_problems(page)
        page.goto(f"{base_url}/admin/users")
        page.reload()
        assert page.locator("#generated-password").count() == 0

        pio = pio_ctx.new_page()
        login(pio, base_url, "dana.pio@metro911.gov", password)
        pio.get_by_role("link", name="Dana").click()
        pio.get_by_label("Name of a new token").fill("newsroom script")
        pio.get_by_role("button", name="Create token").click()
        token = pio.locator("#token-value").inner_text().strip()
        assert token.startswith("tf_")
        axe += axe_problems(pio)
        pio.goto(f"{base_url}/me")
        assert token not in pio.content()
        assert "newsroom script" in pio.locator("table").inner_text()
        answer = pio_ctx.request.get(f"{base_url}/api/v1/tokens",
                                     headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200 and answer.json()["tokens"][0]["role"] == "pio"

        # A copied cookie stops working once the PIO signs out.
        cookies = pio_ctx.cookies()
        pio.get_by_role("button", name="Sign out").click()
        thief = chromium_browser.new_context()
        thief.add_cookies(cookies)
        stolen = thief.new_page()
        stolen.goto(f"{base_url}/")
        assert "/login" in stolen.url
        thief.close()

        # Thirty wrong passwords in a row: 429 with when to try again.
        guesser = chromium_browser.new_context().new_page()
        statuses = []
        for i in range(30):
            guesser.goto(f"{base_url}/login")
            guesser.get_by_label("Email").fill("dana.pio@metro911.gov")
            guesser.get_by_label("Password").fill(f"wrong guess {i}")
            with guesser.expect_response(lambda r: r.url.endswith("/login")
                                         and r.request.method == "POST") as info:
                guesser.get_by_role("button", name="Sign in").click()
            statuses.append(info.value.status)
        assert statuses[-1] == 429 and 429 in statuses[:15]
        assert "Too many failed sign-ins" in guesser.content()
    assert not errors
    assert not axe, "\n".join(axe)
