"""Bluesky sessions for the simulator: app passwords, access and refresh JWTs, identities.

A session is what ``com.atproto.server.createSession`` returns: an access JWT (2 hours) and a
refresh JWT (90 days), both HS256-signed with a key made when the simulator starts (so a
restart invalidates every session, as a PDS key rotation would). Token times run on the
simulator's clock: ``/_sim/clock`` ages sessions as it ages posts, which is how a test makes an
access JWT expire without waiting two hours (the client still believes it is fresh).

Each JWT carries private ``cred`` and ``handle`` claims: the app password it came from (a
hash) and the account's handle, so sessions survive ``/_sim/reset`` like the account does. Revoking that
app password — ``POST /_sim/revoke {"platform": "bluesky", "token": "<app password>"}`` or a
``revoke_token`` fault — ends every session made from it at once, and ``createSession`` then
refuses the password. (A real PDS deletes the refresh tokens; an access JWT it already issued
may keep working until it expires.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import g

from simulator.auth import bearer_token
from simulator.context import sim_state
from simulator.platform import ApiError

NAME = "bluesky"
ACCESS_SCOPES = ("com.atproto.appPass", "com.atproto.access")
REFRESH_SCOPE = "com.atproto.refresh"
ACCESS_SECONDS = 2 * 3600
REFRESH_SECONDS = 90 * 86400
SERVICE_DID = "did:web:pds.bsky.example"
HANDLE_RE = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class Session:
    did: str
    handle: str
    cred: str


def sim_now() -> float:
    """Wall time plus the simulator's clock offset: what token expiry is judged against."""
    return time.time() + sim_state().clock_offset


# -- identities -------------------------------------------------------------------------------
def did_for(handle: str) -> str:
    """A stable ``did:plc`` per handle (24 base32 characters, like the real ones)."""
    digest = hashlib.sha256(handle.lower().encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def handle_from_identifier(identifier: str) -> str | None:
    """``createSession`` takes a handle, an email or a DID; the simulator maps each to a handle."""
    ident = identifier.strip().lstrip("@").lower()
    if ident.startswith("did:"):
        return handle_of(ident)
    if "@" in ident:
        ident = ident.split("@", 1)[0] + ".bsky.social"
    if "." not in ident:
        ident += ".bsky.social"
    return ident if HANDLE_RE.match(ident) else None


def register(did: str, handle: str) -> None:
    state = sim_state()
    with state.lock:
        state.platform_data(NAME).setdefault("accounts", {})[did] = handle


def handle_of(did: str) -> str | None:
    state = sim_state()
    with state.lock:
        return state.platform_data(NAME).get("accounts", {}).get(did)


def resolve_actor(actor: str) -> tuple[str, str] | None:
    """(did, handle) for a handle or a known DID."""
    actor = actor.strip().lstrip("@")
    if actor.startswith("did:"):
        handle = handle_of(actor)
        return (actor, handle) if handle else None
    if not HANDLE_RE.match(actor):
        return None
    return did_for(actor), actor.lower()


# -- app passwords ----------------------------------------------------------------------------
def credential(did: str, password: str) -> str:
    return hashlib.sha256(f"{did}:{password}".encode()).hexdigest()[:32]


def credential_revoked(did: str, cred: str) -> bool:
    state = sim_state()
    with state.lock:
        revoked = set(state.revoked.get(NAME, set()))
    return f"cred:{cred}" in revoked or any(credential(did, token) == cred for token in revoked)


# -- JWTs -------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jwt(payload: dict[str, Any], typ: str) -> str:
    header = _b64(json.dumps({"typ": typ, "alg": "HS256"}).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(_KEY, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def decode_jwt(token: str) -> dict[str, Any]:
    try:
        header, body, signature = token.split(".")
        expected = hmac.new(_KEY, f"{header}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise ValueError("bad signature")
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        raise ApiError(400, "InvalidToken", "Token could not be verified") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "InvalidToken", "Token could not be verified")
    return payload


def issue_session(did: str, handle: str, cred: str) -> dict[str, Any]:
    """The body of createSession / refreshSession (no ``didDoc``: the client keeps our URL)."""
    now = int(sim_now())
    access = encode_jwt({"scope": ACCESS_SCOPES[0], "sub": did, "aud": SERVICE_DID, "iat": now,
                         "exp": now + ACCESS_SECONDS, "cred": cred, "handle": handle}, "at+jwt")
    refresh = encode_jwt({"scope": REFRESH_SCOPE, "sub": did, "aud": SERVICE_DID,
                          "jti": secrets.token_urlsafe(16), "iat": now, "exp": now + REFRESH_SECONDS,
                          "cred": cred, "handle": handle}, "refresh+jwt")
    register(did, handle)
    return {"accessJwt": access, "refreshJwt": refresh, "handle": handle, "did": did,
            "email": f"{handle.split('.')[0]}@example.org", "emailConfirmed": True, "active": True}


def require_session(*, refresh: bool = False) -> Session:
    """The session behind ``Authorization: Bearer <jwt>``, or the PDS's error."""
    token = bearer_token()
    if token is None:
        raise ApiError(401, "AuthenticationRequired", "Authentication Required")
    payload = decode_jwt(token)
    scopes = (REFRESH_SCOPE,) if refresh else ACCESS_SCOPES
    if payload.get("scope") not in scopes:
        raise ApiError(400, "InvalidToken", "Bad token scope")
    did, cred = str(payload.get("sub", "")), str(payload.get("cred", ""))
    g.sim_token = f"cred:{cred}"  # faults revoke, and rate limits count, per app password
    exp = payload.get("exp")
    if not isinstance(exp, int) or exp <= sim_now():
        raise ApiError(400, "ExpiredToken", "Token has expired")
    if credential_revoked(did, cred):
        raise ApiError(400, "ExpiredToken", "Token has been revoked")
    handle = str(payload.get("handle") or "")
    if not did.startswith("did:") or not HANDLE_RE.match(handle):
        raise ApiError(400, "InvalidToken", "Token could not be verified")
    register(did, handle)  # the account outlives a /_sim/reset, as its tokens do
    return Session(did, handle, cred)
