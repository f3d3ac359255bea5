"""Saving what a platform answered: new accounts, renewed credentials, reconnects.

Every way of connecting ends here — the OAuth callback, the selection page and the Bluesky app
password form — so an account authorized twice is updated rather than duplicated in every one
of them, and a reconnect only ever replaces the credentials of the account it was started for.
Each save runs in a short transaction of its own (:func:`.shared.write_transaction`),
after the platform has answered.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from content_queue.accounts import add_account, find_account, update_account_credentials
from content_queue.crypto import CredentialsUnreadable
from content_queue.errors import ServiceError
from content_queue.models import SocialAccount
from content_queue.ports import LinkedAccount
from content_queue.variants import store_account_limits
from web.accounts.shared import actor_in, platform_name, write_transaction
from web.common.state import get_state, now


def stored_base_url(platform: str, api_base_url: str | None) -> str | None:
    """Keep an account's API host only when it differs from the configured default, so a
    change of the default (configuration) still reaches accounts that use it."""
    if not api_base_url:
        return None
    default = get_state().settings.default_base_urls.get(platform)
    return None if default and default.rstrip("/") == api_base_url.rstrip("/") else api_base_url


def save_linked(db_session: Session, linked: LinkedAccount, *,
                into: SocialAccount | None = None) -> bool:
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
                                   display_name=linked.display_name,
                                   allowed_hosts=get_state().settings.allowed_hosts,
                                   default_base_url=get_state().settings.default_base_urls.get(linked.platform))
        store_account_limits(account, linked.limits)
        return False
    account = add_account(db_session, cipher, actor=actor, platform=linked.platform,
                          handle=linked.handle, credentials=dict(linked.credentials), now=now(),
                          display_name=linked.display_name, api_base_url=base,
                          allowed_hosts=get_state().settings.allowed_hosts,
                          default_base_url=get_state().settings.default_base_urls.get(linked.platform))
    account.token_expires_at = linked.token_expires_at
    store_account_limits(account, linked.limits)
    return True


def _describe(linked: LinkedAccount) -> str:
    return f"{platform_name(linked.platform)} @{linked.handle}"


def save_and_report(chosen: list[LinkedAccount]) -> bool:
    """Connect all of ``chosen`` or none (one transaction), and say which were new and which
    were already there. Returns False when nothing was saved."""
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


def credentials_of(account: SocialAccount) -> dict[str, Any]:
    """The account's stored credentials, or nothing when the configured keys cannot read them
    (a reconnect is how such an account is repaired, so it must not fail on them)."""
    try:
        return get_state().cipher.decrypt(account.credentials_encrypted)
    except CredentialsUnreadable:
        return {}


def same_account(account: SocialAccount, old: dict[str, Any], linked: LinkedAccount) -> bool:
    """Whether the platform answered with ``account`` itself, so a reconnect never puts another
    account's credentials under this one's posts."""
    if linked.platform != account.platform:
        return False
    for key in ("page_id", "ig_user_id"):  # Graph ids stay when a Page renames itself
        if old.get(key) and linked.credentials.get(key) == old[key]:
            return True
    return linked.handle.strip().lstrip("@").lower() == account.handle.strip().lstrip("@").lower()


def finish_reconnect(account_id: int, linked: list[LinkedAccount]) -> ResponseReturnValue:
    """Give ``account_id`` the credentials of the matching authorized account (same id, so posts
    queued to it keep working), or say whom the admin authorized instead."""
    with write_transaction() as db_session:
        account = db_session.get(SocialAccount, account_id)
        actor = actor_in(db_session)
        if account is None or account.agency_id != actor.agency_id:
            abort(404)
        label = f"{platform_name(account.platform)} @{account.handle}"
        match = next((a for a in linked if same_account(account, credentials_of(account), a)), None)
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
