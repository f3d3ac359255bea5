"""The agency's e-mail server and webhook in the browser (issue 11): an admin saves them, the
secrets are never put back in the page (nor stored in the clear) and a blank field keeps them,
a bad URL is refused in words an admin understands, a test is handed to the worker and its
outcome shown; only admins reach the page. Each person's e-mail choices on their own page."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select

from content_queue.crypto import CredentialCipher
from content_queue.models import Agency, AuditEvent, Notification, User
from tests.integration.web_client import CSRF_RE, login_client

PASSWORD, SECRET = "smtp-Pa55word-xyz", "hook-secret-9f2c1e"
SETTINGS = {"smtp_host": "smtp.metro911.gov", "smtp_port": "2525", "smtp_username": "alerts",
            "smtp_password": PASSWORD, "smtp_from": "alerts@metro911.gov", "smtp_starttls": "1",
            "webhook_url": "https://cad.metro911.gov/hooks/tenfour", "webhook_secret": SECRET}


def _post(client, path: str, data: dict, page: str):
    token = CSRF_RE.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def _save(client, data: dict):
    return _post(client, "/admin/agency/delivery", data, "/admin/agency/delivery")


def _agency(db, agency_id: int) -> Agency:
    with db.session_scope(write=False) as s:
        agency = s.get(Agency, agency_id)
        s.expunge(agency)
        return agency


def test_an_admin_saves_delivery_settings_and_the_secrets_never_come_back(
        client, factory, db, settings):
    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    assert "E-mail and webhook" in client.get("/admin/agency").get_data(as_text=True)
    response = _save(client, SETTINGS)
    assert response.status_code == 302
    page = client.get("/admin/agency/delivery").get_data(as_text=True)
    assert "Delivery settings saved" in page and 'value="smtp.metro911.gov"' in page
    assert "own server, smtp.metro911.gov" in page
    assert page.count("Set — leave blank to keep.") == 2 and "Clear the saved password" in page
    agency = _agency(db, admin.agency_id)
    for secret in (PASSWORD, SECRET, agency.smtp_password_encrypted,
                   agency.webhook_secret_encrypted):
        assert secret not in page
    assert PASSWORD not in agency.smtp_password_encrypted  # encrypted at rest
    cipher = CredentialCipher(settings.encryption_keys)
    assert cipher.decrypt(agency.smtp_password_encrypted)["secret"] == PASSWORD
    assert cipher.decrypt(agency.webhook_secret_encrypted)["secret"] == SECRET

    # Saving again with the secrets left blank keeps them; "clear" removes one.
    _save(client, {**SETTINGS, "smtp_password": "", "webhook_secret": "", "smtp_port": "587"})
    kept = _agency(db, admin.agency_id)
    assert kept.smtp_port == 587
    assert kept.smtp_password_encrypted == agency.smtp_password_encrypted
    assert kept.webhook_secret_encrypted == agency.webhook_secret_encrypted
    _save(client, {**SETTINGS, "smtp_password": "", "webhook_secret": "",
                   "clear_webhook_secret": "1"})
    cleared = _agency(db, admin.agency_id)
    assert cleared.webhook_secret_encrypted is None and cleared.smtp_password_encrypted
    assert "Not set: calls are not signed." in client.get("/admin/agency/delivery").get_data(
        as_text=True)
    with db.session_scope(write=False) as s:
        entries = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "agency.delivery_updated")).all()
        assert len(entries) == 3
        text = json.dumps([e.details for e in entries])
    assert PASSWORD not in text and SECRET not in text


def test_a_bad_webhook_url_is_refused_with_a_clear_message_and_nothing_saved(
        client, factory, db):
    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    response = _save(client, {**SETTINGS, "webhook_url": "ftp://cad.metro911.gov/hook"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The webhook URL must start with https:// (or http://) and name a server" in page
    assert 'id="delivery-webhook_url-error"' in page and 'aria-invalid="true"' in page
    assert PASSWORD not in page and SECRET not in page  # not even the typed ones
    assert 'value="ftp://cad.metro911.gov/hook"' in page  # what was typed, to correct it
    agency = _agency(db, admin.agency_id)
    assert agency.smtp_host is None and agency.webhook_url is None
    port = _save(client, {**SETTINGS, "smtp_port": "99999"})
    assert port.status_code == 422 and "from 1 to 65535" in port.get_data(as_text=True)
    sender = _save(client, {**SETTINGS, "smtp_from": "alerts"})
    assert "must be an e-mail address" in sender.get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "pio", "approver"])
def test_only_admins_reach_the_delivery_settings(app, factory, db, role):
    someone = factory.user(role)
    client = app.test_client()
    login_client(client, someone.email, factory.password)
    assert client.get("/admin/agency/delivery").status_code == 403
    refused = _post(client, "/admin/agency/delivery", SETTINGS, "/me")
    assert refused.status_code == 403
    assert "Only an admin can change the agency's delivery settings." in html.unescape(
        refused.get_data(as_text=True))
    assert _post(client, "/admin/agency/delivery/test", {}, "/me").status_code == 403
    assert _agency(db, someone.agency_id).smtp_host is None


def test_send_a_test_hands_a_notice_to_the_worker_and_shows_how_it_went(client, factory, db):
    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    response = _post(client, "/admin/agency/delivery/test", {}, "/admin/agency/delivery")
    assert response.status_code == 302
    page = client.get("/admin/agency/delivery").get_data(as_text=True)
    assert "A test was handed to the worker" in page and "waiting for the worker" in page
    with db.session_scope() as s:
        row = s.scalars(select(Notification).where(Notification.event == "delivery_test")).one()
        assert row.user_id == admin.id and row.sends_webhook
        row.delivery_state, row.delivery_error = "failed", "email: [Errno 111] Connection refused"
    page = client.get("/admin/agency/delivery").get_data(as_text=True)
    assert "it failed: email: [Errno 111] Connection refused" in page


def test_each_person_chooses_their_own_e_mails_and_in_app_stays(app, client, factory, db):
    pio, other = factory.user("pio"), factory.user("pio")
    login_client(client, pio.email, factory.password)
    page = client.get("/me").get_data(as_text=True)
    assert "Notifications by e-mail" in page and 'value="target_held"' in page
    wanted = ["target_failed", "post_approved", "post_rejected"]
    response = _post(client, "/me/notifications", {"email_events": wanted}, "/me")
    assert response.status_code == 302
    page = client.get("/me").get_data(as_text=True)
    assert "Your e-mail choices are saved" in page
    assert 'value="target_held" id="email-target_held">' in page  # unticked
    assert 'value="target_failed" id="email-target_failed" checked>' in page
    assert "always e-mailed" in page
    with db.session_scope(write=False) as s:
        muted = set(json.loads(s.get(User, pio.id).email_muted_events))
        assert "target_held" in muted and "target_failed" not in muted
        assert s.get(User, other.id).email_muted_events is None  # only their own row
