"""Connecting accounts through each platform's own sign-in, and reconnecting them.

X, Facebook and Instagram (through Facebook Login) and Mastodon (an app registered on the
account's server first) use OAuth: ``POST /accounts/connect/<platform>`` asks the linker where to
send the browser, keeps the flow's state and secrets *encrypted* (``state.cipher``) in the
signed session cookie, and hands the browser on; ``GET /accounts/callback/<platform>`` checks
the state, asks the linker for the accounts the admin authorized and connects them. Facebook
answers with one account per Page plus their Instagram accounts: the admin picks on a selection
page. Bluesky has no OAuth here: an app password, checked with the platform before it is saved.

Why a hand-off page rather than a 302 to the platform: the app's Content-Security-Policy says
``form-action 'self'``, and Chromium applies it to the redirects that follow a form post, so a
redirect from our POST to another origin would be blocked. The hand-off page moves on with a
meta refresh (and a link), which that policy does not govern.

Why the selection page carries the candidates itself (an encrypted hidden field) instead of the
session: each candidate holds a token, and a Facebook user with many Pages would overflow the
4 kB session cookie, which browsers then silently drop. The session only holds a one-time
nonce binding that field to this login; it is removed once the accounts are connected.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for

from content_queue.accounts import (
    add_account,
    find_account,
    update_account_credentials,
)
from content_queue.crypto import CredentialsUnreadable
from content_queue.errors import ServiceError
from content_queue.models import SocialAccount
from content_queue.ports import AuthExpired, AuthorizeStart, ConnectorError, LinkedAccount
from tenfour.config import OAUTH_CLIENT_VARS
from web.accounts import (
    account_or_404,
    actor_in,
    bp,
    current_user_id,
    platform_name,
    release_database,
    require_admin,
    write_transaction,
)
from web.auth import current_actor
from web.forms import Errors, add_error
from web.state import get_session, get_state, now

OAUTH_PLATFORMS = ("x", "facebook", "instagram", "mastodon")
#: The app credentials each OAuth platform cannot start without (keys of ``oauth_clients``).
REQUIRED_CLIENT = {"x": ("client_id",), "facebook": ("app_id", "app_secret")}
WHERE_CLIENTS_COME_FROM = {
    "x": "the OAuth 2.0 Client ID of your app in the X developer portal",
    "facebook": "the App ID and App Secret of your Meta app, with Facebook Login for Business",
}
FLOWS_KEY = "tenfour_oauth"
SELECT_KEY = "tenfour_oauth_select"
MAX_FLOWS = 3  # sign-ins started in other tabs stay valid, within reason
FLOW_SECONDS = 30 * 60
DEFAULT_PDS = "https://bsky.social"
APP_PASSWORD_RE = re.compile(r"^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$")


@dataclass(frozen=True)
class Option:
    """One platform on the "connect an account" page."""

    platform: str
    kind: str  # "oauth", "instance" (Mastodon: ask the server first) or "password" (Bluesky)
    description: str
    missing: tuple[str, ...] = ()


OPTIONS = (
    ("x", "oauth", "Sign in on X and authorize Tenfour to post for the account."),
    ("facebook", "oauth", "Log in with Facebook, then choose the Pages to connect. Instagram "
                          "accounts linked to those Pages are offered too."),
    ("instagram", "oauth", "Instagram professional accounts connect through the Facebook Page "
                           "they are linked to: log in with Facebook, then choose the account."),
    ("mastodon", "instance", "Name the account's server; Tenfour registers itself there and you "
                             "authorize it on the server's own page."),
    ("bluesky", "password", "Use an app password made in Bluesky's settings. The account's main "
                            "password is never needed."),
)


def _client_key(platform: str) -> str:
    return "facebook" if platform == "instagram" else platform


def missing_client_vars(platform: str) -> tuple[str, ...]:
    """The environment variables to set before ``platform`` can be connected by OAuth."""
    key = _client_key(platform)
    have = get_state().settings.oauth_clients.get(key, {})
    return tuple(OAUTH_CLIENT_VARS[key][k] for k in REQUIRED_CLIENT.get(key, ()) if not have.get(k))


def setup_hint(platform: str, missing: tuple[str, ...] = ()) -> str:
    """Which variables to set, and where their values come from."""
    key = _client_key(platform)
    missing = missing or tuple(OAUTH_CLIENT_VARS.get(key, {}).get(k, k)
                               for k in REQUIRED_CLIENT.get(key, ()))
    names = " and ".join(missing) if missing else "the platform's app credentials"
    source = WHERE_CLIENTS_COME_FROM.get(key)
    return (f"Set {names} in Tenfour's environment{f' ({source})' if source else ''}, then "
            "restart Tenfour.")


def setup_message(platform: str, missing: tuple[str, ...] = ()) -> str:
    return (f"Connecting {platform_name(platform)} accounts is not set up on this server. "
            + setup_hint(platform, missing))


def reconnect_method(account: SocialAccount) -> str:
    """How the accounts page reconnects this account: "oauth", "password" or "manual"."""
    if get_state().linker is None:
        return "manual"
    if account.platform in OAUTH_PLATFORMS and not missing_client_vars(account.platform):
        return "oauth"
    if account.platform == "bluesky":
        return "password"
    return "manual"


def _linker():
    linker = get_state().linker
    if linker is None:
        flash("Connecting accounts through the platforms is not available on this server; "
              "register accounts manually.", "error")
    return linker


def _seal(data: dict[str, Any]) -> str:
    return get_state().cipher.encrypt(data)


def _unseal(token: Any) -> dict[str, Any] | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        data = get_state().cipher.decrypt(token)
    except (CredentialsUnreadable, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def _fresh(data: dict[str, Any]) -> bool:
    age = now().timestamp() - float(data.get("started", 0))
    return 0 <= age <= FLOW_SECONDS and data.get("user") == current_user_id()


# --- choosing a platform ----------------------------------------------------------------------


@bp.route("/accounts/connect")
def connect_choose():
    require_admin()
    options = [Option(p, kind, text, missing_client_vars(p) if kind != "password" else ())
               for p, kind, text in OPTIONS]
    return render_template("connect/choose.html", options=options,
                           can_link=get_state().linker is not None,
                           setup_hint=setup_hint)


@bp.route("/accounts/connect/<platform>")
def connect_form(platform: str):
    require_admin()
    if platform == "mastodon":
        return _mastodon_form({}, instance=get_state().settings.default_base_urls.get("mastodon", ""))
    if platform == "bluesky":
        account = _account_arg()
        return _bluesky_form({}, account=account, identifier=_bluesky_identifier(account))
    return redirect(url_for("accounts.connect_choose"))


@bp.route("/accounts/connect/<platform>", methods=["POST"])
def connect_start(platform: str):
    require_admin()
    if platform not in OAUTH_PLATFORMS and platform != "bluesky":
        abort(404)
    if _linker() is None:
        return redirect(url_for("accounts.index"))
    if platform == "bluesky":
        return _connect_bluesky()
    if platform == "mastodon":
        raw = request.form.get("instance", "")
        instance = normalise_instance(raw)
        if instance is None:
            errors: Errors = {}
            add_error(errors, "instance", "Give the server's address, such as mastodon.social.")
            return _mastodon_form(errors, instance=raw, status=422)
        return _start_oauth("mastodon", instance_url=instance)
    return _start_oauth(platform)


@bp.route("/accounts/<int:account_id>/reconnect", methods=["POST"])
def reconnect(account_id: int):
    """Connect this same account again (same id, so posts queued to it keep working)."""
    require_admin()
    account = account_or_404(account_id)
    method = reconnect_method(account)
    if method == "password":
        return redirect(url_for("accounts.connect_form", platform="bluesky", account=account.id), 303)
    if method == "oauth":
        instance = None
        if account.platform == "mastodon":
            instance = _credentials_of(account).get("instance_url")
            if not instance:
                return redirect(url_for("accounts.credentials", account_id=account.id), 303)
        return _start_oauth(account.platform, instance_url=instance, reconnect=account)
    return redirect(url_for("accounts.credentials", account_id=account.id), 303)


# --- OAuth: start, hand-off, callback ---------------------------------------------------------


def normalise_instance(raw: str) -> str | None:
    """``mastodon.social``, ``@pio@mastodon.social`` or a URL → ``https://mastodon.social``."""
    text = (raw or "").strip()
    if not text or any(ch.isspace() for ch in text) or len(text) > 300:
        return None
    if "://" not in text:
        text = "https://" + text.rstrip("/").rsplit("@", 1)[-1]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _start_oauth(platform: str, *, instance_url: str | None = None,
                 reconnect: SocialAccount | None = None):
    linker = get_state().linker
    missing = missing_client_vars(platform)
    if missing:
        flash(setup_message(platform, missing), "error")
        return redirect(url_for("accounts.connect_choose"))
    redirect_uri = url_for("accounts.callback", platform=platform, _external=True)
    api_base_url = reconnect.api_base_url if reconnect is not None else None
    reconnect_id = reconnect.id if reconnect is not None else None
    release_database()
    try:
        start = linker.oauth_start(platform, redirect_uri=redirect_uri, api_base_url=api_base_url,
                                   instance_url=instance_url)
    except ConnectorError as exc:
        return _start_failed(platform, exc.message, instance_url)
    except (KeyError, ValueError):
        flash(setup_message(platform), "error")
        return redirect(url_for("accounts.connect_choose"))
    _remember_flow(platform, start, redirect_uri=redirect_uri, api_base_url=api_base_url,
                   reconnect=reconnect_id)
    response = render_template("connect/handoff.html", platform=platform, url=start.url,
                               reconnect=reconnect)
    return response, 200, {"Cache-Control": "no-store"}


def _start_failed(platform: str, message: str, instance_url: str | None):
    if platform == "mastodon" and instance_url:
        errors: Errors = {}
        add_error(errors, "instance", message)
        return _mastodon_form(errors, instance=instance_url, status=422)
    flash(message, "error")
    return redirect(url_for("accounts.connect_choose"))


def _flow_key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def _remember_flow(platform: str, start: AuthorizeStart, *, redirect_uri: str,
                   api_base_url: str | None, reconnect: int | None) -> None:
    flows = dict(session.get(FLOWS_KEY) or {})
    flows[_flow_key(start.state)] = _seal({
        "platform": platform, "state": start.state, "secrets": dict(start.secrets),
        "redirect_uri": redirect_uri, "api_base_url": api_base_url, "reconnect": reconnect,
        "user": current_user_id(), "started": now().timestamp(),
    })
    session[FLOWS_KEY] = dict(list(flows.items())[-MAX_FLOWS:])


def _take_flow(platform: str, state: str) -> dict[str, Any] | None:
    """The flow this answer belongs to, removed from the session (an answer is used once)."""
    if not state:
        return None
    flows = dict(session.get(FLOWS_KEY) or {})
    sealed = flows.pop(_flow_key(state), None)
    session[FLOWS_KEY] = flows
    flow = _unseal(sealed)
    if (flow is None or flow.get("platform") != platform or not _fresh(flow)
            or not hmac.compare_digest(str(flow.get("state", "")), state)):
        return None
    return flow


@bp.route("/accounts/callback/<platform>")
def callback(platform: str):
    require_admin()
    if platform not in OAUTH_PLATFORMS:
        abort(404)
    label = platform_name(platform)
    params = {k: v for k, v in request.args.items()}
    flow = _take_flow(platform, params.get("state", ""))
    if flow is None:
        flash(f"This answer from {label} does not match a connection you started here (it may "
              "have expired, or come from another browser), so nothing was connected. Start "
              "connecting again.", "error")
        return redirect(url_for("accounts.connect_choose"))
    if params.get("error"):
        if params["error"] == "access_denied":
            flash(f"You cancelled connecting the {label} account; nothing was changed.", "info")
        else:
            reason = params.get("error_description") or params["error"]
            flash(f"{label} did not connect the account: {reason}", "error")
        return redirect(url_for("accounts.index"))
    linker = _linker()
    if linker is None:
        return redirect(url_for("accounts.index"))
    start = AuthorizeStart(url="", state=flow["state"], secrets=flow.get("secrets") or {})
    release_database()
    try:
        linked = linker.oauth_finish(platform, callback_params=params, start=start,
                                     redirect_uri=flow["redirect_uri"],
                                     api_base_url=flow.get("api_base_url"))
    except ConnectorError as exc:
        flash(exc.message, "error")
        return redirect(url_for("accounts.connect_choose"))
    except (KeyError, ValueError):
        flash(setup_message(platform), "error")
        return redirect(url_for("accounts.connect_choose"))
    if flow.get("reconnect"):
        return _finish_reconnect(int(flow["reconnect"]), linked)
    if not linked:
        flash(_nothing_to_connect(platform), "error")
        return redirect(url_for("accounts.index"))
    if len(linked) == 1:
        _save_and_report(linked)
        return redirect(url_for("accounts.index"))
    return _selection_page(platform, linked)


def _nothing_to_connect(platform: str) -> str:
    if platform in ("facebook", "instagram"):
        return ("Facebook shared no Page that Tenfour can post as. When Facebook asks, choose at "
                "least one Page and allow every permission Tenfour asks for.")
    return f"{platform_name(platform)} did not name an account to connect."


# --- connecting what the platform answered ----------------------------------------------------


def stored_base_url(platform: str, api_base_url: str | None) -> str | None:
    """Keep an account's API host only when it differs from the configured default, so a
    change of the default (configuration) still reaches accounts that use it."""
    if not api_base_url:
        return None
    default = get_state().settings.default_base_urls.get(platform)
    return None if default and default.rstrip("/") == api_base_url.rstrip("/") else api_base_url


def save_linked(db_session, linked: LinkedAccount, *, into: SocialAccount | None = None) -> bool:
    """Connect ``linked``; an account already connected under that handle (or ``into``, when
    reconnecting) gets the new credentials instead. Returns True when a new row was made."""
    actor = actor_in(db_session)
    cipher = get_state().cipher
    base = stored_base_url(linked.platform, linked.api_base_url)
    account = into or find_account(db_session, actor.agency_id, linked.platform, linked.handle)
    if account is not None:
        update_account_credentials(db_session, cipher, account, actor=actor,
                                   credentials=dict(linked.credentials), now=now(),
                                   api_base_url=base, token_expires_at=linked.token_expires_at,
                                   display_name=linked.display_name)
        return False
    account = add_account(db_session, cipher, actor=actor, platform=linked.platform,
                          handle=linked.handle, credentials=dict(linked.credentials), now=now(),
                          display_name=linked.display_name, api_base_url=base)
    account.token_expires_at = linked.token_expires_at
    return True


def _describe(linked: LinkedAccount) -> str:
    return f"{platform_name(linked.platform)} @{linked.handle}"


def _save_and_report(chosen: list[LinkedAccount]) -> bool:
    made, renewed = [], []
    try:
        with write_transaction() as db_session:
            for linked in chosen:
                (made if save_linked(db_session, linked) else renewed).append(_describe(linked))
    except ServiceError as exc:
        flash(f"Nothing was connected: {exc.message}", "error")
        return False
    if made:
        flash(f"Connected {_join(made)}.", "success")
    if renewed:
        flash(f"Reconnected {_join(renewed)}: already connected, so its credentials were "
              "replaced.", "success")
    return True


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _credentials_of(account: SocialAccount) -> dict[str, Any]:
    try:
        return get_state().cipher.decrypt(account.credentials_encrypted)
    except CredentialsUnreadable:
        return {}


def _same_account(account: SocialAccount, old: dict[str, Any], linked: LinkedAccount) -> bool:
    if linked.platform != account.platform:
        return False
    for key in ("page_id", "ig_user_id"):  # Graph ids stay when a Page renames itself
        if old.get(key) and linked.credentials.get(key) == old[key]:
            return True
    return linked.handle.strip().lstrip("@").lower() == account.handle.strip().lstrip("@").lower()


def _finish_reconnect(account_id: int, linked: list[LinkedAccount]):
    with write_transaction() as db_session:
        account = db_session.get(SocialAccount, account_id)
        actor = actor_in(db_session)
        if account is None or account.agency_id != actor.agency_id:
            abort(404)
        label = f"{platform_name(account.platform)} @{account.handle}"
        match = next((a for a in linked if _same_account(account, _credentials_of(account), a)), None)
        if match is None:
            others = ", ".join(f"@{a.handle}" for a in linked if a.platform == account.platform)
            flash(f"{label} was not reconnected: you authorized {others or 'another account'} "
                  f"instead. Sign in as @{account.handle} on {platform_name(account.platform)} "
                  "and try again.", "error")
            return redirect(url_for("accounts.index"))
        try:
            save_linked(db_session, match, into=account)
        except ServiceError as exc:
            db_session.rollback()
            flash(f"{label} was not reconnected: {exc.message}", "error")
            return redirect(url_for("accounts.index"))
    flash(f"Reconnected {label}. Posts queued to it will use the new connection.", "success")
    return redirect(url_for("accounts.index") + f"#account-{account_id}")


# --- choosing among several accounts (Facebook Pages and their Instagram accounts) ------------


def _selection_page(platform: str, linked: list[LinkedAccount], errors: Errors | None = None,
                    sealed: str | None = None, status: int = 200):
    """The candidates travel sealed in the form (see the module docstring); the session keeps
    only the nonce that makes them usable once, by this user."""
    if sealed is None:
        nonce = secrets.token_urlsafe(16)
        session[SELECT_KEY] = nonce
        sealed = _seal({"nonce": nonce, "user": current_user_id(), "platform": platform,
                        "started": now().timestamp(),
                        "accounts": [_linked_to_dict(a) for a in linked]})
    agency_id = current_actor().agency_id
    db_session = get_session()
    rows = [{"index": str(n), "linked": a,
             "existing": find_account(db_session, agency_id, a.platform, a.handle)}
            for n, a in enumerate(linked)]
    html = render_template("connect/select.html", platform=platform, rows=rows, sealed=sealed,
                           errors=errors or {})
    return html, status, {"Cache-Control": "no-store"}


def _linked_to_dict(linked: LinkedAccount) -> dict[str, Any]:
    return {"platform": linked.platform, "handle": linked.handle,
            "display_name": linked.display_name, "credentials": dict(linked.credentials),
            "api_base_url": linked.api_base_url,
            "token_expires_at": linked.token_expires_at.isoformat() if linked.token_expires_at else None}


def _linked_from_dict(data: dict[str, Any]) -> LinkedAccount:
    expires = data.get("token_expires_at")
    return LinkedAccount(platform=data["platform"], handle=data["handle"],
                         display_name=data.get("display_name", ""),
                         credentials=dict(data.get("credentials") or {}),
                         api_base_url=data.get("api_base_url"),
                         token_expires_at=datetime.fromisoformat(expires) if expires else None)


@bp.route("/accounts/connect/select", methods=["POST"])
def connect_selected():
    require_admin()
    sealed = request.form.get("candidates", "")
    data = _unseal(sealed)
    nonce = session.get(SELECT_KEY)
    if (data is None or not nonce or not _fresh(data)
            or not hmac.compare_digest(str(data.get("nonce", "")), str(nonce))):
        flash("This choice of accounts has expired or was already used, so nothing was "
              "connected. Start connecting again.", "error")
        return redirect(url_for("accounts.connect_choose"))
    linked = [_linked_from_dict(a) for a in data.get("accounts", [])]
    chosen = [c for c in request.form.getlist("account") if c.isdigit() and int(c) < len(linked)]
    if not chosen:
        errors: Errors = {}
        add_error(errors, "accounts", "Choose at least one account to connect.")
        return _selection_page(data.get("platform", ""), linked, errors, sealed=sealed, status=422)
    if _save_and_report([linked[int(c)] for c in chosen]):
        session.pop(SELECT_KEY, None)
    return redirect(url_for("accounts.index"))


# --- Mastodon: which server? ------------------------------------------------------------------


def _mastodon_form(errors: Errors, *, instance: str, status: int = 200):
    return render_template("connect/mastodon.html", errors=errors, instance=instance), status


# --- Bluesky: an app password -----------------------------------------------------------------


def _account_arg() -> SocialAccount | None:
    raw = request.values.get("account", "")
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    account = account_or_404(int(raw))
    if account.platform != "bluesky":
        abort(404)
    return account


def _bluesky_identifier(account: SocialAccount | None) -> str:
    if account is None:
        return ""
    return str(_credentials_of(account).get("identifier") or account.handle)


def _bluesky_form(errors: Errors, *, account: SocialAccount | None, identifier: str = "",
                  pds: str | None = None, status: int = 200):
    default = get_state().settings.default_base_urls.get("bluesky") or DEFAULT_PDS
    if pds is None:
        pds = (account.api_base_url or "") if account is not None else ""
    return render_template("connect/bluesky.html", errors=errors, account=account,
                           identifier=identifier, pds=pds, default_pds=default), status


def _connect_bluesky():
    account = _account_arg()
    identifier = request.form.get("identifier", "").strip().lstrip("@")
    password = request.form.get("app_password", "").strip()
    pds = request.form.get("pds_url", "").strip().rstrip("/")
    errors: Errors = {}
    if not identifier:
        add_error(errors, "identifier", "Give the account's handle, such as metro911.bsky.social.")
    if not password:
        add_error(errors, "app_password", "Paste the app password you created in Bluesky.")
    elif not APP_PASSWORD_RE.match(password):
        add_error(errors, "app_password", "That is not an app password (they look like "
                  "abcd-efgh-ijkl-mnop). Create one as shown above; never use the account's "
                  "main password here.")
    if pds and (urlsplit(pds).scheme not in ("http", "https") or not urlsplit(pds).hostname):
        add_error(errors, "pds_url", "Use a URL such as https://bsky.social, or leave it empty.")
    if errors:
        return _bluesky_form(errors, account=account, identifier=identifier, pds=pds, status=422)
    credentials = {"identifier": identifier, "app_password": password}
    label = f"@{account.handle}" if account is not None else "the account"
    release_database()
    try:
        info = get_state().linker.verify("bluesky", handle=identifier, credentials=credentials,
                                         api_base_url=pds or None)
    except AuthExpired:
        add_error(errors, "app_password", "Bluesky did not accept this handle and app password. "
                  "Check both (an app password that was deleted in Bluesky stops working), "
                  "or create a new one.")
    except ConnectorError as exc:
        add_error(errors, "form", f"Could not sign in to Bluesky to check {label}: {exc.message}")
    except (KeyError, ValueError) as exc:
        add_error(errors, "form", f"Could not check {label}: {exc}")
    if errors:
        return _bluesky_form(errors, account=account, identifier=identifier, pds=pds, status=422)
    linked = LinkedAccount(platform="bluesky", handle=info.handle, display_name=info.display_name,
                           credentials=credentials, api_base_url=pds or None,
                           token_expires_at=info.token_expires_at)
    if account is not None:
        if not _same_account(account, {}, linked):
            add_error(errors, "identifier", f"This app password signs in as @{info.handle}, not "
                      f"@{account.handle}. Use an app password of @{account.handle}.")
            return _bluesky_form(errors, account=account, identifier=identifier, pds=pds, status=422)
        with write_transaction() as db_session:
            save_linked(db_session, linked, into=db_session.get(SocialAccount, account.id))
        flash(f"Reconnected Bluesky @{account.handle}.", "success")
        return redirect(url_for("accounts.index") + f"#account-{account.id}")
    _save_and_report([linked])
    return redirect(url_for("accounts.index"))
