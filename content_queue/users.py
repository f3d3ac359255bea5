"""Agencies, users and API tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

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
from content_queue.timeutil import LocalTimeError, zone

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
    if role not in ROLES:
        fields["role"] = f"Role must be one of: {', '.join(ROLES)}."
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
                 actor_id: int | None = None) -> None:
    problem = password_problem(password, email=user.email)
    if problem:
        raise ValidationFailed(f"The password was not set: {problem}", code="weak_password",
                               fields={"password": problem})
    user.password_hash = hash_password(password)
    audit(session, "user.password_set", actor_id=actor_id, entity_type="user", entity_id=user.id,
          now=now)


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


def find_api_token(session: Session, token: str) -> ApiToken | None:
    """The live token (not revoked, its user active) for ``token``, or None. Only reads: an API
    read must never need the write lock, so the token's use is stamped elsewhere
    (:func:`record_token_uses`)."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                               ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row.user.active:
        return None
    return row


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
