"""Single sign-on in a real browser (issue 11): Chromium clicks "Sign in with …" on Tenfour's
login page, chooses a person on the simulator's OpenID Connect provider page, and comes back
signed in with the role the agency maps that person's group to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content_queue.models import Agency, User
from tests.integration.browser_support import axe_problems, login, serve, watched_context
from tests.integration.test_sso import sso_settings
from web import create_app

pytestmark = pytest.mark.browser


def test_a_supervisor_signs_in_through_the_identity_provider_as_approver(
        settings, db, factory, sim, chromium_browser):
    admin = factory.user("admin", email="admin@metro911.gov")
    with db.session_scope() as s:
        s.scalars(select(Agency)).first().sso_group_roles = {"911-supervisors": "approver"}
    app = create_app(sso_settings(settings, sim.url), db=db)
    errors: list[str] = []
    with serve(app) as base_url:
        context = watched_context(chromium_browser, errors)
        page = context.new_page()
        page.goto(f"{base_url}/approvals")  # signed out: the login page, then back here
        axe = axe_problems(page)
        page.get_by_role("link", name="Sign in with Metro IdP").click()
        page.wait_for_url(f"{sim.url}/oidc/authorize*")
        assert "Sandbox identity provider" in page.content()
        page.get_by_role("button", name="Sign in as Avery Supervisor").click()
        page.wait_for_url(f"{base_url}/approvals")
        assert page.get_by_role("heading", level=1).inner_text().strip() != "Sign in"
        with db.session_scope(write=False) as s:
            user = s.scalars(select(User).where(
                User.email == "avery.supervisor@metro911.gov")).one()
            assert user.role == "approver" and user.display_name == "Avery Supervisor"

        # The admin changes the mapping in the browser; a bad line is explained on the page.
        admin_page = watched_context(chromium_browser, errors).new_page()
        login(admin_page, base_url, admin.email, factory.password)
        admin_page.goto(f"{base_url}/admin/sso")
        axe += axe_problems(admin_page)
        admin_page.get_by_label("Group mapping").fill("911-supervisors = chief")
        admin_page.get_by_role("button", name="Save mapping").click()
        assert "'chief' is not a role" in admin_page.locator(".error-summary").inner_text()
        context.close()
    assert not errors
    assert not axe, "\n".join(axe)
