"""What every accounts page and connect flow needs: the admin check, the account lookup, the
platform's name, and holding the database correctly around a call to a platform.

Anything that talks to a platform goes through ``state.linker``; before such a call the
request's transaction is ended (:func:`release_database`), so a slow platform never holds
SQLite's write lock, and what the answer changes is saved in a short transaction of its own
(:func:`write_transaction`).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import abort
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from content_queue.accounts import get_account
from content_queue.errors import ServiceError
from content_queue.models import SocialAccount, User
from content_queue.platforms import RULES
from web.common.auth import current_actor
from web.common.state import discard_changes, get_session, get_state


def require_admin(message: str = "Only an admin can connect or change social accounts.") -> None:
    if not current_user.is_admin:
        abort(403, message)


def platform_name(platform: str) -> str:
    rules = RULES.get(platform)
    return rules.label if rules else platform


def account_or_404(account_id: int) -> SocialAccount:
    """One of the logged-in user's agency accounts."""
    try:
        return get_account(get_session(), current_actor().agency_id, account_id)
    except ServiceError:
        abort(404)


def release_database() -> None:
    """End this request's transaction before calling a platform, so a slow answer never holds
    a database lock (on SQLite a form post's transaction is a write lock).

    Committing an unchanged session ends its transaction and, as the app's sessions do not
    expire on commit, keeps the rows already loaded usable without another query."""
    session = get_session()
    if session.new or session.dirty or session.deleted:
        discard_changes()
    else:
        session.commit()


@contextmanager
def write_transaction() -> Iterator[Session]:
    """A short write transaction of its own, committed at the end of the block: for what a
    platform's answer changes, also from GET requests (the OAuth callback)."""
    release_database()
    with get_state().db.session_scope() as session:
        yield session


def current_user_id() -> int:
    """The logged-in user's id, read without a query: if the request's transaction was rolled
    back the row is expired, and reloading it would open another transaction (and lock)."""
    return inspect(current_user.model).identity[0]


def actor_in(session: Session) -> User:
    """The logged-in user's row in ``session``."""
    return session.get(User, current_user_id())
