"""Who is calling the simulated X API: OAuth 1.0a headers, OAuth 2.0 tokens, and users.

The simulator keeps no token table. Every OAuth 2.0 artefact it hands out (authorization
code, access token, refresh token) is a signed, self-describing string: the payload says
whose it is, for which app and grant, and until when. What *does* change over time — a
code or refresh token that was used, an access token that was revoked — goes into the
shared revocation set (``SimState.revoke``), so ``/_sim/reset`` and persistence cover it.
Tests may mint tokens in-process with :func:`issue_tokens` (the "registered" tokens):
they are checked exactly like the ones the token endpoint issues.

OAuth 1.0a: the ``Authorization: OAuth ...`` header must carry ``oauth_consumer_key``,
``oauth_token``, ``oauth_signature``, ``oauth_signature_method=HMAC-SHA1``, ``oauth_nonce``
and an ``oauth_timestamp`` within 15 minutes of now. The signature itself is **not**
verified (the simulator does not know the app's or user's secrets). The user is named by
the access token: ``<username>-<anything>`` (a numeric prefix is a user id, as on real X).
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
from urllib.parse import unquote

from flask import g, request

from simulator.auth import authenticate
from simulator.context import sim_state
from simulator.platform import ApiError

NAME = "x"
#: Signs the simulator's own fake tokens; not a credential of anything real.
_SIGNING_KEY = b"tenfour-simulator-x-tokens"
ACCESS_TOKEN_SECONDS = 7200  # X's OAuth 2.0 access tokens last two hours
CODE_SECONDS = 30  # X's authorization codes are valid for 30 seconds
OAUTH1_CLOCK_SKEW = 15 * 60
KNOWN_SCOPES = frozenset({
    "tweet.read", "tweet.write", "tweet.moderate.write", "users.read", "follows.read",
    "follows.write", "offline.access", "space.read", "mute.read", "mute.write", "like.read",
    "like.write", "list.read", "list.write", "block.read", "block.write", "bookmark.read",
    "bookmark.write", "media.write",
})
HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


# -- users ------------------------------------------------------------------------------
@dataclass(frozen=True)
class XUser:
    id: str
    username: str
    name: str


def user_id_for(username: str) -> str:
    """A stable 18-digit id per username, like X's snowflake user ids."""
    digest = hashlib.sha256(username.lower().encode()).digest()
    return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))


def user_named(username: str) -> XUser:
    return XUser(user_id_for(username), username, username.replace("_", " ").title())


def _user_from_oauth1_token(token: str) -> XUser:
    prefix = token.split("-", 1)[0]
    if prefix.isdigit():
        return XUser(prefix, f"user{prefix}"[:15], f"User {prefix}")
    return user_named(prefix if HANDLE_RE.match(prefix) else "sim_user")


# -- signed tokens ----------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(_SIGNING_KEY, body.encode(), hashlib.sha256).digest()[:18])
    return f"{body}.{mac}"


def open_token(token: str, kind: str) -> dict | None:
    """The payload of a token the simulator signed, of the given kind; None if forged."""
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(_SIGNING_KEY, body.encode(), hashlib.sha256).digest()[:18])
    if not mac or not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) and payload.get("k") == kind else None


def issue_tokens(username: str, client_id: str, *, scope: str, grant: str | None = None,
                 expires_in: int = ACCESS_TOKEN_SECONDS) -> dict:
    """X's token response for a new access token (and a refresh token with offline.access).

    ``expires_in`` may be negative: tests use that to get an already expired token.
    """
    grant = grant or secrets.token_hex(8)
    common = {"u": username, "c": client_id, "g": grant, "s": scope}
    body = {
        "token_type": "bearer",
        "expires_in": expires_in,
        "access_token": sign({**common, "k": "a", "e": int(time.time()) + expires_in,
                              "n": secrets.token_hex(6)}),
        "scope": scope,
    }
    if "offline.access" in scope.split():
        body["refresh_token"] = sign({**common, "k": "r", "n": secrets.token_hex(6)})
    return body


def issue_code(*, username: str, client_id: str, redirect_uri: str, scope: str,
               challenge: str, method: str) -> str:
    return sign({"k": "c", "u": username, "c": client_id, "ru": redirect_uri, "s": scope,
                 "ch": challenge, "cm": method, "e": int(time.time()) + CODE_SECONDS,
                 "n": secrets.token_hex(6)})


def grant_revoked(grant: str) -> bool:
    """A revoked access token ends its whole grant (the user removed the app)."""
    state = sim_state()
    with state.lock:
        revoked = list(state.revoked.get(NAME, ()))
    return any((open_token(t, "a") or {}).get("g") == grant for t in revoked)


# -- authenticating an API request ------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    user: XUser
    token: str
    scopes: frozenset[str] | None  # None: OAuth 1.0a (the app's permissions apply)

    def require_scope(self, *scopes: str) -> None:
        missing = [s for s in scopes if self.scopes is not None and s not in self.scopes]
        if missing:
            raise ApiError(403, "forbidden",
                           f"The access token is missing the scope {', '.join(missing)}.")


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "Unauthorized")


def _oauth1_params(header: str) -> dict[str, str]:
    params = {}
    for part in header[len("OAuth "):].split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            params[unquote(key.strip())] = unquote(value.strip().strip('"'))
    return params


def _oauth1_caller(header: str) -> Caller:
    params = _oauth1_params(header)
    required = ("oauth_consumer_key", "oauth_token", "oauth_signature", "oauth_nonce",
                "oauth_timestamp", "oauth_signature_method")
    if not all(params.get(k) for k in required):
        raise _unauthorized()
    if params["oauth_signature_method"] != "HMAC-SHA1" or not params["oauth_timestamp"].isdigit():
        raise _unauthorized()
    if abs(int(params["oauth_timestamp"]) - time.time()) > OAUTH1_CLOCK_SKEW:
        raise _unauthorized()
    token = params["oauth_token"]
    _authenticate(token)
    return Caller(_user_from_oauth1_token(token), token, None)


def _oauth2_caller(token: str) -> Caller:
    payload = open_token(token, "a")
    if payload is None or payload.get("e", 0) <= time.time():
        raise _unauthorized()
    _authenticate(token)
    username = payload["u"]
    return Caller(user_named(username), token, frozenset(payload.get("s", "").split()))


def _authenticate(token: str) -> None:
    try:
        authenticate(NAME, token)
    except ApiError:
        raise _unauthorized() from None


def require_caller() -> Caller:
    """The user behind this request (OAuth 1.0a user context or an OAuth 2.0 user token)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("OAuth "):
        caller = _oauth1_caller(header)
    elif header[:7].lower() == "bearer " and header[7:].strip():
        caller = _oauth2_caller(header[7:].strip())
    else:
        raise _unauthorized()
    g.x_caller = caller
    return caller
