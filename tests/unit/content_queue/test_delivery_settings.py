"""Per-agency e-mail server and webhook (issue 11): what an admin types is checked with messages
they understand, secrets are stored encrypted (never the plaintext) and kept when left blank,
and an agency's own settings win over the installation's only where the agency set them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from content_queue.crypto import CredentialCipher, CredentialsUnreadable
from content_queue.delivery_settings import (
    DELIVERY_TEST,
    DeliveryForm,
    channel_settings,
    delivery_summary,
    host_problem,
    inside_network_problem,
    last_delivery_test,
    parse_delivery_allowed_hosts,
    rotate_delivery_secrets,
    send_delivery_test,
    update_delivery_settings,
    webhook_url_problem,
)
from content_queue.errors import ValidationFailed
from content_queue.models import AuditEvent
from tests.unit.conftest import NOW


@dataclass(frozen=True)
class Installation:
    smtp_host: str = "smtp.installation.example"
    smtp_port: int = 25
    smtp_username: str = "install-user"
    smtp_password: str = "install-pass"
    smtp_from: str = "tenfour@installation.example"
    smtp_starttls: bool = False
    webhook_url: str = "https://hooks.installation.example/t"
    webhook_secret: str = "install-secret"
    public_base_url: str = "https://tenfour.example"


@pytest.fixture
def cipher() -> CredentialCipher:
    return CredentialCipher([Fernet.generate_key().decode()])


OWN = DeliveryForm(smtp_host="smtp.metro911.gov", smtp_port="2525", smtp_username="alerts",
                   smtp_password="p@ss w0rd!", smtp_from="alerts@metro911.gov",
                   smtp_starttls=True, webhook_url="https://cad.metro911.gov/hooks/tenfour",
                   webhook_secret="hook-secret-123")


def _save(session, cipher, agency, admin, form=OWN):
    return update_delivery_settings(session, cipher, agency, form, actor_id=admin.id, now=NOW)


@pytest.mark.parametrize("host", ["smtp.metro911.gov", "mail", "10.0.0.5", "::1", "[::1]",
                                  "relay-1.county.example."])
def test_mail_server_names_and_addresses_are_accepted(host):
    assert host_problem(host) is None


@pytest.mark.parametrize("host", ["https://smtp.example", "smtp.example:587", "smtp example",
                                  "-bad.example", "a..b", "x" * 64 + ".example"])
def test_a_host_that_is_not_a_name_or_address_is_refused(host):
    assert "mail server's name" in host_problem(host)


@pytest.mark.parametrize("url", ["ftp://hooks.example/t", "hooks.example/t", "https://",
                                 "javascript:alert(1)", "http://[::1", "https://h.example:99999/"])
def test_a_webhook_url_must_be_http_or_https_with_a_host(url):
    assert webhook_url_problem(url)


@pytest.mark.parametrize("form, field, words", [
    (DeliveryForm(smtp_host="smtp.example", smtp_port="0", smtp_from="a@b.example"),
     "smtp_port", "from 1 to 65535"),
    (DeliveryForm(smtp_host="smtp.example", smtp_port="70000", smtp_from="a@b.example"),
     "smtp_port", "from 1 to 65535"),
    (DeliveryForm(smtp_host="smtp.example", smtp_port="five", smtp_from="a@b.example"),
     "smtp_port", "from 1 to 65535"),
    (DeliveryForm(smtp_host="smtp.example", smtp_from="not an address"),
     "smtp_from", "must be an e-mail address"),
    (DeliveryForm(smtp_host="smtp.example"), "smtp_from", "Give the address"),
    (DeliveryForm(smtp_host="http://smtp.example", smtp_from="a@b.example"),
     "smtp_host", "mail server's name"),
    (DeliveryForm(smtp_password="orphan"), "smtp_host", "Give the SMTP host"),
    (DeliveryForm(webhook_url="ftp://hooks.example"), "webhook_url", "must start with https://"),
    (DeliveryForm(webhook_secret="orphan"), "webhook_url", "Give the webhook URL"),
])
def test_bad_settings_are_refused_naming_the_field_and_nothing_is_saved(
        session, make, cipher, form, field, words):
    admin = make.user("admin")
    agency = make.agency()
    with pytest.raises(ValidationFailed) as refused:
        _save(session, cipher, agency, admin, form)
    assert words in refused.value.message and field in refused.value.fields
    assert agency.smtp_host is None and agency.webhook_url is None


def test_secrets_are_stored_encrypted_and_decrypt_back(session, make, cipher):
    admin = make.user("admin")
    agency = _save(session, cipher, make.agency(), admin)
    session.expire_all()
    assert agency.smtp_password_encrypted and "p@ss w0rd!" not in agency.smtp_password_encrypted
    assert agency.webhook_secret_encrypted and "hook-secret-123" not in agency.webhook_secret_encrypted
    resolved = channel_settings(agency, Installation(), lambda: cipher)
    assert resolved.smtp_password == "p@ss w0rd!" and resolved.webhook_secret == "hook-secret-123"
    with pytest.raises(CredentialsUnreadable):  # another installation's key opens nothing
        channel_settings(agency, Installation(),
                         lambda: CredentialCipher([Fernet.generate_key().decode()]))


def test_a_blank_secret_keeps_the_saved_one_and_clear_removes_it(session, make, cipher):
    admin = make.user("admin")
    agency = _save(session, cipher, make.agency(), admin)
    stored = agency.smtp_password_encrypted
    _save(session, cipher, agency, admin,
          DeliveryForm(**{**OWN.__dict__, "smtp_password": "", "webhook_secret": "",
                          "smtp_port": "587"}))
    assert agency.smtp_password_encrypted == stored and agency.smtp_port == 587
    assert delivery_summary(agency)["smtp_password_set"] is True
    _save(session, cipher, agency, admin,
          DeliveryForm(**{**OWN.__dict__, "smtp_password": "", "clear_smtp_password": True,
                          "webhook_secret": "", "clear_webhook_secret": True}))
    assert agency.smtp_password_encrypted is None and agency.webhook_secret_encrypted is None
    assert agency.smtp_host == "smtp.metro911.gov"  # the rest stays


def test_the_summary_never_holds_a_secret(session, make, cipher):
    agency = _save(session, cipher, make.agency(), make.user("admin"))
    shown = json.dumps(delivery_summary(agency))
    assert "p@ss w0rd!" not in shown and "hook-secret-123" not in shown
    assert agency.smtp_password_encrypted not in shown


def test_the_audit_entry_names_what_changed_without_secrets(session, make, cipher):
    admin = make.user("admin")
    agency = _save(session, cipher, make.agency(), admin)
    entry = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "agency.delivery_updated")).one()
    details = entry.details if isinstance(entry.details, dict) else json.loads(entry.details)
    text = json.dumps(details)
    assert "p@ss w0rd!" not in text and "hook-secret-123" not in text
    assert "/hooks/tenfour" not in text  # the webhook's path may carry a token: host only
    assert details["smtp_password"] == "set" and details["webhook_secret"] == "set"
    assert details["webhook_host"] == "cad.metro911.gov" and "smtp_host" in details["changed"]
    assert entry.actor_id == admin.id and entry.entity_id == agency.id


def test_without_its_own_settings_an_agency_uses_the_installations(make, cipher):
    resolved = channel_settings(make.agency(), Installation(), lambda: cipher)
    assert (resolved.smtp_host, resolved.smtp_port, resolved.smtp_password, resolved.smtp_from) \
        == ("smtp.installation.example", 25, "install-pass", "tenfour@installation.example")
    assert (resolved.webhook_url, resolved.webhook_secret) == (
        "https://hooks.installation.example/t", "install-secret")
    assert resolved.smtp_source == resolved.webhook_source == "installation"


def test_an_agency_with_its_own_smtp_host_uses_its_own_server_and_only_that(
        session, make, cipher):
    agency = _save(session, cipher, make.agency(), make.user("admin"),
                   DeliveryForm(smtp_host="SMTP.Metro911.gov", smtp_from="alerts@metro911.gov",
                                smtp_starttls=False))
    resolved = channel_settings(agency, Installation(), lambda: cipher)
    assert (resolved.smtp_host, resolved.smtp_port, resolved.smtp_username,
            resolved.smtp_password, resolved.smtp_from, resolved.smtp_starttls) == (
        "smtp.metro911.gov", 587, "", "", "alerts@metro911.gov", False)  # no installation login
    assert resolved.smtp_source == "agency"
    assert resolved.webhook_url == "https://hooks.installation.example/t"  # webhook: theirs


def test_an_agencys_own_webhook_never_gets_the_installations_secret(session, make, cipher):
    agency = _save(session, cipher, make.agency(), make.user("admin"),
                   DeliveryForm(webhook_url="https://cad.metro911.gov/h"))
    resolved = channel_settings(agency, Installation(), lambda: cipher)
    assert resolved.webhook_url == "https://cad.metro911.gov/h" and resolved.webhook_secret == ""
    assert resolved.smtp_host == "smtp.installation.example"


def test_a_blank_host_goes_back_to_the_installation_and_clears_that_part(session, make, cipher):
    admin = make.user("admin")
    agency = _save(session, cipher, make.agency(), admin)
    _save(session, cipher, agency, admin, DeliveryForm(smtp_port="2525", smtp_username="x"))
    assert (agency.smtp_host, agency.smtp_port, agency.smtp_username,
            agency.smtp_password_encrypted, agency.webhook_url,
            agency.webhook_secret_encrypted) == (None,) * 6
    assert channel_settings(agency, Installation(), lambda: cipher).smtp_source == "installation"


def test_rotation_re_encrypts_agency_secrets_under_the_new_key(session, make, cipher):
    old_key = Fernet.generate_key().decode()
    old = CredentialCipher([old_key])
    agency = _save(session, old, make.agency(), make.user("admin"))
    new_key = Fernet.generate_key().decode()
    assert rotate_delivery_secrets(session, CredentialCipher([new_key, old_key])) >= 1
    only_new = CredentialCipher([new_key])
    assert channel_settings(agency, Installation(), lambda: only_new).smtp_password == "p@ss w0rd!"


def test_a_test_notice_goes_to_the_admin_and_is_found_again(session, make):
    admin = make.user("admin")
    make.user("admin")
    nid = send_delivery_test(session, make.agency(), admin, now=NOW)
    found = last_delivery_test(session, admin.agency_id)
    assert found.id == nid and found.user_id == admin.id and found.event == DELIVERY_TEST
    assert found.sends_webhook


# --- an agency may not aim Tenfour inside the network (several agencies on one installation) --


def _resolves_to(*addresses):
    return lambda name, port: [(2, 1, 6, "", (a, 0)) for a in addresses]


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.4.25", "192.168.1.9", "169.254.169.254",
                                  "100.64.0.1", "::1", "[fd00::1]", "0.0.0.0"])
def test_an_address_inside_the_network_is_refused(host):
    problem = inside_network_problem(host)
    assert "is an address inside the network" in problem
    assert "AGENCY_DELIVERY_ALLOWED_HOSTS" in problem


def test_a_name_that_resolves_inside_the_network_is_refused_naming_the_address():
    problem = inside_network_problem("relay.metro911.gov",
                                     resolve=_resolves_to("93.184.216.34", "10.1.2.3"))
    assert problem.startswith("relay.metro911.gov (10.1.2.3) is an address inside")


def test_public_addresses_and_names_that_do_not_resolve_now_pass():
    assert inside_network_problem("93.184.216.34") is None
    assert inside_network_problem("smtp.example.org", resolve=_resolves_to("93.184.216.34")) is None

    def no_dns(name, port):
        raise OSError("no DNS here")
    assert inside_network_problem("smtp.example.org", resolve=no_dns) is None  # checked at send


def test_the_operator_allows_hosts_inside_the_network_by_name_domain_or_star():
    assert inside_network_problem("10.0.4.25", ("10.0.4.25",)) is None
    assert inside_network_problem("relay.county.gov", ("*.county.gov",),
                                  resolve=_resolves_to("10.9.9.9")) is None
    assert inside_network_problem("127.0.0.1", ("*",)) is None
    assert inside_network_problem("10.0.4.26", ("10.0.4.25",)) is not None


def test_the_allow_list_setting_is_checked_when_read():
    assert parse_delivery_allowed_hosts(" 10.0.4.25, *.County.gov ;*") == \
        ("10.0.4.25", "*.county.gov", "*")
    with pytest.raises(ValueError, match="AGENCY_DELIVERY_ALLOWED_HOSTS: 'https://x.gov'"):
        parse_delivery_allowed_hosts("https://x.gov")


def test_saving_a_mail_server_or_webhook_inside_the_network_is_refused(session, make, cipher):
    agency, admin = make.agency(), make.user("admin")
    for form, field in [
            (DeliveryForm(smtp_host="127.0.0.1", smtp_from="a@metro911.gov"), "smtp_host"),
            (DeliveryForm(webhook_url="http://169.254.169.254/latest/meta-data"), "webhook_url")]:
        with pytest.raises(ValidationFailed) as refused:
            _save(session, cipher, agency, admin, form)
        assert set(refused.value.fields) == {field}
        assert "inside the network" in refused.value.message
    assert agency.smtp_host is None and agency.webhook_url is None
    allowed = update_delivery_settings(
        session, cipher, agency, DeliveryForm(smtp_host="127.0.0.1", smtp_from="a@metro911.gov"),
        actor_id=admin.id, now=NOW, allowed_hosts=("127.0.0.1",))
    assert allowed.smtp_host == "127.0.0.1"
