"""Social accounts: the list for everyone, the "connect an account" form for admins."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from content_queue.accounts import CREDENTIAL_FORMS, add_account, list_accounts
from content_queue.errors import ServiceError
from web.auth import current_actor
from web.forms import (
    AccountForm,
    Errors,
    credential_fields,
    credential_hint,
    is_secret,
    service_errors,
)
from web.state import discard_changes, get_session, get_state, now

bp = Blueprint("accounts", __name__)

GROUPS = {"platform": "platform", "handle": "handle", "display_name": "display_name",
          "api_base_url": "api_base_url", "credentials": "credentials"}


def credential_input_name(platform: str, key: str) -> str:
    return f"cred-{platform}-{key}"


def _credential_sets() -> list[dict]:
    return [
        {"platform": p, "hint": credential_hint(p),
         "fields": [{"key": k, "name": credential_input_name(p, k), "secret": is_secret(k),
                     "label": k.replace("_", " ").capitalize()} for k in credential_fields(p)]}
        for p in CREDENTIAL_FORMS
    ]


def _render(form: AccountForm, errors: Errors, status: int = 200):
    accounts = list_accounts(get_session(), current_actor().agency_id)
    return render_template("accounts.html", accounts=accounts, form=form, errors=errors,
                           credential_sets=_credential_sets()), status


@bp.route("/accounts")
def index():
    return _render(AccountForm(formdata=None), {})


@bp.route("/accounts", methods=["POST"])
def create():
    if not current_user.is_admin:
        abort(403, "Only an admin can connect social accounts.")
    form = AccountForm()
    platform = (form.platform.data or "").strip()
    credentials = {}
    if platform in CREDENTIAL_FORMS:
        for key in credential_fields(platform):
            value = request.form.get(credential_input_name(platform, key), "").strip()
            if value:
                credentials[key] = value
    try:
        account = add_account(
            get_session(), get_state().cipher, actor=current_actor(), platform=platform,
            handle=form.handle.data or "", credentials=credentials, now=now(),
            display_name=(form.display_name.data or "").strip(),
            api_base_url=(form.api_base_url.data or "").strip() or None,
        )
    except ServiceError as exc:
        discard_changes()
        return _render(form, service_errors(exc, GROUPS), 422)
    flash(f"Connected @{account.handle}.", "success")
    return redirect(url_for("accounts.index"))
