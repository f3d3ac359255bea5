"""Single sign-on (OpenID Connect): whom an identity provider's answer signs in, and as what.

The web side (:mod:`web.sso`) runs the browser redirect flow with Authlib, which checks the ID
token's signature, issuer, audience, expiry and nonce; this module gets the verified claims and
decides, in the caller's transaction:

- **who**: the Tenfour user with the claimed e-mail (the e-mail must be one the provider
  verified). Local passwords keep working for the same user and for centers without SSO.
- **as what**: each agency maps identity-provider groups to its roles (agency settings). When a
  user's groups map to a role, they sign in with it (the highest, if several map), so a change
  made in Entra ID, Google Workspace or Okta reaches Tenfour at the next sign-in. Groups that
  map to nothing leave the role as it is. The owner's role and an agency's last admin are never
  changed this way.
- **someone new**: a person without a Tenfour account whose groups map to a role in exactly one
  agency gets an account there (with an unusable random password); otherwise they are refused
  with what to ask for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import Conflict, ValidationFailed
from content_queue.models import ROLES, Agency, User
from content_queue.passwords import generate_password
from content_queue.users import EMAIL_RE, OWNER, audit, change_role, create_user, find_user

#: Roles from the least to the most privileged: a user in several mapped groups gets the last.
PRIVILEGE = ("viewer", "pio", "approver", "admin")
MAX_MAPPINGS = 100
MAX_GROUP = 200
#: Groups kept in the sign-in's audit entry (a user can be in hundreds).
AUDITED_GROUPS = 20


class SsoRefused(Exception):
    """The provider's answer does not sign anyone in; ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Identity:
    """What a verified ID token (or the userinfo answer) says about the person."""

    email: str
    name: str
    groups: tuple[str, ...]
    issuer: str = ""
    subject: str = ""

    @classmethod
    def from_claims(cls, claims: Mapping, *, groups_claim: str = "groups") -> "Identity":
        email = str(claims.get("email") or "").strip().lower()
        if not EMAIL_RE.match(email):
            raise SsoRefused("Your identity provider did not send an e-mail address, so Tenfour "
                             "cannot tell who you are. Ask your IT team to release the "
                             "'email' claim to Tenfour.")
        if claims.get("email_verified") is False:
            raise SsoRefused(f"Your identity provider has not verified {email}; Tenfour signs "
                             "in verified addresses only.")
        raw = claims.get(groups_claim) or ()
        if isinstance(raw, str):
            raw = [raw]
        groups = tuple(dict.fromkeys(str(g).strip() for g in raw if str(g).strip()))
        return cls(email=email, name=str(claims.get("name") or "").strip()[:200], groups=groups,
                   issuer=str(claims.get("iss") or ""), subject=str(claims.get("sub") or ""))


# --- an agency's group → role map ------------------------------------------------------------


def parse_group_roles(text: str) -> dict[str, str]:
    """``group = role`` lines (blank lines and ``#`` comments ignored) → {group: role}; every
    bad line is named in one :class:`ValidationFailed`."""
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        group, sep, role = line.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group:
            problems.append(f"line {number}: write it as 'group = role'")
        elif len(group) > MAX_GROUP:
            problems.append(f"line {number}: a group name is at most {MAX_GROUP} characters")
        elif role not in ROLES:
            problems.append(f"line {number}: '{role[:40]}' is not a role; use "
                            f"{', '.join(ROLES)}")
        elif group in mapping and mapping[group] != role:
            problems.append(f"line {number}: {group} is already mapped to {mapping[group]}")
        else:
            mapping[group] = role
    if len(mapping) > MAX_MAPPINGS:
        problems.append(f"at most {MAX_MAPPINGS} groups can be mapped")
    if problems:
        raise ValidationFailed("The group mapping was not saved: " + "; ".join(problems) + ".",
                               fields={"group_roles": "; ".join(problems)})
    return mapping


def format_group_roles(mapping: Mapping[str, str] | None) -> str:
    return "\n".join(f"{group} = {role}" for group, role in (mapping or {}).items())


def save_group_roles(session: Session, agency: Agency, mapping: Mapping[str, str], *,
                     actor: User, now: datetime) -> None:
    before = dict(agency.sso_group_roles or {})
    agency.sso_group_roles = dict(mapping)
    audit(session, "agency.sso_groups_updated", actor_id=actor.id, entity_type="agency",
          entity_id=agency.id, now=now, details={"before": before, "after": dict(mapping)})


def role_for(mapping: Mapping[str, str] | None, groups: Iterable[str]) -> str | None:
    """The most privileged role ``groups`` map to, or None when none is mapped."""
    mapped = [mapping[g] for g in groups if mapping and g in mapping]
    return max(mapped, key=PRIVILEGE.index) if mapped else None


# --- signing in ------------------------------------------------------------------------------


def sign_in(session: Session, identity: Identity, *, now: datetime) -> User:
    """The user ``identity`` signs in as (found, updated or created); raises
    :class:`SsoRefused`. ``session`` must see every agency (nobody is signed in yet)."""
    user = find_user(session, identity.email)
    if user is None:
        user = _create_from_groups(session, identity, now=now)
        how = "created"
    elif not user.active:
        raise SsoRefused(f"The Tenfour account {identity.email} is deactivated. Ask your "
                         "agency's admin to reactivate it.")
    else:
        how = _apply_groups(session, user, identity, now=now)
    user.last_login_at = now
    audit(session, "auth.sso_signed_in", actor_id=user.id, entity_type="user", entity_id=user.id,
          now=now, details={"issuer": identity.issuer, "subject": identity.subject,
                            "groups": list(identity.groups[:AUDITED_GROUPS]), "role": user.role,
                            "account": how})
    return user


def _apply_groups(session: Session, user: User, identity: Identity, *, now: datetime) -> str:
    if user.role == OWNER:
        return "found"
    agency = session.get(Agency, user.agency_id)
    role = role_for(agency.sso_group_roles if agency else None, identity.groups)
    if role is None or role == user.role:
        return "found"
    try:
        change_role(session, user, role, actor=user, now=now)
    except Conflict:  # the agency's last admin stays admin, whatever the groups say
        return "found"
    return "role_from_groups"


def _create_from_groups(session: Session, identity: Identity, *, now: datetime) -> User:
    offers = []
    for agency in session.scalars(select(Agency).order_by(Agency.id)):
        role = role_for(agency.sso_group_roles, identity.groups)
        if role is not None:
            offers.append((agency, role))
    if not offers:
        groups = ", ".join(identity.groups[:5]) or "none"
        raise SsoRefused(f"No Tenfour account uses {identity.email}, and none of your groups "
                         f"({groups}) has a role in an agency. Ask your agency's admin to add "
                         "you, or to map one of your groups to a role.")
    if len(offers) > 1:
        names = ", ".join(agency.name for agency, _ in offers)
        raise SsoRefused(f"Your groups give you a role in more than one agency ({names}). "
                         "Ask the installation's owner to add you to the right one.")
    agency, role = offers[0]
    return create_user(session, agency_id=agency.id, email=identity.email, role=role,
                       password=generate_password(), now=now,
                       display_name=identity.name or identity.email.split("@")[0])
