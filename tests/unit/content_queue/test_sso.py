"""Single sign-on's decisions (content_queue.sso): an agency's group → role map, and whom a
verified identity signs in as."""

from __future__ import annotations

import pytest

from content_queue.errors import ValidationFailed
from content_queue.models import AuditEvent, User
from content_queue.sso import (Identity, SsoRefused, format_group_roles, parse_group_roles,
                               role_for, save_group_roles, sign_in)
from tests.unit.conftest import NOW


def _identity(email: str, *groups: str, name: str = "") -> Identity:
    return Identity(email=email, name=name, groups=groups, issuer="https://idp.example",
                    subject="s-1")


def test_a_mapping_is_read_line_by_line_ignoring_comments_and_blank_lines() -> None:
    text = "# supervisors approve\n911-supervisors = approver\n\n  Dispatch Floor=Viewer \r\n"
    assert parse_group_roles(text) == {"911-supervisors": "approver", "Dispatch Floor": "viewer"}
    assert parse_group_roles(format_group_roles(parse_group_roles(text))) == \
        parse_group_roles(text)


def test_every_bad_line_is_named_in_one_refusal() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_group_roles("supervisors\na = boss\nb = owner\nc = pio\nc = admin")
    message = refused.value.message
    assert "line 1: write it as 'group = role'" in message
    assert "line 2: 'boss' is not a role" in message
    assert "line 3: 'owner' is not a role" in message  # nobody becomes owner through SSO
    assert "line 5: c is already mapped to pio" in message
    assert "line 4" not in message and set(refused.value.fields) == {"group_roles"}


def test_the_most_privileged_mapped_role_wins() -> None:
    mapping = {"all-staff": "viewer", "pio-team": "pio", "supervisors": "approver"}
    assert role_for(mapping, ["all-staff", "supervisors", "pio-team"]) == "approver"
    assert role_for(mapping, ["all-staff"]) == "viewer"
    assert role_for(mapping, ["other"]) is None and role_for(None, ["all-staff"]) is None


def test_saving_a_mapping_is_audited_with_before_and_after(session, make) -> None:
    admin = make.user("admin")
    agency = make.agency()
    save_group_roles(session, agency, {"sup": "approver"}, actor=admin, now=NOW)
    session.flush()
    event = session.query(AuditEvent).filter_by(action="agency.sso_groups_updated").one()
    assert event.details == {"before": {}, "after": {"sup": "approver"}}
    assert agency.sso_group_roles == {"sup": "approver"}


def test_a_known_user_gets_the_role_their_groups_map_to(session, make) -> None:
    make.user("admin")  # so the PIO is not the last admin of anything
    pio = make.user("pio")
    make.agency().sso_group_roles = {"911-supervisors": "approver"}
    signed_in = sign_in(session, _identity(pio.email, "911-supervisors"), now=NOW)
    assert signed_in.id == pio.id and signed_in.role == "approver"
    assert signed_in.last_login_at == NOW
    event = session.query(AuditEvent).filter_by(action="auth.sso_signed_in").one()
    assert event.details["groups"] == ["911-supervisors"] and event.details["role"] == "approver"


def test_groups_that_map_to_nothing_leave_the_role_alone(session, make) -> None:
    approver = make.user("approver")
    make.agency().sso_group_roles = {"911-supervisors": "approver"}
    assert sign_in(session, _identity(approver.email, "bowling-team"), now=NOW).role == \
        "approver"


def test_the_last_admin_stays_admin_whatever_the_groups_say(session, make) -> None:
    admin = make.user("admin")
    make.agency().sso_group_roles = {"everyone": "viewer"}
    assert sign_in(session, _identity(admin.email, "everyone"), now=NOW).role == "admin"


def test_a_person_new_to_tenfour_gets_an_account_where_their_group_maps(session, make) -> None:
    make.agency().sso_group_roles = {"pio-team": "pio"}
    other = make.agency(new=True)
    other.sso_group_roles = {"someone-else": "admin"}
    user = sign_in(session, _identity("New.Person@Metro911.gov", "pio-team", name="New Person"),
                   now=NOW)
    assert (user.email, user.role, user.agency_id, user.display_name) == \
        ("new.person@metro911.gov", "pio", make.agency().id, "New Person")


def test_a_stranger_is_refused_with_what_to_ask_for(session, make) -> None:
    make.agency().sso_group_roles = {"pio-team": "pio"}
    with pytest.raises(SsoRefused, match="none of your groups \\(visitors\\) has a role"):
        sign_in(session, _identity("sam@example.org", "visitors"), now=NOW)
    assert session.query(User).filter_by(email="sam@example.org").count() == 0


def test_groups_that_map_in_two_agencies_are_refused(session, make) -> None:
    make.agency().sso_group_roles = {"regional-pio": "pio"}
    make.agency(new=True).sso_group_roles = {"regional-pio": "viewer"}
    with pytest.raises(SsoRefused, match="more than one agency"):
        sign_in(session, _identity("pat@region.gov", "regional-pio"), now=NOW)


def test_a_deactivated_user_stays_out(session, make) -> None:
    pio = make.user("pio")
    pio.active = False
    with pytest.raises(SsoRefused, match="deactivated"):
        sign_in(session, _identity(pio.email), now=NOW)


def test_the_owner_signs_in_as_owner(session, make) -> None:
    owner = make.user("owner")
    make.agency().sso_group_roles = {"staff": "viewer"}
    assert sign_in(session, _identity(owner.email, "staff"), now=NOW).role == "owner"


@pytest.mark.parametrize("claims, reason", [
    ({"sub": "1"}, "did not send an e-mail address"),
    ({"email": "not-an-address"}, "did not send an e-mail address"),
    ({"email": "pat@metro911.gov", "email_verified": False}, "has not verified"),
])
def test_an_identity_needs_a_verified_email(claims, reason) -> None:
    with pytest.raises(SsoRefused, match=reason):
        Identity.from_claims(claims)


def test_groups_come_from_the_configured_claim_without_duplicates() -> None:
    identity = Identity.from_claims({"email": "A@B.gov", "roles": ["x", " x ", "", "y"],
                                     "groups": ["ignored"]}, groups_claim="roles")
    assert identity.email == "a@b.gov" and identity.groups == ("x", "y")
    assert Identity.from_claims({"email": "a@b.gov", "groups": "one"}).groups == ("one",)
