"""The OAuth round trip (start, hand-off, callback) and the choice among several accounts.

A flow's state and secrets are kept *encrypted* (``state.cipher``) in the signed session
cookie, at most :data:`MAX_FLOWS` at a time, and each answer from the platform is used once and
only within :data:`FLOW_SECONDS`, by the user who started it.

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
import secrets
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from content_queue.accounts import find_account
from content_queue.crypto import CredentialsUnreadable
from content_queue.models import SocialAccount
from content_queue.ports import AuthorizeStart, ConnectorError, LinkedAccount
from web.accounts.connect_forms import mastodon_form
from web.accounts.connect_save import finish_reconnect, save_and_report
from web.accounts.connect_setup import linker_or_flash, missing_client_vars, setup_message
from web.accounts.shared import current_user_id, platform_name, release_database
from web.common.auth import current_actor
from web.common.forms import Errors, add_error
from web.common.state import get_session, get_state, now

FLOWS_KEY = "tenfour_oauth"
SELECT_KEY = "tenfour_oauth_select"
MAX_FLOWS = 3  # sign-ins started in other tabs stay valid, within reason
FLOW_SECONDS = 30 * 60


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


# --- OAuth: start and hand-off ----------------------------------------------------------------


def start_oauth(platform: str, *, instance_url: str | None = None,
                reconnect: SocialAccount | None = None) -> ResponseReturnValue:
    """Ask the linker where to send the browser, remember the flow, and render the hand-off
    page (see the module docstring for why it is a page)."""
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
    response = render_template("accounts/connect/handoff.html", platform=platform,
                               url=start.url, reconnect=reconnect)
    return response, 200, {"Cache-Control": "no-store"}


def _start_failed(platform: str, message: str, instance_url: str | None) -> ResponseReturnValue:
    """A Mastodon server that would not register us is the form's error; others are flashed."""
    if platform == "mastodon" and instance_url:
        errors: Errors = {}
        add_error(errors, "instance", message)
        return mastodon_form(errors, instance=instance_url, status=422)
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


# --- OAuth: the platform's answer -------------------------------------------------------------


def finish_oauth(platform: str, params: dict[str, str]) -> ResponseReturnValue:
    """Match the callback to a flow started here, ask the linker for the accounts the admin
    authorized, and connect them (or reconnect, or offer a choice when there are several)."""
    label = platform_name(platform)
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
    linker = linker_or_flash()
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
        return finish_reconnect(int(flow["reconnect"]), linked)
    if not linked:
        flash(_nothing_to_connect(platform), "error")
        return redirect(url_for("accounts.index"))
    if len(linked) == 1:
        save_and_report(linked)
        return redirect(url_for("accounts.index"))
    return _selection_page(platform, linked)


def _nothing_to_connect(platform: str) -> str:
    if platform in ("facebook", "instagram"):
        return ("Facebook shared no Page that Tenfour can post as. When Facebook asks, choose at "
                "least one Page and allow every permission Tenfour asks for.")
    return f"{platform_name(platform)} did not name an account to connect."


# --- choosing among several accounts (Facebook Pages and their Instagram accounts) ------------


def _selection_page(platform: str, linked: list[LinkedAccount], errors: Errors | None = None,
                    sealed: str | None = None, status: int = 200) -> ResponseReturnValue:
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
    html = render_template("accounts/connect/select.html", platform=platform, rows=rows,
                           sealed=sealed, errors=errors or {})
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


def finish_selection(sealed: str, picked: list[str]) -> ResponseReturnValue:
    """Connect the accounts picked on the selection page, once: the nonce goes when they are
    saved, so the same form posted again connects nothing."""
    data = _unseal(sealed)
    nonce = session.get(SELECT_KEY)
    if (data is None or not nonce or not _fresh(data)
            or not hmac.compare_digest(str(data.get("nonce", "")), str(nonce))):
        flash("This choice of accounts has expired or was already used, so nothing was "
              "connected. Start connecting again.", "error")
        return redirect(url_for("accounts.connect_choose"))
    linked = [_linked_from_dict(a) for a in data.get("accounts", [])]
    chosen = [c for c in picked if c.isdigit() and int(c) < len(linked)]
    if not chosen:
        errors: Errors = {}
        add_error(errors, "accounts", "Choose at least one account to connect.")
        return _selection_page(data.get("platform", ""), linked, errors, sealed=sealed, status=422)
    if save_and_report([linked[int(c)] for c in chosen]):
        session.pop(SELECT_KEY, None)
    return redirect(url_for("accounts.index"))
