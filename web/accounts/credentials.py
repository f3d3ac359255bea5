"""Replacing an account's credentials by hand: the reconnect for platforms (or servers) where
Tenfour cannot use the platform's own sign-in page (API registrations, the sandbox).

The new credentials are checked with the platform (when a linker is configured) before they
replace the old ones, outside the request's transaction (:func:`.shared.release_database`).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from content_queue.accounts import check_credentials, update_account_credentials
from content_queue.errors import ServiceError
from content_queue.models import SocialAccount
from content_queue.ports import AuthExpired, ConnectorError
from content_queue.variants import store_account_limits
from web.accounts.blueprint import bp
from web.accounts.forms import credential_sets, typed_credentials
from web.accounts.shared import (
    account_or_404,
    actor_in,
    platform_name,
    release_database,
    require_admin,
    write_transaction,
)
from web.common.forms import Errors, add_error
from web.common.state import get_state, now


@bp.route("/accounts/<int:account_id>/credentials", methods=["GET", "POST"])
def credentials(account_id: int):
    """Replace an account's credentials by hand: a reconnect for platforms (or servers) where
    Tenfour cannot use the platform's sign-in page."""
    require_admin()
    account = account_or_404(account_id)
    errors: Errors = {}
    if request.method == "POST":
        typed = typed_credentials(account.platform)
        account_id, platform, handle, base = account.id, account.platform, account.handle, account.api_base_url
        linker = get_state().linker
        info = None
        try:
            check_credentials(platform, typed)
        except ServiceError as exc:
            add_error(errors, "credentials", exc.message)
        if linker is not None and not errors:
            release_database()
            try:
                info = linker.verify(platform, handle=handle, credentials=typed, api_base_url=base)
            except AuthExpired as exc:
                add_error(errors, "credentials", f"{platform_name(platform)} refused these "
                          f"credentials: {exc.message}")
            except ConnectorError as exc:
                add_error(errors, "credentials", f"Could not check them: {exc.message}")
            except (KeyError, ValueError) as exc:
                add_error(errors, "credentials", f"Could not check them: {exc}")
        if not errors:
            try:
                with write_transaction() as db_session:
                    row = db_session.get(SocialAccount, account_id)
                    update_account_credentials(
                        db_session, get_state().cipher, row, actor=actor_in(db_session),
                        credentials=typed, now=now(), api_base_url=row.api_base_url,
                        token_expires_at=info.token_expires_at if info else None,
                        allowed_hosts=get_state().settings.allowed_hosts,
                        default_base_url=get_state().settings.default_base_urls.get(row.platform))
                    store_account_limits(row, info.extra if info else None)  # issue 8
            except ServiceError as exc:
                add_error(errors, "credentials", exc.message)
            else:
                flash(f"Reconnected {platform_name(platform)} @{handle} with the new credentials.",
                      "success")
                return redirect(url_for("accounts.index") + f"#account-{account_id}")
    return render_template("accounts/connect/manual.html", account=account, errors=errors,
                           set=credential_sets([account.platform])[0],
                           checked=get_state().linker is not None), 422 if errors else 200
