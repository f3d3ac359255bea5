"""The connect pages that are forms of our own: the Mastodon server to sign in on, and the
Bluesky handle and app password.

Bluesky has no OAuth here, so its whole connection is this form: the app password is checked
with Bluesky (``linker.verify``) before anything is saved, and a reconnect refuses a password
that signs in as another account. Mastodon's form only names the server; the sign-in itself is
an OAuth flow (:mod:`.connect_flows`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from content_queue.models import SocialAccount
from content_queue.platforms import host_refusal, url_allowed
from content_queue.ports import AuthExpired, ConnectorError, LinkedAccount
from web.accounts.connect_save import credentials_of, same_account, save_and_report, save_linked
from web.accounts.shared import account_or_404, release_database, write_transaction
from web.common.forms import Errors, add_error
from web.common.state import get_state

DEFAULT_PDS = "https://bsky.social"
APP_PASSWORD_RE = re.compile(r"^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$")


# --- Mastodon: which server? ------------------------------------------------------------------


def mastodon_form(errors: Errors, *, instance: str, status: int = 200) -> ResponseReturnValue:
    return render_template("accounts/connect/mastodon.html", errors=errors,
                           instance=instance), status


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


# --- Bluesky: an app password -----------------------------------------------------------------


def bluesky_account_arg() -> SocialAccount | None:
    """The Bluesky account being reconnected (``?account=``), or None for a new connection."""
    raw = request.values.get("account", "")
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    account = account_or_404(int(raw))
    if account.platform != "bluesky":
        abort(404)
    return account


def bluesky_identifier(account: SocialAccount | None) -> str:
    """What to prefill when reconnecting: the sign-in name it used, else its handle."""
    if account is None:
        return ""
    return str(credentials_of(account).get("identifier") or account.handle)


def bluesky_form(errors: Errors, *, account: SocialAccount | None, identifier: str = "",
                 pds: str | None = None, status: int = 200) -> ResponseReturnValue:
    default = get_state().settings.default_base_urls.get("bluesky") or DEFAULT_PDS
    if pds is None:
        pds = (account.api_base_url or "") if account is not None else ""
    return render_template("accounts/connect/bluesky.html", errors=errors, account=account,
                           identifier=identifier, pds=pds, default_pds=default), status


def connect_bluesky() -> ResponseReturnValue:
    """Check the posted handle and app password with Bluesky, then connect (or reconnect)."""
    account = bluesky_account_arg()
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
    elif pds and not url_allowed(pds, get_state().settings.allowed_hosts.get("bluesky", ())):
        add_error(errors, "pds_url", host_refusal("bluesky", pds))
    if errors:
        return bluesky_form(errors, account=account, identifier=identifier, pds=pds, status=422)
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
        return bluesky_form(errors, account=account, identifier=identifier, pds=pds, status=422)
    linked = LinkedAccount(platform="bluesky", handle=info.handle, display_name=info.display_name,
                           credentials=credentials, api_base_url=pds or None,
                           token_expires_at=info.token_expires_at)
    if account is not None:
        if not same_account(account, {}, linked):
            add_error(errors, "identifier", f"This app password signs in as @{info.handle}, not "
                      f"@{account.handle}. Use an app password of @{account.handle}.")
            return bluesky_form(errors, account=account, identifier=identifier, pds=pds, status=422)
        with write_transaction() as db_session:
            save_linked(db_session, linked, into=db_session.get(SocialAccount, account.id))
        flash(f"Reconnected Bluesky @{account.handle}.", "success")
        return redirect(url_for("accounts.index") + f"#account-{account.id}")
    save_and_report([linked])
    return redirect(url_for("accounts.index"))
