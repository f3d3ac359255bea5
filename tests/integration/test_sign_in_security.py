"""Sign-in that resists guessing: failures are counted per e-mail and per client address, and
past the limit the login answers 429 with when to try again, in the same words whether the
e-mail exists or not, even for the right password, and the lockout is audited. Asserted by
status codes only, never by wall-clock time."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from content_queue.models import AuditEvent
from tests.integration.web_client import CSRF_RE
from web import create_app


def attempt(client, email: str, password: str, address: str = "203.0.113.7"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def lockout_message(response) -> str:
    page = response.get_data(as_text=True)
    start = page.index("Too many failed sign-ins")
    return page[start:page.index("</p>", start)]


def test_thirty_wrong_passwords_get_429_and_then_the_right_one_waits_too(client, factory, db):
    user = factory.user("pio")
    statuses = [attempt(client, user.email, f"wrong guess {i}").status_code for i in range(30)]
    assert statuses[:9] == [200] * 9  # "do not match" pages
    assert statuses[9:] == [429] * 21
    right = attempt(client, user.email, factory.password)
    assert right.status_code == 429 and "Location" not in right.headers
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60
    assert "Wait 15 minutes" in lockout_message(right)
    with db.session_scope(write=False) as s:
        locked = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_locked")).all()
    assert len(locked) == 1 and locked[0].details["email"] == user.email
    # Another account from another address is not affected.
    other = factory.user("viewer")
    assert attempt(client, other.email, factory.password, address="198.51.100.9").status_code == 302


def test_the_lockout_reads_the_same_for_an_e_mail_that_does_not_exist(client, factory):
    user = factory.user("pio")
    known = [attempt(client, user.email, "wrong guess", address="203.0.113.1") for _ in range(11)]
    unknown = [attempt(client, "nobody@metro911.gov", "wrong guess", address="203.0.113.2")
               for _ in range(11)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert lockout_message(known[-1]) == lockout_message(unknown[-1])
    assert known[-1].headers["Retry-After"] and unknown[-1].headers["Retry-After"]


def test_one_address_guessing_many_e_mails_is_stopped(client, factory):
    user = factory.user("pio")
    statuses = [attempt(client, f"guess{i}@metro911.gov", "wrong guess").status_code
                for i in range(31)]
    assert statuses[:29] == [200] * 29 and statuses[29:] == [429, 429]
    assert attempt(client, user.email, factory.password).status_code == 429
    assert attempt(client, user.email, factory.password, address="198.51.100.20").status_code == 302


def test_limits_are_configurable(settings, db, factory):
    app = create_app(replace(settings, login_limit_per_email="3 per 1 hour"), db=db)
    client = app.test_client()
    user = factory.user("pio")
    assert [attempt(client, user.email, "wrong guess").status_code for _ in range(4)] == \
        [200, 200, 429, 429]
    right = attempt(client, user.email, factory.password)
    assert right.status_code == 429 and "Wait 60 minutes" in lockout_message(right)


def test_a_password_longer_than_the_cap_is_refused_without_a_sign_in(client, factory):
    user = factory.user("pio")
    response = attempt(client, user.email, "x" * 5000)
    assert response.status_code == 200 and "at most 1024 characters" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login"])
def test_successful_sign_ins_are_not_counted(client, factory, path):
    user = factory.user("pio")
    for _ in range(12):
        response = attempt(client, user.email, factory.password)
        assert response.status_code == 302
        client.post("/logout", data={"csrf_token": CSRF_RE.search(
            client.get("/").get_data(as_text=True)).group(1)})
