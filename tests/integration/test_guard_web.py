"""The guard's pages: the settings page (admins change, others read), compose refused with the
words marked (escaped), and the post page's override form (issue 10)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from content_queue.models import Agency, AuditEvent, GuardOverride, Post
from tests.integration.web_client import FormClient


def login(client, factory, role):
    user = factory.user(role)
    browser = FormClient(client, factory.password)
    browser.login(user)
    return browser, user


def test_admin_saves_allow_list_patterns_and_footer(client, factory, db):
    browser, _ = login(client, factory, "admin")
    response = browser.submit("/guard/settings", {
        "guard_allowed_numbers": "(715) 421-8900", "guard_allowed_addresses": "410 Grand Ave",
        "guard_allowed_domains": "metro911.gov", "guard_patterns": r"\bPC\d{2}-\d{4}\b",
        "footer_text": "Not monitored 24/7. Emergencies: call or text 911.",
        "footer_enabled": "on"}, token_from="/guard/settings")
    assert response.status_code == 302
    with db.session_scope(write=False) as s:
        agency = s.scalars(select(Agency)).first()
        assert agency.guard_allowed_numbers == "(715) 421-8900" and agency.footer_enabled
        assert agency.footer_text.startswith("Not monitored")
        assert s.scalars(select(AuditEvent).where(
            AuditEvent.action == "guard.settings_changed")).first() is not None


def test_a_bad_pattern_is_refused_with_a_clear_error_and_nothing_saved(client, factory, db):
    browser, _ = login(client, factory, "admin")
    response = browser.submit("/guard/settings", {"guard_patterns": "PC(\\d+",
                                                  "guard_allowed_numbers": "not a number"},
                              token_from="/guard/settings")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Pattern on line 1" in page and "missing )" in page
    assert "Line 1 (not a number) is not a phone number." in page
    with db.session_scope(write=False) as s:
        assert s.scalars(select(Agency)).first().guard_patterns is None


def test_a_pio_reads_the_settings_but_cannot_change_them(client, factory):
    browser, _ = login(client, factory, "pio")
    assert "Only an admin can change these settings." in browser.text("/guard/settings")
    response = browser.submit("/guard/settings", {"footer_text": "x"}, token_from="/guard/settings")
    assert response.status_code == 403


def test_the_settings_page_needs_a_login(client):
    assert client.get("/guard/settings").status_code in (302, 401)


def _compose_data(account, text, **extra):
    when = datetime.now() + timedelta(days=2)
    return {"text": text, "accounts": str(account.id), "date": when.strftime("%Y-%m-%d"),
            "time": "10:00", "action": "queue", **extra}


def test_compose_refuses_a_phone_number_and_marks_the_escaped_words(client, factory, db):
    browser, _ = login(client, factory, "pio")
    account = factory.account("sandbox")
    text = "<b>Thanks</b> to the caller at 715-381-2204!"
    response = browser.submit("/posts/new", _compose_data(account, text), token_from="/posts/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<mark class="guard-mark" data-kind="phone"' in page
    assert ">715-381-2204<span" in page
    assert "&lt;b&gt;Thanks&lt;/b&gt;" in page and "<b>Thanks</b>" not in page
    assert 'name="guard_override"' not in page  # a PIO cannot override
    with db.session_scope(write=False) as s:
        assert s.scalars(select(Post)).first() is None


def test_an_approver_queues_from_compose_with_a_justification(client, factory, db):
    browser, approver = login(client, factory, "approver")
    account = factory.account("sandbox")
    text = "Great work by B shift on CAD 24-018812."
    refused = browser.submit("/posts/new", _compose_data(account, text), token_from="/posts/new")
    assert 'name="guard_override"' in refused.get_data(as_text=True)
    response = browser.submit("/posts/new", _compose_data(
        account, text, guard_override="The CAD number was released in the public report."),
        token_from="/posts/new")
    assert response.status_code == 302
    with db.session_scope(write=False) as s:
        row = s.scalars(select(GuardOverride)).one()
        assert row.created_by_id == approver.id


def test_the_post_page_marks_findings_and_an_approver_overrides_there(app, client, factory, db):
    pio_browser, pio = login(client, factory, "pio")
    account = factory.account("sandbox")
    pio_browser.submit("/posts/new", _compose_data(account, "Case #2026-00123 closed.",
                                                   action="draft"), token_from="/posts/new")
    with db.session_scope(write=False) as s:
        post_id = s.scalars(select(Post.id)).one()
    browser, approver = login(app.test_client(), factory, "approver")
    page = browser.text(f"/posts/{post_id}")
    assert '<mark class="guard-mark" data-kind="incident_number"' in page
    response = browser.submit(f"/posts/{post_id}/guard/override",
                              {"justification": "Closed case, released by the records unit."},
                              token_from=f"/posts/{post_id}")
    assert response.status_code == 302
    page = browser.text(f"/posts/{post_id}")
    assert "Closed case, released by the records unit." in page


def test_the_approvals_queue_marks_a_waiting_post_s_findings(app, client, factory, db):
    pio_browser, _ = login(client, factory, "pio")
    account = factory.account("sandbox")
    pio_browser.submit("/posts/new", _compose_data(account, "Call 911. Case #2026-00123.",
                                                   action="draft"), token_from="/posts/new")
    with db.session_scope() as s:
        post = s.scalars(select(Post)).one()
        for target in post.targets:  # as if it had been submitted before a new pattern
            target.status = "awaiting_approval"
    browser, _ = login(app.test_client(), factory, "approver")
    page = browser.text("/approvals")
    assert '<mark class="guard-mark" data-kind="incident_number"' in page
    assert "approving is refused" in page
