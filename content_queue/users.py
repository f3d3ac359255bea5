"""Agencies, users and API tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from content_queue.errors import Conflict, ValidationFailed
from content_queue.models import ROLES, Agency, ApiToken, AuditEvent, User
from content_queue.passwords import (
    MAX_PASSWORD,
    hash_password,
    hash_token,
    new_api_token,
    password_problem,
    spend_verify_time,
    verify_password,
)
from content_queue.sessions import end_sessions
from content_queue.timeutil import LocalTimeError, zone

#: The installation's operator: above the agencies (creates them and their first admin).
OWNER = "owner"
ALL_ROLES = (*ROLES, OWNER)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def audit(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    entity_type: str,
    entity_id: int | None,
    now: datetime,
    details: dict | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details=details or {},
            created_at=now,
        )
    )


def get_or_create_agency(session: Session, name: str, timezone_name: str, now: datetime) -> Agency:
    """The single-agency default: the first agency, created on first use."""
    agency = session.scalars(select(Agency).order_by(Agency.id).limit(1)).first()
    if agency:
        return agency
    try:
        zone(timezone_name)
    except LocalTimeError as exc:
        raise ValidationFailed(str(exc), fields={"timezone": str(exc)}) from None
    agency = Agency(name=name, timezone=timezone_name, created_at=now)
    session.add(agency)
    session.flush()
    audit(session, "agency.created", actor_id=None, entity_type="agency", entity_id=agency.id,
          now=now, details={"name": name, "timezone": timezone_name})
    return agency


def create_user(
    session: Session,
    *,
    agency_id: int,
    email: str,
    role: str,
    password: str,
    now: datetime,
    display_name: str = "",
    actor_id: int | None = None,
) -> User:
    email = email.strip().lower()
    fields = {}
    if not EMAIL_RE.match(email):
        fields["email"] = "Enter an email address such as pio@county911.gov."
    if role not in ALL_ROLES:
        fields["role"] = f"Role must be one of: {', '.join(ALL_ROLES)}."
    problem = password_problem(password, email=email)
    if problem:
        fields["password"] = problem
    if fields:
        raise ValidationFailed("The user could not be created.", fields=fields)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict(f"A user with the email {email} already exists.", code="email_taken",
                       fields={"email": "Already in use."})
    user = User(agency_id=agency_id, email=email, role=role, password_hash=hash_password(password),
                display_name=display_name or email.split("@")[0], active=True, created_at=now)
    session.add(user)
    session.flush()
    audit(session, "user.created", actor_id=actor_id, entity_type="user", entity_id=user.id,
          now=now, details={"email": email, "role": role})
    return user


def set_password(session: Session, user: User, password: str, *, now: datetime,
                 actor_id: int | None = None, revoke_tokens: bool = True) -> int:
    """Set a new password; every session of the user ends, and (unless ``revoke_tokens`` is
    False) so do their API tokens. Returns how many tokens were revoked."""
    problem = password_problem(password, email=user.email)
    if problem:
        raise ValidationFailed(f"The password was not set: {problem}", code="weak_password",
                               fields={"password": problem})
    user.password_hash = hash_password(password)
    end_sessions(user)
    revoked = revoke_user_tokens(session, user, now=now) if revoke_tokens else 0
    audit(session, "user.password_set", actor_id=actor_id, entity_type="user", entity_id=user.id,
          now=now, details={"tokens_revoked": revoked})
    return revoked


def revoke_user_tokens(session: Session, user: User, *, now: datetime) -> int:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                  ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User | None:
    if len(password) > MAX_PASSWORD:  # refused before any hashing
        return None
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        spend_verify_time(password)  # as long as a wrong password takes
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    user.last_login_at = now
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def create_api_token(session: Session, user: User, *, now: datetime, name: str = "") -> str:
    """Create a token and return it in plain text: the only time it can be seen."""
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name, token_hash=hash_token(token),
                         prefix=token[:8], created_at=now))
    audit(session, "token.created", actor_id=user.id, entity_type="user", entity_id=user.id,
          now=now, details={"name": name, "prefix": token[:8]})
    session.flush()
    return token


def find_api_token(session: Session, token: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token (not revoked, not expired, its user active) for ``token``, or None. Only
    reads: an API read must never need the write lock, so the token's use is stamped elsewhere
    (:func:`record_token_uses`)."""
    row, problem = check_api_token(session, token, now=now)
    return row if problem is None else None


def check_api_token(session: Session, token: str, *,
                    now: datetime | None = None) -> tuple[ApiToken | None, str | None]:
    """``(row, None)`` for a live token, else ``(row or None, why it is refused)`` in words for
    the person holding it (they hold the token, so saying "revoked" tells them nothing new)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))
                          .options(joinedload(ApiToken.user))).first()  # one statement, not two
    if row is None:
        return None, "The API token is unknown."
    if row.revoked_at is not None:
        return row, "This API token has been revoked; create a new one on your page (Me)."
    if now is not None and row.expires_at is not None and row.expires_at <= now:
        return row, "This API token has expired; create a new one on your page (Me)."
    if not row.user.active:
        return row, "This API token's user is deactivated."
    return row, None


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The active user a live ``token`` belongs to, or None (``now`` is accepted for older
    callers; looking a token up no longer stamps it)."""
    row = find_api_token(session, token)
    return row.user if row is not None else None


def record_token_uses(session: Session, uses: Mapping[int, datetime]) -> None:
    """Stamp ``last_used_at`` for many tokens in one statement (token id → time of use).

    A stamp never moves backwards, so flushes from several processes can land in any order.
    """
    if not uses:
        return
    table = ApiToken.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("token_id"),
               or_(table.c.last_used_at.is_(None), table.c.last_used_at < bindparam("used_at")))
        .values(last_used_at=bindparam("used_at"))
    )
    session.connection().execute(
        statement, [{"token_id": token_id, "used_at": used_at}
                    for token_id, used_at in sorted(uses.items())])


# ---- issue 11: managing users and tokens (admin pages, own page, API) ----------------------

#: Roles an agency admin may give (the owner role is given only by the CLI).
AGENCY_ROLES = ROLES
MAX_TOKEN_NAME = 200


def list_users(session: Session) -> list[User]:
    """The users the session sees (a web session is scoped to one agency)."""
    return list(session.scalars(select(User).where(User.role != OWNER).order_by(User.email)))


def _not_last_admin(session: Session, user: User) -> None:
    if user.role != "admin" or not user.active:
        return
    admins = session.scalar(select(func.count()).select_from(User).where(
        User.agency_id == user.agency_id, User.role == "admin", User.active.is_(True)))
    if admins <= 1:
        raise Conflict("This is the agency's last active admin; make another user admin first.",
                       code="last_admin")


def change_role(session: Session, user: User, role: str, *, actor: User, now: datetime) -> None:
    if role not in AGENCY_ROLES:
        raise ValidationFailed(f"Role must be one of: {', '.join(AGENCY_ROLES)}.",
                               fields={"role": "Choose admin, approver, pio or viewer."})
    if role == user.role:
        return
    if user.role == OWNER:
        raise Conflict("The owner's role is changed with the CLI only.", code="owner_role")
    if role != "admin":
        _not_last_admin(session, user)
    before = user.role
    user.role = role
    audit(session, "user.role_changed", actor_id=actor.id, entity_type="user",
          entity_id=user.id, now=now, details={"from": before, "to": role})


def set_active(session: Session, user: User, active: bool, *, actor: User,
               now: datetime) -> None:
    """Deactivate (sessions end, tokens stop working) or reactivate; never a hard delete, so
    the user's posts and audit entries keep their name."""
    if bool(user.active) == active:
        return
    if not active:
        if user.id == actor.id:
            raise Conflict("You cannot deactivate yourself.", code="self_deactivate")
        _not_last_admin(session, user)
        end_sessions(user)
    user.active = active
    audit(session, "user.activated" if active else "user.deactivated", actor_id=actor.id,
          entity_type="user", entity_id=user.id, now=now)


def reset_password(session: Session, user: User, *, actor: User, now: datetime) -> str:
    """A generated password, returned once (shown to the admin, never stored in clear); the
    user's sessions and API tokens end."""
    from content_queue.passwords import generate_password

    password = generate_password()
    set_password(session, user, password, now=now, actor_id=actor.id, revoke_tokens=True)
    audit(session, "user.password_reset", actor_id=actor.id, entity_type="user",
          entity_id=user.id, now=now)
    return password


def change_own_password(session: Session, user: User, *, current: str, new: str,
                        now: datetime, revoke_tokens: bool = True) -> int:
    if not verify_password(current or "", user.password_hash):
        raise ValidationFailed("Your current password is not right.", code="wrong_password",
                               fields={"current_password": "Not your current password."})
    return set_password(session, user, new, now=now, actor_id=user.id,
                        revoke_tokens=revoke_tokens)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_named_token(session: Session, user: User, name: str, *, now: datetime,
                       expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` (it acts with the user's role); the plain token is returned
    once and only its hash is kept."""
    name = (name or "").strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        raise ValidationFailed("Give the token a name that says where it is used.",
                               fields={"name": f"Required, at most {MAX_TOKEN_NAME} characters."})
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("The expiry date must be in the future.",
                               fields={"expires_at": "Must be in the future."})
    token = create_api_token(session, user, now=now, name=name)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
    row.expires_at = expires_at
    return row, token


def revoke_token(session: Session, row: ApiToken, *, actor: User, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        audit(session, "token.revoked", actor_id=actor.id, entity_type="user",
              entity_id=row.user_id, now=now, details={"name": row.name, "prefix": row.prefix})
