"""``/login/sso`` sends the browser to the identity provider; ``/login/sso/callback`` takes its
answer: Authlib exchanges the code (with PKCE) and verifies the ID token's signature, issuer,
audience, expiry and nonce, then :func:`content_queue.sso.sign_in` says who signs in, and the
session starts as a password sign-in does. ``/admin/sso`` is the agency's group → role map.

SSO is on when the installation configures it (``OIDC_DISCOVERY_URL``, ``OIDC_CLIENT_ID``,
``OIDC_CLIENT_SECRET``); local passwords always stay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template,
                   request, session, url_for)
from flask_login import current_user, login_user
from joserfc.errors import JoseError

from content_queue.errors import ServiceError
from content_queue.models import ROLES, Agency
from content_queue.sso import (Identity, SsoRefused, format_group_roles, parse_group_roles,
                               save_group_roles, sign_in)
from web.common.auth import LoginForm, WebUser, current_actor, roles_allowed
from web.common.security import safe_next
from web.common.settings import WebSettings
from web.common.state import discard_changes, get_session, get_state, now

log = logging.getLogger("tenfour.sso")

bp = Blueprint("sso", __name__, template_folder="templates")
EXTENSION_KEY = "tenfour.sso"
NEXT_KEY = "_sso_next"
#: The identity provider must answer within this (discovery, token, keys).
PROVIDER_TIMEOUT = 10


@dataclass(frozen=True)
class SsoClient:
    client: object  # Authlib's FlaskOAuth2App
    provider_name: str
    groups_claim: str
    discovery_url: str


def init_app(app: Flask, settings: WebSettings) -> None:
    """Register the provider when the installation configures one, and give every template
    ``sso_provider`` (None: no SSO button)."""
    client = None
    if settings.oidc_discovery_url and settings.oidc_client_id:
        oauth = OAuth(app)
        registered = oauth.register(
            "tenfour_sso", client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_discovery_url,
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256",
                           "timeout": PROVIDER_TIMEOUT})
        client = SsoClient(registered, settings.oidc_provider_name, settings.oidc_groups_claim,
                           settings.oidc_discovery_url)
    app.extensions[EXTENSION_KEY] = client

    @app.context_processor
    def _sso_button():
        return {"sso_provider": client.provider_name if client else None}


def _client() -> SsoClient:
    client = current_app.extensions.get(EXTENSION_KEY)
    if client is None:
        abort(404, "Single sign-on is not set up on this installation; sign in with your "
                   "e-mail and password.")
    return client


def _login_page(message: str, status: int):
    return render_template("login.html", form=LoginForm(), error=message,
                           next_url=session.pop(NEXT_KEY, None)), status


@bp.route("/login/sso")
def start():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    sso = _client()
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return sso.client.authorize_redirect(url_for("sso.callback", _external=True))
    except (requests.RequestException, ValueError, OAuthError) as exc:
        log.warning("single sign-on: the provider's discovery document failed: %s", exc)
        return _login_page(f"Tenfour could not reach {sso.provider_name} "
                           f"({_short(exc)}). Sign in with your password, or try again "
                           "later.", 502)


def _short(exc: Exception) -> str:
    text = getattr(exc, "description", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:160]


@bp.route("/login/sso/callback")
def callback():
    sso = _client()
    if request.args.get("error"):
        reason = request.args.get("error_description") or request.args["error"]
        return _login_page(f"Sign-in with {sso.provider_name} did not finish: "
                           f"{' '.join(reason.split())[:200]}", 400)
    try:
        token = sso.client.authorize_access_token()
    except OAuthError as exc:
        if exc.error == "mismatching_state":
            return _login_page("That sign-in was started in another tab or too long ago. "
                               f"Start again with the {sso.provider_name} button.", 400)
        return _login_page(f"{sso.provider_name} refused the sign-in: {_short(exc)}", 400)
    except requests.RequestException as exc:
        log.warning("single sign-on: the provider did not answer: %s", exc)
        return _login_page(f"Tenfour could not reach {sso.provider_name} ({_short(exc)}); "
                           "nobody was signed in.", 502)
    except (JoseError, ValueError, KeyError) as exc:
        log.warning("single sign-on: the ID token failed verification: %s", exc)
        return _login_page(f"The answer from {sso.provider_name} could not be verified "
                           f"({_short(exc)}); nobody was signed in.", 400)
    claims = token.get("userinfo") or {}
    try:
        identity = Identity.from_claims(claims, groups_claim=sso.groups_claim)
        # A GET's request session only reads; the sign-in writes (last sign-in, a role from
        # the groups, a new account) in a transaction of its own that sees every agency.
        with get_state().db.session_scope() as db_session:
            user = sign_in(db_session, identity, now=now())
    except SsoRefused as exc:
        return _login_page(exc.message, 403)
    next_url = session.pop(NEXT_KEY, None)
    session.clear()  # a fresh session (and CSRF secret) for the new sign-in
    session.permanent = True
    session["_seen"] = int(now().timestamp())
    login_user(WebUser(user))
    return redirect(next_url or url_for("dashboard.index"))


@bp.route("/admin/sso", methods=["GET", "POST"])
@roles_allowed({"admin"}, "Only an admin can change how single sign-on maps groups to roles.")
def settings():
    actor = current_actor()
    agency = get_session().get(Agency, actor.agency_id)
    text = format_group_roles(agency.sso_group_roles)
    error = None
    if request.method == "POST":
        text = request.form.get("group_roles", "")
        try:
            save_group_roles(get_session(), agency, parse_group_roles(text), actor=actor,
                             now=now())
        except ServiceError as exc:
            discard_changes()
            error = exc.message
        else:
            flash("The group mapping is saved; it applies from each person's next sign-in.",
                  "success")
            return redirect(url_for("sso.settings"))
    sso = current_app.extensions.get(EXTENSION_KEY)
    return render_template("sso/settings.html", sso=sso, text=text, error=error, roles=ROLES,
                           area="admin"), 422 if error else 200
