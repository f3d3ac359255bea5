"""People and their keys: users are created only with a real email, a known role and a long
enough password; sign-in and API tokens stop working for inactive users and revoked tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.errors import Conflict, ValidationFailed
from content_queue.models import ApiToken
from content_queue.users import (
    authenticate,
    create_api_token,
    create_user,
    record_token_uses,
    user_for_token,
)
from tests.unit.conftest import NOW

PASSWORD = "correct horse battery"


def _create(session, agency, **overrides):
    args = dict(agency_id=agency.id, email="PIO@Metro911.gov ", role="pio", password=PASSWORD,
                now=NOW)
    args.update(overrides)
    return create_user(session, **args)


def test_a_new_user_s_email_is_normalised_and_the_password_only_stored_hashed(session,
                                                                             make) -> None:
    user = _create(session, make.agency())
    assert (user.email, user.display_name, user.role) == ("pio@metro911.gov", "pio", "pio")
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt$")


def test_each_bad_field_is_named(session, make) -> None:
    with pytest.raises(ValidationFailed) as err:
        _create(session, make.agency(), email="not-an-email", role="chief", password="short")
    assert set(err.value.fields) == {"email", "role", "password"}


def test_an_email_can_belong_to_one_user_only(session, make) -> None:
    agency = make.agency()
    _create(session, agency)
    with pytest.raises(Conflict) as err:
        _create(session, agency, email="pio@metro911.gov")
    assert err.value.code == "email_taken"


def test_sign_in_needs_the_right_password_and_an_active_user(session, make) -> None:
    user = _create(session, make.agency())
    assert authenticate(session, "pio@metro911.gov", "wrong password!", now=NOW) is None
    assert authenticate(session, " PIO@metro911.gov", PASSWORD, now=NOW) is user
    assert user.last_login_at == NOW
    user.active = False
    assert authenticate(session, "pio@metro911.gov", PASSWORD, now=NOW) is None


def test_an_api_token_finds_its_user_until_revoked(session, make) -> None:
    user = make.user("pio")
    token = create_api_token(session, user, now=NOW, name="newsroom script")
    assert token.startswith("tf_")
    assert user_for_token(session, token, now=NOW) is user
    assert user_for_token(session, token + "x", now=NOW) is None
    row = session.scalars(select(ApiToken)).one()
    assert token not in row.token_hash and row.prefix == token[:8]
    row.revoked_at = NOW
    assert user_for_token(session, token, now=NOW) is None


def test_looking_up_a_token_writes_nothing(session, make) -> None:
    user = make.user("pio")
    token = create_api_token(session, user, now=NOW)
    session.flush()
    assert user_for_token(session, token) is user
    assert not session.dirty and session.scalars(select(ApiToken)).one().last_used_at is None


def test_token_uses_are_stamped_in_one_statement_and_never_move_backwards(session, make) -> None:
    first, second = make.user("pio"), make.user("approver")
    create_api_token(session, first, now=NOW)
    create_api_token(session, second, now=NOW)
    one, two = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    later = NOW + timedelta(minutes=5)
    record_token_uses(session, {one.id: later, two.id: NOW})
    record_token_uses(session, {one.id: NOW})  # an older flush, from another process
    session.expire_all()
    assert [t.last_used_at for t in session.scalars(select(ApiToken).order_by(ApiToken.id))] \
        == [later, NOW]