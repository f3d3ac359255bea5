"""Facebook Login on the simulated Graph host: the consent dialog, the token endpoint, ``/me``.

``GET  /graph/<ver>/dialog/oauth?client_id&redirect_uri&state&scope[&response_type=code]`` →
    the consent page (HTML): the app, the permissions asked for, and the Pages and Instagram
    accounts the user would share, with "Continue" and "Cancel". Bad parameters → an error page.
``POST /graph/<ver>/dialog/oauth`` (the page's form) → 302 to ``redirect_uri`` with ``code`` and
    ``state``, or with ``error=access_denied&error_code=200&error_description=Permissions+error
    &error_reason=user_denied&state`` on cancel. Codes live 10 minutes.
``GET  /graph/<ver>/oauth/access_token`` with ``client_id, client_secret, redirect_uri, code``
    → ``{"access_token", "token_type": "bearer", "expires_in": 5183})`` (a short-lived user
    token, ~1.5 h); with ``grant_type=fb_exchange_token, client_id, client_secret,
    fb_exchange_token`` → a long-lived one (``expires_in`` ~60 days). A redirect_uri other than
    the dialog's → (#100) subcode 36008; an expired/garbled code → (#100) subcode 36007/36009;
    an empty secret → code 1 "Error validating client secret."
``GET  /graph/<ver>/me`` (user token) → ``{"id", "name"}``.
``GET  /graph/<ver>/me/accounts?fields=id,name,username,access_token,instagram_business_account{id,username}``
    (user token with ``pages_show_list``) → the two demo Pages the signed-in user manages;
    "Metro 911 Communications" has the Instagram professional account @metro911.

Codes and tokens are self-describing (base64 JSON), so they survive ``/_sim/reset``; codes are
therefore not single-use here, unlike Facebook's.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlparse

from flask import Response, jsonify, redirect, render_template_string, request

from simulator.context import page
from simulator.platforms.graph_api import bp, fields, handles, resolver
from simulator.platforms.graph_core import (
    USER_TOKEN_PREFIX,
    graph_error,
    is_user_token,
    page_of,
    page_token_for,
    require_token,
    select,
)

CODE_TTL_SECONDS = 600
SHORT_TOKEN_SECONDS = 5183
LONG_TOKEN_SECONDS = 5183944
USER = {"id": "10160000000000001", "name": "Jordan Avery"}

#: The Pages the signed-in demo user manages, with their linked Instagram accounts.
DEMO_PAGES: tuple[dict[str, Any], ...] = (
    {"id": "104000000000001", "name": "Metro 911 Communications", "username": "metro911",
     "category": "Government organization",
     "instagram_business_account": {"id": "17841400000000001", "username": "metro911",
                                    "name": "Metro 911 Communications"}},
    {"id": "104000000000002", "name": "Metro 911 Recruiting", "username": "metro911jobs",
     "category": "Government organization", "instagram_business_account": None},
)

CONSENT_PAGE = """{% extends "base.html" %}
{% block title %}Log in with Facebook{% endblock %}
{% block content %}
{% if problem %}
<h1>Sorry, something went wrong</h1>
<p>{{ problem }}</p>
{% else %}
<h1>App {{ params.client_id }} wants to connect to your Facebook account</h1>
<p class="meta">Logged in as {{ user.name }}.</p>
<form method="post" action="{{ request.path }}">
  {% for key, value in params.items() %}<input type="hidden" name="{{ key }}" value="{{ value }}">
  {% endfor %}
  <h2>Pages and Instagram accounts it will be able to use</h2>
  <ul>{% for p in pages %}<li>{{ p.name }} (Facebook Page){% if p.instagram_business_account %}
    and @{{ p.instagram_business_account.username }} (Instagram){% endif %}</li>{% endfor %}</ul>
  <h2>What it will be able to do</h2>
  <ul>{% for scope in scopes %}<li><code>{{ scope }}</code></li>{% endfor %}</ul>
  <p><button type="submit" name="decision" value="continue">Continue</button>
     <button type="submit" name="decision" value="cancel">Cancel</button></p>
</form>
{% endif %}
{% endblock %}"""

DIALOG_FIELDS = ("client_id", "redirect_uri", "state", "scope", "response_type")


def _pack(prefix: str, payload: dict[str, Any]) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return prefix + raw.rstrip("=")


def _unpack(prefix: str, value: str) -> dict[str, Any] | None:
    if not value.startswith(prefix):
        return None
    raw = value[len(prefix):]
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def token_scopes(token: str) -> list[str]:
    data = _unpack(USER_TOKEN_PREFIX, token) or {}
    scopes = data.get("scope", [])
    return scopes if isinstance(scopes, list) else []


def _problem(params: dict[str, str]) -> str | None:
    if not params.get("client_id"):
        return "The parameter app_id is required."
    if urlparse(params.get("redirect_uri", "")).scheme not in ("http", "https"):
        return "URL blocked: this redirect failed because the redirect URI is not an http(s) URL."
    if params.get("response_type", "code") not in ("", "code"):
        return "This simulator supports response_type=code only."
    return None


def _consent(params: dict[str, str]) -> tuple[str, int]:
    problem = _problem(params)
    scopes = [s for s in params.get("scope", "").split(",") if s]
    html = render_template_string(CONSENT_PAGE, params=params, problem=problem, user=USER,
                                  pages=DEMO_PAGES, scopes=scopes)
    return html, 400 if problem else 200


@bp.get("/<version>/dialog/oauth")
@page
def dialog(version: str) -> tuple[str, int]:
    return _consent({k: request.args.get(k, "") for k in DIALOG_FIELDS})


@bp.post("/<version>/dialog/oauth")
@page
def dialog_decision(version: str) -> Response | tuple[str, int]:
    params = {k: request.form.get(k, "") for k in DIALOG_FIELDS}
    if _problem(params):
        return _consent(params)
    target = params["redirect_uri"]
    joiner = "&" if urlparse(target).query else "?"
    if request.form.get("decision") != "continue":
        return redirect(target + joiner + urlencode({
            "error": "access_denied", "error_code": "200", "error_description": "Permissions error",
            "error_reason": "user_denied", "state": params["state"]}))
    code = _pack("AQ", {"app": params["client_id"], "redirect_uri": target, "iat": int(time.time()),
                        "scope": [s for s in params["scope"].split(",") if s],
                        "n": secrets.token_hex(4)})
    return redirect(target + joiner + urlencode({"code": code, "state": params["state"]}) + "#_=_")


def _client_checked() -> str:
    client_id = request.args.get("client_id", "")
    if not client_id:
        raise graph_error(400, 101, "Missing client_id parameter.")
    if not request.args.get("client_secret"):
        raise graph_error(400, 1, "Error validating client secret.")
    return client_id


@bp.get("/<version>/oauth/access_token")
def access_token(version: str) -> Response:
    client_id = _client_checked()
    if request.args.get("grant_type") == "fb_exchange_token":
        short = _unpack(USER_TOKEN_PREFIX, request.args.get("fb_exchange_token", ""))
        if short is None or short.get("app") != client_id:
            raise graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        token = _pack(USER_TOKEN_PREFIX, {**short, "long": True, "n": secrets.token_hex(4)})
        return jsonify({"access_token": token, "token_type": "bearer", "expires_in": LONG_TOKEN_SECONDS})
    code = _unpack("AQ", request.args.get("code", ""))
    if code is None:
        raise graph_error(400, 100, "Invalid verification code format.", subcode=36009)
    if time.time() - code.get("iat", 0) > CODE_TTL_SECONDS:
        raise graph_error(400, 100, "This authorization code has expired.", subcode=36007)
    if code.get("app") != client_id:
        raise graph_error(400, 100, "Error validating verification code. The code was issued to another app.",
                          subcode=36009)
    if request.args.get("redirect_uri") != code.get("redirect_uri"):
        raise graph_error(400, 100, "Error validating verification code. Please make sure your redirect_uri "
                          "is identical to the one you used in the OAuth dialog request", subcode=36008)
    token = _pack(USER_TOKEN_PREFIX, {"app": client_id, "uid": USER["id"], "scope": code.get("scope", []),
                                      "long": False, "n": secrets.token_hex(4)})
    return jsonify({"access_token": token, "token_type": "bearer", "expires_in": SHORT_TOKEN_SECONDS})


@resolver
def _me(object_id: str) -> tuple[str, str, str] | None:
    return ("facebook", "me", USER["id"]) if object_id == "me" else None


def _user_token() -> str:
    token = require_token("facebook")
    if not is_user_token(token):
        raise graph_error(400, 2500, "An active access token must be used to query information "
                          "about the current user.")
    return token


@handles("me", "GET")
def me(object_id: str) -> Response:
    _user_token()
    return jsonify(select(USER, fields(), ("name",)))


@handles("me", "GET", "accounts")
def me_accounts(object_id: str) -> Response:
    token = _user_token()
    if "pages_show_list" not in token_scopes(token):
        raise graph_error(403, 200, "Requires pages_show_list permission to manage the object")
    wanted = fields()
    rows = []
    for demo in DEMO_PAGES:
        record = {**demo, "access_token": page_token_for(token, demo["id"]),
                  "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]}
        if record["instagram_business_account"]:
            ig = record["instagram_business_account"]
            record["instagram_business_account"] = {"id": ig["id"], "username": ig["username"]}
        rows.append(select(record, wanted, ("name", "access_token", "category", "tasks")))
    return jsonify(page_of(rows, 25))
