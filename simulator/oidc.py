"""A minimal OpenID Connect provider on the loopback, for single sign-on without an Entra ID,
Google Workspace or Okta tenant: `tenfour run` points Tenfour's SSO at it, and the tests sign
in through it with the real Authlib client and a real browser.

It speaks the standard authorization-code flow (with PKCE when the client sends a challenge):

- ``GET /oidc/.well-known/openid-configuration`` the discovery document
- ``GET /oidc/authorize`` a page where you choose who signs in (a sandbox person, or any
  e-mail and groups you type), then a redirect back with a one-time ``code``
- ``POST /oidc/token`` the code (client authenticated by Basic or form secret) for an access
  token and an RS256-signed ID token with ``email``, ``email_verified``, ``name``, ``groups``
- ``GET /oidc/jwks`` the signing key; ``GET /oidc/userinfo`` the claims for an access token

Codes live 60 s and work once; the key is made when the simulator starts. One client is
registered: :data:`CLIENT_ID` with :data:`CLIENT_SECRET` (what `tenfour run` configures).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode, urlsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from joserfc import jwt
from joserfc.jwk import RSAKey

from simulator.context import page, public_base

CLIENT_ID = "tenfour-sandbox"
CLIENT_SECRET = "tenfour-sandbox-secret"
CODE_SECONDS = 60
TOKEN_SECONDS = 3600
EXTENSION_KEY = "simulator.oidc"

#: The people the authorize page offers with one click (their groups match the demo agency's
#: mapping that `tenfour demo bootstrap` sets up).
SANDBOX_PEOPLE = (
    {"email": "avery.supervisor@metro911.gov", "name": "Avery Supervisor",
     "groups": ["911-supervisors"], "role_hint": "an approver in the demo agency"},
    {"email": "pat.pio@metro911.gov", "name": "Pat PIO", "groups": ["911-public-information"],
     "role_hint": "a PIO in the demo agency"},
    {"email": "dana.dispatcher@metro911.gov", "name": "Dana Dispatcher",
     "groups": ["911-telecommunicators"], "role_hint": "a viewer in the demo agency"},
    {"email": "sam.stranger@example.org", "name": "Sam Stranger", "groups": ["visitors"],
     "role_hint": "no role anywhere: refused"},
)

bp = Blueprint("oidc", __name__, url_prefix="/oidc")


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    claims: dict
    challenge: str | None
    expires: float


@dataclass
class OidcProvider:
    """The provider's state: its key, the codes not yet used and the access tokens issued."""

    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}))
    codes: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, tuple[dict, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = OidcProvider()
    app.register_blueprint(bp)


def _provider() -> OidcProvider:
    return current_app.extensions[EXTENSION_KEY]


def _issuer() -> str:
    return public_base() + "/oidc"


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/.well-known/openid-configuration")
def discovery():
    issuer = _issuer()
    return jsonify({
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "userinfo_endpoint": issuer + "/userinfo",
        "jwks_uri": issuer + "/jwks",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email",
                             "email_verified", "name", "groups"],
    })


@bp.get("/jwks")
def jwks():
    return jsonify(keys=[_provider().key.as_dict(private=False)])


def _authorize_problem(args) -> str | None:
    if args.get("client_id") != CLIENT_ID:
        return f"Unknown client_id {args.get('client_id', '')[:60]!r}; this provider knows " \
               f"{CLIENT_ID!r} only."
    if args.get("response_type") != "code":
        return "Only response_type=code is supported."
    if "openid" not in (args.get("scope") or "").split():
        return "The scope must include openid."
    target = urlsplit(args.get("redirect_uri") or "")
    if target.scheme not in ("http", "https") or not target.netloc:
        return "redirect_uri must be an absolute http(s) URL."
    if args.get("code_challenge") and args.get("code_challenge_method") != "S256":
        return "Only the S256 code challenge method is supported."
    return None


@bp.get("/authorize")
@page
def authorize():
    problem = _authorize_problem(request.args)
    if problem:
        return render_template("oidc_error.html", message=problem), 400
    return render_template("oidc_authorize.html", people=SANDBOX_PEOPLE, args=request.args,
                           client_id=CLIENT_ID)


@bp.post("/authorize")
@page
def authorize_decide():
    form = request.form
    problem = _authorize_problem(form)
    if problem:
        return render_template("oidc_error.html", message=problem), 400
    back = form["redirect_uri"]
    joiner = "&" if "?" in back else "?"
    state = {"state": form["state"]} if form.get("state") else {}
    if form.get("decision") == "deny":
        return redirect(back + joiner + urlencode({"error": "access_denied",
                                                   "error_description": "The person cancelled.",
                                                   **state}))
    email = (form.get("email") or "").strip().lower()
    if "@" not in email:
        return render_template("oidc_authorize.html", people=SANDBOX_PEOPLE, args=form,
                               client_id=CLIENT_ID, error="Enter an e-mail address."), 400
    groups = [g.strip() for g in (form.get("groups") or "").split(",") if g.strip()]
    claims = {"sub": hashlib.sha256(email.encode()).hexdigest()[:24], "email": email,
              "email_verified": form.get("unverified") != "1",
              "name": (form.get("name") or "").strip() or email.split("@")[0],
              "groups": groups}
    code = secrets.token_urlsafe(24)
    provider = _provider()
    with provider.lock:
        provider.codes[code] = _Grant(client_id=form["client_id"], redirect_uri=back,
                                      nonce=form.get("nonce") or None, claims=claims,
                                      challenge=form.get("code_challenge") or None,
                                      expires=time.time() + CODE_SECONDS)
    return redirect(back + joiner + urlencode({"code": code, **state}))


def _client_credentials() -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            raw = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = raw.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@bp.post("/token")
def token():
    client_id, secret = _client_credentials()
    if client_id != CLIENT_ID or not secrets.compare_digest(secret, CLIENT_SECRET):
        return _oauth_error(401, "invalid_client", "The client id or secret is wrong.")
    if request.form.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type", "Only authorization_code.")
    provider = _provider()
    with provider.lock:
        grant = provider.codes.pop(request.form.get("code", ""), None)  # once only
    if grant is None or grant.expires < time.time():
        return _oauth_error(400, "invalid_grant", "The code is unknown, used or expired.")
    if grant.redirect_uri != request.form.get("redirect_uri"):
        return _oauth_error(400, "invalid_grant", "redirect_uri differs from the authorize one.")
    if grant.challenge and _s256(request.form.get("code_verifier", "")) != grant.challenge:
        return _oauth_error(400, "invalid_grant", "The PKCE code_verifier does not match.")
    now = int(time.time())
    claims = {"iss": _issuer(), "aud": grant.client_id, "iat": now, "exp": now + TOKEN_SECONDS,
              "auth_time": now, **grant.claims}
    if grant.nonce:
        claims["nonce"] = grant.nonce
    access_token = secrets.token_urlsafe(24)
    with provider.lock:
        provider.access[access_token] = (grant.claims, time.time() + TOKEN_SECONDS)
    id_token = jwt.encode({"alg": "RS256", "kid": provider.key.kid}, claims, provider.key)
    response = jsonify(access_token=access_token, token_type="Bearer", expires_in=TOKEN_SECONDS,
                       id_token=id_token, scope="openid email profile")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/userinfo")
def userinfo():
    header = request.headers.get("Authorization", "")
    provider = _provider()
    with provider.lock:
        found = provider.access.get(header[7:]) if header.startswith("Bearer ") else None
    if found is None or found[1] < time.time():
        response = _oauth_error(401, "invalid_token", "Unknown or expired access token.")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return jsonify(found[0])
