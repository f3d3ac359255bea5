"""Mastodon's OAuth 2 for the simulator: app registration per instance, consent, code for token.

Paths are relative to an instance root (``/mastodon`` or ``/mastodon/<instance>``):

``POST /api/v1/apps`` (form or JSON) ``client_name`` (required), ``redirect_uris`` (newline-
    separated string or list; absolute URIs or ``urn:ietf:wg:oauth:2.0:oob``), ``scopes``
    (space-separated, default ``read``), ``website`` → 200 ``{id, name, website, scopes,
    redirect_uri, redirect_uris, client_id, client_secret, client_secret_expires_at, vapid_key}``;
    422 "Validation failed: …" otherwise. An app exists on the instance that registered it.
``GET  /.well-known/oauth-authorization-server`` → RFC 8414 metadata (Mastodon ≥ 4.3).
``GET  /oauth/authorize?client_id&redirect_uri&response_type=code&scope&state`` → the consent
    page (HTML): the app's name, the scopes, a username field (default ``metro911``; the
    simulator has no login) and "Authorize" / "Deny" buttons. An unknown client, a redirect URI
    the app did not register, or a scope it did not register → an HTML error page (400), as
    Doorkeeper does.
``POST /oauth/authorize`` (the form) → 302 to ``redirect_uri?code=…&state=…``, or
    ``?error=access_denied&error_description=…&state=…`` on "Deny".
``POST /oauth/token`` ``grant_type=authorization_code``, ``code``, ``client_id``,
    ``client_secret`` (or HTTP Basic), ``redirect_uri`` → 200 ``{access_token, token_type:
    "Bearer", scope, created_at}``. Codes live 10 minutes and work once. Errors are Doorkeeper's:
    401 ``{"error": "invalid_client", "error_description"}``, 400 ``invalid_grant``,
    ``unsupported_grant_type``, ``invalid_request``.
``POST /oauth/revoke`` → 200 ``{}`` (the token stops working).
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlparse

from flask import Response, jsonify, redirect, render_template_string, request

from simulator.context import page, sim_state
from simulator.faults import apply_faults
from simulator.platform import ApiError
from simulator.platforms.mastodon_wire import (
    DEFAULT_USERNAME,
    NAME,
    USERNAME_RE,
    check_instance,
    domain,
    instance_base,
    issue_token,
    params,
    route,
)

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_SECONDS = 600
KNOWN_SCOPES = {"read", "write", "follow", "push", "profile", "admin:read", "admin:write"}
SCOPE_FAMILIES = ("read:", "write:", "admin:read:", "admin:write:")

PAGE = """{% extends "base.html" %}
{% block title %}{{ heading }}{% endblock %}
{% block crumbs %} › Mastodon ({{ domain }}){% endblock %}
{% block content %}
<h1>{{ heading }}</h1>
{% if error %}
<p role="alert">{{ error }}</p>
{% else %}
<p><strong>{{ app_name }}</strong>{% if website %} ({{ website }}){% endif %} would like permission
to access your account on <strong>{{ domain }}</strong>.</p>
<p>It asks to: <strong>{{ scope }}</strong>.</p>
<form method="post" action="{{ action }}">
  {% for key, value in hidden.items() %}<input type="hidden" name="{{ key }}" value="{{ value }}">
  {% endfor %}
  <p><label for="username">Signed in as (username)</label>
  <input id="username" name="username" value="{{ username }}" required pattern="[A-Za-z0-9_]{1,30}"></p>
  <p><button type="submit" name="decision" value="approve">Authorize</button>
  <button type="submit" name="decision" value="deny">Deny</button></p>
</form>
{% endif %}
{% endblock %}
"""


def _data() -> dict[str, Any]:
    return sim_state().platform_data(NAME)


def _valid_scope(scope: str) -> bool:
    return scope in KNOWN_SCOPES or scope.startswith(SCOPE_FAMILIES)


def _redirect_ok(uri: str) -> bool:
    if uri == OOB:
        return True
    parsed = urlparse(uri)
    return bool(parsed.scheme) and bool(parsed.netloc or parsed.path) and not parsed.fragment


@route("/api/v1/apps", methods=("POST",))
def create_app(instance: str) -> Response:
    check_instance(instance)
    faulted = apply_faults(NAME, "app")
    if faulted is not None:
        return faulted
    body = params()
    name = str(body.get("client_name") or "").strip()
    if not name:
        raise ApiError(422, "validation_failed", "Validation failed: Application name can't be blank")
    raw_uris = body.get("redirect_uris") or ""
    uris = raw_uris if isinstance(raw_uris, list) else str(raw_uris).split("\n")
    uris = [str(u).strip() for u in uris if str(u).strip()]
    if not uris:
        raise ApiError(422, "validation_failed", "Validation failed: Redirect URI can't be blank")
    if not all(_redirect_ok(u) for u in uris):
        raise ApiError(422, "validation_failed", "Validation failed: Redirect URI must be an absolute URI.")
    scopes = str(body.get("scopes") or "read").split()
    bad = [s for s in scopes if not _valid_scope(s)]
    if bad:
        raise ApiError(422, "validation_failed", f"Validation failed: Scopes are invalid ({' '.join(bad)})")
    state = sim_state()
    app = {
        "id": state.new_id(),
        "name": name,
        "website": body.get("website") or None,
        "scopes": scopes,
        "redirect_uris": uris,
        "client_id": secrets.token_urlsafe(32),
        "client_secret": secrets.token_urlsafe(32),
        "instance": instance,
    }
    with state.lock:
        _data().setdefault("apps", {})[app["client_id"]] = app
    return jsonify({
        "id": app["id"], "name": name, "website": app["website"], "scopes": scopes,
        "redirect_uri": "\n".join(uris), "redirect_uris": uris,
        "client_id": app["client_id"], "client_secret": app["client_secret"],
        "client_secret_expires_at": 0, "vapid_key": "",
    })


def _app(instance: str, client_id: str | None) -> dict[str, Any] | None:
    with sim_state().lock:
        app = _data().get("apps", {}).get(client_id or "")
    return app if app is not None and app["instance"] == instance else None


@route("/.well-known/oauth-authorization-server")
def authorization_server(instance: str) -> Response:
    check_instance(instance)
    base = instance_base(instance)
    return jsonify({
        "issuer": base + "/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": base + "/oauth/authorize",
        "token_endpoint": base + "/oauth/token",
        "revocation_endpoint": base + "/oauth/revoke",
        "app_registration_endpoint": base + "/api/v1/apps",
        "scopes_supported": sorted(KNOWN_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })


def _page(instance: str, status: int = 200, **values: Any) -> tuple[str, int]:
    values.setdefault("error", None)
    body = render_template_string(PAGE, domain=domain(instance), **values)
    return body, status


def _authorize_problem(instance: str, args: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The app and the error message to show (Doorkeeper shows these instead of redirecting)."""
    app = _app(instance, args.get("client_id"))
    if app is None:
        return None, ("Client authentication failed due to unknown client, no client authentication "
                      "included, or unsupported authentication method.")
    if args.get("redirect_uri") not in app["redirect_uris"]:
        return app, "The redirect uri included is not valid."
    if args.get("response_type", "code") != "code":
        return app, "The authorization server does not support this response type."
    scopes = (args.get("scope") or "read").split()
    if not set(scopes) <= set(app["scopes"]):
        return app, "The requested scope is invalid, unknown, or malformed."
    return app, None


@route("/oauth/authorize")
@page
def authorize_page(instance: str) -> tuple[str, int]:
    check_instance(instance)
    app, problem = _authorize_problem(instance, request.args)
    if problem:
        return _page(instance, 400, heading="An error has occurred", error=problem)
    assert app is not None
    hidden = {key: request.args.get(key, "") for key in ("client_id", "redirect_uri", "state", "response_type")}
    hidden["scope"] = request.args.get("scope") or "read"
    return _page(instance, heading="Authorization required", app_name=app["name"], website=app["website"],
                 scope=hidden["scope"], hidden=hidden, username=DEFAULT_USERNAME,
                 action=request.path)


def _with_query(uri: str, values: dict[str, str]) -> str:
    values = {k: v for k, v in values.items() if v}
    return uri + ("&" if "?" in uri else "?") + urlencode(values)


@route("/oauth/authorize", methods=("POST",))
@page
def authorize_decision(instance: str) -> Response | tuple[str, int]:
    check_instance(instance)
    form = request.form
    app, problem = _authorize_problem(instance, form)
    if problem:
        return _page(instance, 400, heading="An error has occurred", error=problem)
    assert app is not None
    redirect_uri, state_value = form["redirect_uri"], form.get("state", "")
    if form.get("decision") != "approve":
        return redirect(_with_query(redirect_uri, {
            "error": "access_denied", "state": state_value,
            "error_description": "The resource owner or authorization server denied the request."}))
    username = form.get("username", "").strip() or DEFAULT_USERNAME
    if not USERNAME_RE.match(username):
        return _page(instance, 400, heading="An error has occurred",
                     error="Usernames are 1 to 30 letters, digits or underscores.")
    code = secrets.token_urlsafe(32)
    with sim_state().lock:
        _data().setdefault("codes", {})[code] = {
            "client_id": app["client_id"], "redirect_uri": redirect_uri, "username": username,
            "scopes": (form.get("scope") or "read").split(), "instance": instance,
            "expires_at": time.time() + CODE_SECONDS, "used": False,
        }
    if redirect_uri == OOB:
        return _page(instance, heading="Authorization code", error=f"Copy this code into the app: {code}")
    return redirect(_with_query(redirect_uri, {"code": code, "state": state_value}))


def _oauth_error(status: int, error: str, description: str) -> tuple[Response, int]:
    return jsonify({"error": error, "error_description": description}), status


INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication included, "
                  "or unsupported authentication method.")
INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match the "
                 "redirection URI used in the authorization request, or was issued to another client.")


@route("/oauth/token", methods=("POST",))
def token(instance: str) -> Response | tuple[Response, int]:
    check_instance(instance)
    body = params()
    client_id, client_secret = body.get("client_id"), body.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id = request.authorization.username
        client_secret = request.authorization.password
    app = _app(instance, client_id)
    if app is None or not secrets.compare_digest(str(client_secret or ""), app["client_secret"]):
        return _oauth_error(401, "invalid_client", INVALID_CLIENT)
    if body.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type",
                            "The authorization grant type is not supported by the authorization server.")
    if not body.get("code"):
        return _oauth_error(400, "invalid_request",
                            "The request is missing a required parameter, includes an unsupported parameter "
                            "value, or is otherwise malformed.")
    state = sim_state()
    with state.lock:
        grant = _data().get("codes", {}).get(str(body["code"]))
        usable = (grant is not None and not grant["used"] and grant["expires_at"] > time.time()
                  and grant["client_id"] == app["client_id"] and grant["instance"] == instance
                  and grant["redirect_uri"] == body.get("redirect_uri"))
        if not usable:
            return _oauth_error(400, "invalid_grant", INVALID_GRANT)
        grant["used"] = True
    access_token = issue_token(instance, grant["username"], secrets.token_hex(20))
    return jsonify({"access_token": access_token, "token_type": "Bearer",
                    "scope": " ".join(grant["scopes"]), "created_at": int(time.time())})


@route("/oauth/revoke", methods=("POST",))
def revoke(instance: str) -> Response | tuple[Response, int]:
    check_instance(instance)
    body = params()
    app = _app(instance, body.get("client_id"))
    if app is None or body.get("client_secret") != app["client_secret"]:
        return _oauth_error(403, "unauthorized_client", "You are not authorized to revoke this token")
    if body.get("token"):
        sim_state().revoke(NAME, str(body["token"]))
    return jsonify({})
