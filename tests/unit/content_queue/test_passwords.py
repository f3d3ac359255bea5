"""The password policy on every set, the length cap before hashing, and sign-ins that cost the
same whether or not the e-mail exists (counted in scrypt runs, never in wall-clock time)."""

from __future__ import annotations

import hashlib

import pytest

from content_queue import passwords
from content_queue.errors import ValidationFailed
from content_queue.passwords import MAX_PASSWORD, common_passwords, password_problem
from content_queue.users import authenticate, create_user, set_password
from tests.unit.conftest import NOW

GOOD = "correct horse battery"


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "1234567890", "password12", "aaaaaaaaaaaaaa",
                                      "123456789012", "Password1234", "qwertyuiop123",
                                      "abababababab", "Summer2025!!"[:-1]])
def test_common_and_short_passwords_are_refused(password) -> None:
    assert password_problem(password, email="pio@metro911.gov")


def test_the_e_mail_is_not_a_password() -> None:
    assert "e-mail" in password_problem("dispatch.lead@metro911.gov", email="Dispatch.Lead@metro911.gov")
    assert "e-mail" in password_problem("dispatch.leader", email="dispatch.leader@metro911.gov")


def test_a_long_unusual_password_is_accepted_and_one_too_long_is_not() -> None:
    assert password_problem(GOOD, email="pio@metro911.gov") is None
    assert password_problem("kettle on 3 bridges", email="") is None
    assert "at most" in password_problem("y" * (MAX_PASSWORD + 1))


def test_the_shipped_list_holds_thousands_of_common_passwords() -> None:
    assert len(common_passwords()) > 3000
    assert {"password1234", "qwertyuiop", "iloveyou123", "1q2w3e4r5t"} <= common_passwords()


def test_every_way_of_setting_a_password_applies_the_policy(session, make) -> None:
    agency = make.agency()
    with pytest.raises(ValidationFailed) as refused:
        create_user(session, agency_id=agency.id, email="pio@metro911.gov", role="pio",
                    password="password1234", now=NOW)
    assert "most common" in refused.value.fields["password"]
    user = create_user(session, agency_id=agency.id, email="pio@metro911.gov", role="pio",
                       password=GOOD, now=NOW)
    for weak in ("1234567890", "aaaaaaaaaaaa", "pio@metro911.gov"):
        with pytest.raises(ValidationFailed) as refused:
            set_password(session, user, weak, now=NOW)
        assert refused.value.code == "weak_password"


@pytest.fixture
def scrypt_runs(monkeypatch):
    runs: list[int] = []
    real = hashlib.scrypt

    def counting(password, **kwargs):
        runs.append(len(password))
        return real(password, **kwargs)

    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    return runs


def test_an_unknown_e_mail_costs_one_hash_like_a_wrong_password(session, make, scrypt_runs) -> None:
    agency = make.agency()
    create_user(session, agency_id=agency.id, email="pio@metro911.gov", role="pio",
                password=GOOD, now=NOW)
    passwords.spend_verify_time("warm")  # the throwaway hash is made once per process
    scrypt_runs.clear()
    assert authenticate(session, "pio@metro911.gov", "wrong password!", now=NOW) is None
    wrong = list(scrypt_runs)
    scrypt_runs.clear()
    assert authenticate(session, "nobody@metro911.gov", "wrong password!", now=NOW) is None
    assert scrypt_runs == wrong and len(wrong) == 1


def test_a_ten_megabyte_password_is_refused_without_hashing(session, make, scrypt_runs) -> None:
    agency = make.agency()
    create_user(session, agency_id=agency.id, email="pio@metro911.gov", role="pio",
                password=GOOD, now=NOW)
    scrypt_runs.clear()
    huge = "x" * (10 * 1024 * 1024)
    assert authenticate(session, "pio@metro911.gov", huge, now=NOW) is None
    assert authenticate(session, "nobody@metro911.gov", huge, now=NOW) is None
    with pytest.raises(ValidationFailed):
        create_user(session, agency_id=agency.id, email="big@metro911.gov", role="pio",
                    password=huge, now=NOW)
    assert scrypt_runs == []
