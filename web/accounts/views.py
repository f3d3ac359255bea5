"""Social accounts: the list for everyone; for admins, the manual form, checking a
connection, and disabling or enabling an account.

Connecting through a platform's own sign-in page (and reconnecting) is :mod:`.connect`, and
replacing credentials by hand is :mod:`.credentials`, both on this same blueprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import flash, redirect, render_template, url_for

from content_queue.accounts import (
    add_account,
    disable_account,
    enable_account,
    list_accounts,
    mark_reconnect_needed,
    pending_targets,
    record_connection_ok,
    store_refreshed_credentials,
)
from content_queue.crypto import CredentialsUnreadable
from content_queue.errors import ServiceError
from content_queue.models import SocialAccount
from content_queue.ports import AccountInfo, AuthExpired, ConnectorError
from content_queue.variants import store_account_limits
from web.accounts.blueprint import bp
from web.accounts.forms import AccountForm, credential_sets, typed_credentials
from web.accounts.shared import (
    account_or_404,
    actor_in,
    platform_name,
    release_database,
    require_admin,
    write_transaction,
)
from web.common.auth import current_actor
from web.common.formatting import localtime
from web.common.forms import Errors, service_errors
from web.common.state import discard_changes, get_session, get_state, now

GROUPS = {"platform": "platform", "handle": "handle", "display_name": "display_name",
          "api_base_url": "api_base_url", "credentials": "credentials"}
#: Warn this long before a token that cannot renew itself runs out.
EXPIRY_WARNING = timedelta(days=7)
#: Platforms whose connector renews an expiring token by itself (X's OAuth 2.0 refresh token).
RENEWS_ITSELF = frozenset({"x"})


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    """How the page words an account's token lifetime; ``level`` is "", "warning" or "expired"."""

    text: str
    note: str = ""
    level: str = ""


def token_expiry(account: SocialAccount, at: datetime) -> Expiry:
    """Tokens that renew themselves are not a worry; others are flagged a week ahead."""
    expires = account.token_expires_at
    if expires is None:
        return Expiry("No expiry", "Works until revoked.")
    when = localtime(expires)
    if account.platform in RENEWS_ITSELF:
        return Expiry("Renews automatically", f"Current token until {when}.")
    if expires <= at:
        return Expiry(f"Expired {when}", "It must be reconnected: posts to it will fail.", "expired")
    left = expires - at
    if left < EXPIRY_WARNING:
        days = left.days
        soon = "in less than a day" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        return Expiry(when, f"Expires {soon}: it must be reconnected before then.", "warning")
    return Expiry(when)


def _render(form: AccountForm, errors: Errors, status: int = 200):
    accounts = list_accounts(get_session(), current_actor().agency_id)
    at = now()
    rows = [{"account": a, "expiry": token_expiry(a, at)} for a in accounts]
    linker = get_state().linker
    return render_template(
        "accounts/index.html", rows=rows, form=form, errors=errors,
        credential_sets=credential_sets(),
        can_link=linker is not None,
        needs_reconnect=[a for a in accounts if a.status == "reconnect_needed"],
    ), status


@bp.route("/accounts")
def index():
    return _render(AccountForm(formdata=None), {})


@bp.route("/accounts", methods=["POST"])
def create():
    """Register an account whose credentials came from the platform's developer portal."""
    require_admin()
    form = AccountForm()
    platform = (form.platform.data or "").strip()
    try:
        account = add_account(
            get_session(), get_state().cipher, actor=current_actor(), platform=platform,
            handle=form.handle.data or "", credentials=typed_credentials(platform), now=now(),
            display_name=(form.display_name.data or "").strip(),
            api_base_url=(form.api_base_url.data or "").strip() or None,
            allowed_hosts=get_state().settings.allowed_hosts,
            default_base_url=get_state().settings.default_base_urls.get(platform),
        )
    except ServiceError as exc:
        discard_changes()
        return _render(form, service_errors(exc, GROUPS), 422)
    flash(f"Connected @{account.handle}.", "success")
    return redirect(url_for("accounts.index"))


# --- checking, disabling, enabling ------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str
    expired: bool = False
    info: AccountInfo | None = None


def check_connection(account_id: int) -> Check:
    """Ask the platform who these credentials belong to (``linker.verify``), outside any
    database transaction. Nothing is written here."""
    linker = get_state().linker
    account = account_or_404(account_id)
    label = f"{platform_name(account.platform)} @{account.handle}"
    if linker is None:
        return Check(False, "Testing connections is not available here (no account linker is "
                            "configured).")
    try:
        credentials = get_state().cipher.decrypt(account.credentials_encrypted)
    except CredentialsUnreadable:
        return Check(False, f"The credentials of {label} cannot be decrypted with the configured "
                            "keys; reconnect the account.", expired=True)
    platform, handle, base = account.platform, account.handle, account.api_base_url
    release_database()
    try:
        info = linker.verify(platform, handle=handle, credentials=credentials, api_base_url=base)
    except AuthExpired as exc:
        return Check(False, exc.message, expired=True)
    except ConnectorError as exc:
        return Check(False, f"Could not check {label}: {exc.message}")
    except (ValueError, KeyError) as exc:
        return Check(False, f"Could not check {label}: {exc}")
    return Check(True, f"Connected as @{info.handle}.", info=info)


def _apply_check(account_id: int, result: Check, *, enable: bool = False) -> None:
    """Record what a check learned: flag an account whose credentials were refused, keep
    renewed tokens, and clear the flag (or re-enable) when it worked."""
    if not (result.ok or result.expired):
        return  # the platform could not say: nothing learned
    with write_transaction() as session:
        account = session.get(SocialAccount, account_id)
        actor = actor_in(session)
        if result.expired:
            mark_reconnect_needed(session, account, result.message, now=now())
            return
        info = result.info
        store_account_limits(account, getattr(info, "extra", None))  # issue 8: own limits
        renewed = (getattr(info, "extra", None) or {}).get("refreshed_credentials")
        if isinstance(renewed, dict) and renewed:
            store_refreshed_credentials(session, get_state().cipher, account.id, renewed, now=now())
        if enable:
            enable_account(session, account, actor=actor, now=now(),
                           token_expires_at=info.token_expires_at)
        else:
            record_connection_ok(session, account, actor=actor, now=now(),
                                 token_expires_at=info.token_expires_at)


@bp.route("/accounts/<int:account_id>/test", methods=["POST"])
def test(account_id: int):
    require_admin()
    result = check_connection(account_id)
    _apply_check(account_id, result)
    flash(result.message, "success" if result.ok else "error")
    return redirect(url_for("accounts.index") + f"#account-{account_id}")


@bp.route("/accounts/<int:account_id>/enable", methods=["POST"])
def enable(account_id: int):
    """Turn a disabled account back on, once its credentials still work."""
    require_admin()
    result = check_connection(account_id)
    _apply_check(account_id, result, enable=result.ok)
    if result.ok:
        flash(f"{result.message} The account is enabled again.", "success")
    else:
        flash(f"{result.message} The account stays disabled; reconnect it instead.", "error")
    return redirect(url_for("accounts.index") + f"#account-{account_id}")


@bp.route("/accounts/<int:account_id>/disable")
def disable_confirm(account_id: int):
    require_admin()
    account = account_or_404(account_id)
    if account.status == "disabled":
        flash(f"@{account.handle} is already disabled.", "info")
        return redirect(url_for("accounts.index"))
    return render_template("accounts/disable.html", account=account,
                           pending=len(pending_targets(get_session(), account)))


@bp.route("/accounts/<int:account_id>/disable", methods=["POST"])
def disable(account_id: int):
    require_admin()
    account = account_or_404(account_id)
    canceled = disable_account(get_session(), account, actor=current_actor(), now=now())
    message = f"Disabled {platform_name(account.platform)} @{account.handle}."
    if canceled == 1:
        message += " 1 post queued to it was canceled."
    elif canceled:
        message += f" {canceled} posts queued to it were canceled."
    flash(message, "success")
    return redirect(url_for("accounts.index"))
