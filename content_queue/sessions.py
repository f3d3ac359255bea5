"""Browser sessions that end on the server.

A session cookie carries the user's id and their ``session_version``; the web app loads the
user on every request and refuses the cookie unless the version still matches. Raising the
version (logout, a password change, deactivation) therefore ends every session issued before,
including a copied cookie, without a session table to keep or sweep. Idle expiry is the web
layer's (the last request's time travels in the signed cookie).
"""

from __future__ import annotations

from content_queue.models import User


def session_key(user: User) -> str:
    """What the session cookie stores for ``user``: ``"<id>.<session_version>"``."""
    return f"{user.id}.{user.session_version or 0}"


def parse_session_key(key: str) -> tuple[int, int] | None:
    raw_id, _, raw_version = key.partition(".")
    if not raw_id.isdigit() or not raw_version.isdigit():
        return None
    return int(raw_id), int(raw_version)


def end_sessions(user: User) -> None:
    """Every session of ``user`` opened before this call stops working (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1
