"""X's OAuth 2.0 Authorization Code flow with PKCE: the consent page and the token endpoint.

``GET  /x/i/oauth2/authorize?response_type=code&client_id&redirect_uri&scope&state&
    code_challenge&code_challenge_method=S256|plain`` → the consent page (HTML; a bad
    request shows an error page, like X, instead of redirecting). The page names the user
    to sign in as (default ``metro911``) and has "Authorize app" and "Cancel" buttons.
``POST /x/i/oauth2/authorize`` (the page's form) → 302 to ``redirect_uri`` with ``code`` and
    ``state`` (or ``error=access_denied`` and ``state`` on cancel). Codes live 30 s, once.
``POST /x/2/oauth2/token`` form body; the client is named by HTTP Basic auth (confidential
    clients; the secret is not checked) or by ``client_id`` in the body (public clients).
    ``grant_type=authorization_code`` with ``code``, ``redirect_uri`` (same as before) and
    ``code_verifier`` (must match the challenge); ``grant_type=refresh_token`` with
    ``refresh_token`` — which rotates: the old refresh token stops working. A grant whose
    access token was revoked cannot be refreshed either.
    → 200 ``{"token_type": "bearer", "expires_in": 7200, "access_token", "scope",
    "refresh_token"}``; errors 400/401 ``{"error", "error_description"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode, urlparse

from flask import Blueprint, Response, jsonify, redirect, render_template_string, request

from simulator.context import page, sim_state
from simulator.platform import ApiError
from simulator.platforms.x_tokens import (
    HANDLE_RE,
    KNOWN_SCOPES,
    NAME,
    grant_revoked,
    issue_code,
    issue_tokens,
    open_token,
)

DEFAULT_USERNAME = "metro911"
AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                    "code_challenge", "code_challenge_method")

CONSENT_PAGE = """{% extends "base.html" %}
{% block title %}Authorize an app · X{% endblock %}
{% block content %}
{% if problem %}
<h1>Something went wrong</h1>
<p>{{ problem }}</p>
{% else %}
<h1>Authorize <strong>{{ params.client_id }}</strong> to use your X account?</h1>
<form method="post" action="{{ url_for('x.authorize_decision') }}">
  {% for key, value in params.items() %}<input type="hidden" name="{{ key }}" value="{{ value }}">
  {% endfor %}
  <p><label for="username">Signed in as @</label>
     <input id="username" name="username" value="{{ username }}" pattern="[A-Za-z0-9_]{1,15}" required></p>
  <p>This app will be able to:</p>
  <ul>{% for scope in scopes %}<li>{{ scope }}</li>{% endfor %}</ul>
  <p><button type="submit" name="decision" value="authorize">Authorize app</button>
     <button type="submit" name="decision" value="cancel">Cancel</button></p>
</form>
{% endif %}
{% endblock %}"""


def _problem(params: dict[str, str]) -> str | None:
    """Why X would refuse to show the consent screen for these parameters, if it would."""
    missing = [k for k in AUTHORIZE_FIELDS if not params.get(k)]
    if missing:
        return f"The request is missing {', '.join(missing)}."
    if params["response_type"] != "code":
        return "response_type must be code."
    if urlparse(params["redirect_uri"]).scheme not in ("http", "https"):
        return "redirect_uri must be an http(s) URL registered for the app."
    if params["code_challenge_method"] not in ("S256", "plain"):
        return "code_challenge_method must be S256 or plain."
    unknown = [s for s in params["scope"].split() if s not in KNOWN_SCOPES]
    if unknown:
        return f"Unknown scope: {', '.join(unknown)}."
    return None


def _consent(params: dict[str, str], username: str, status: int = 200) -> tuple[str, int]:
    problem = _problem(params)
    html = render_template_string(CONSENT_PAGE, params=params, problem=problem,
                                  username=username, scopes=params.get("scope", "").split())
    return html, 400 if problem else status


@page
def authorize_page() -> tuple[str, int]:
    params = {k: request.args.get(k, "") for k in AUTHORIZE_FIELDS}
    return _consent(params, DEFAULT_USERNAME)


@page
def authorize_decision() -> Response | tuple[str, int]:
    params = {k: request.form.get(k, "") for k in AUTHORIZE_FIELDS}
    username = request.form.get("username", "").strip().lstrip("@")
    if _problem(params) or not HANDLE_RE.match(username):
        return _consent(params, username or DEFAULT_USERNAME)
    target = params["redirect_uri"]
    joiner = "&" if urlparse(target).query else "?"
    if request.form.get("decision") != "authorize":
        return redirect(target + joiner + urlencode({"error": "access_denied",
                                                     "state": params["state"]}))
    code = issue_code(username=username, client_id=params["client_id"],
                      redirect_uri=target, scope=params["scope"],
                      challenge=params["code_challenge"], method=params["code_challenge_method"])
    return redirect(target + joiner + urlencode({"state": params["state"], "code": code}))


def _oauth_error(status: int, error: str, description: str) -> ApiError:
    return ApiError(status, f"oauth:{error}", description)


def _client_id() -> str:
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username:
        body_id = request.form.get("client_id")
        if body_id and body_id != auth.username:
            raise _oauth_error(401, "unauthorized_client", "client_id does not match the Basic auth.")
        return auth.username
    client_id = request.form.get("client_id", "")
    if not client_id:
        raise _oauth_error(401, "unauthorized_client", "Missing valid authorization header")
    return client_id


def _challenge_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "plain":
        return hmac.compare_digest(verifier, challenge)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(digest.decode(), challenge)


def _exchange_code(client_id: str) -> dict:
    code = request.form.get("code", "")
    payload = open_token(code, "c")
    state = sim_state()
    if payload is None or payload["e"] < time.time() or state.is_revoked(NAME, code):
        raise _oauth_error(400, "invalid_request", "Value passed for the authorization code was invalid.")
    if payload["c"] != client_id or payload["ru"] != request.form.get("redirect_uri"):
        raise _oauth_error(400, "invalid_request", "Value passed for the authorization code was invalid.")
    if not _challenge_matches(request.form.get("code_verifier", ""), payload["ch"], payload["cm"]):
        raise _oauth_error(400, "invalid_request", "Value passed for the code verifier was invalid.")
    state.revoke(NAME, code)  # a code works once
    return issue_tokens(payload["u"], client_id, scope=payload["s"])


def _refresh(client_id: str) -> dict:
    token = request.form.get("refresh_token", "")
    payload = open_token(token, "r")
    state = sim_state()
    with state.lock:
        if (payload is None or payload["c"] != client_id or state.is_revoked(NAME, token)
                or grant_revoked(payload["g"])):
            raise _oauth_error(400, "invalid_request", "Value passed for the token was invalid.")
        state.revoke(NAME, token)  # rotation: each refresh token works once
    return issue_tokens(payload["u"], client_id, scope=payload["s"], grant=payload["g"])


def token_endpoint() -> Response:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise _oauth_error(400, "invalid_request", "Send the parameters as a form body.")
    client_id = _client_id()
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        return jsonify(_exchange_code(client_id))
    if grant_type == "refresh_token":
        return jsonify(_refresh(client_id))
    raise _oauth_error(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/i/oauth2/authorize", view_func=authorize_page, methods=["GET"])
    bp.add_url_rule("/i/oauth2/authorize", endpoint="authorize_decision",
                    view_func=authorize_decision, methods=["POST"])
    bp.add_url_rule("/2/oauth2/token", view_func=token_endpoint, methods=["POST"])
