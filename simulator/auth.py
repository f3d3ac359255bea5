"""Token checks shared by every platform: any non-empty token works unless revoked.

The simulator does not model real OAuth; what Tenfour must handle is the
*absence* of a token and a token that stops working (``token_revoked``), which
the control API and the ``revoke_token`` fault produce on demand.
"""

from __future__ import annotations

from flask import g, request

from simulator.context import sim_state
from simulator.platform import ApiError


def bearer_token() -> str | None:
    """The token from ``Authorization: Bearer <token>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(platform: str, token: str | None) -> str:
    """Accept ``token`` for ``platform`` or raise a 401 ``ApiError``.

    Platforms that carry the token elsewhere (Facebook's ``access_token``
    parameter) extract it themselves and call this. The accepted token is kept
    on ``g`` so the fault hook can revoke it and rate limiting can count it.
    """
    if not token:
        raise ApiError(401, "unauthorized", "An access token is required: send Authorization: Bearer <token>.")
    if sim_state().is_revoked(platform, token):
        raise ApiError(401, "token_revoked", "This access token has been revoked; reconnect the account.")
    g.sim_token = token
    return token


def require_bearer(platform: str) -> str:
    """The common case: a bearer token in the Authorization header."""
    return authenticate(platform, bearer_token())


def current_token() -> str | None:
    """The token accepted for this request, else whatever bearer token was sent."""
    token: str | None = g.get("sim_token")
    return token or bearer_token()
