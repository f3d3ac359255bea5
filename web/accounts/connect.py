"""Connecting accounts through each platform's own sign-in, and reconnecting them: the routes.

X, Facebook and Instagram (through Facebook Login) and Mastodon (an app registered on the
account's server first) use OAuth: ``POST /accounts/connect/<platform>`` asks the linker where to
send the browser, keeps the flow's state and secrets encrypted in the signed session cookie, and
hands the browser on; ``GET /accounts/callback/<platform>`` checks the state, asks the linker for
the accounts the admin authorized and connects them. Facebook answers with one account per Page
plus their Instagram accounts: the admin picks on a selection page. Bluesky has no OAuth here:
an app password, checked with the platform before it is saved.

The routes stay thin so this file reads as the map of the flow; the work lives beside it:

- :mod:`.connect_setup` — which platforms this server can connect, and how;
- :mod:`.connect_flows` — the OAuth round trip and the choice among several accounts;
- :mod:`.connect_forms` — the Mastodon server form and the Bluesky app password form;
- :mod:`.connect_save` — saving what a platform answered (new, renewed, reconnected).

The routes sit on the accounts blueprint (:mod:`.blueprint`), so their endpoints are
``accounts.connect_choose``, ``accounts.callback`` and so on.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.accounts.blueprint import bp
from web.accounts.connect_flows import (
    FLOWS_KEY,  # noqa: F401  (re-exported: the session key of OAuth flows, read by tests)
    finish_oauth,
    finish_selection,
    start_oauth,
)
from web.accounts.connect_forms import (
    bluesky_account_arg,
    bluesky_form,
    bluesky_identifier,
    connect_bluesky,
    mastodon_form,
    normalise_instance,
)
from web.accounts.connect_save import credentials_of
from web.accounts.connect_setup import (
    OAUTH_PLATFORMS,
    linker_or_flash,
    list_options,
    reconnect_method,
    setup_hint,
)
from web.accounts.shared import account_or_404, require_admin
from web.common.forms import Errors, add_error
from web.common.state import get_state


@bp.route("/accounts/connect")
def connect_choose() -> ResponseReturnValue:
    require_admin()
    return render_template("accounts/connect/choose.html", options=list_options(),
                           can_link=get_state().linker is not None,
                           setup_hint=setup_hint)


@bp.route("/accounts/connect/<platform>")
def connect_form(platform: str) -> ResponseReturnValue:
    require_admin()
    if platform == "mastodon":
        return mastodon_form({}, instance=get_state().settings.default_base_urls.get("mastodon", ""))
    if platform == "bluesky":
        account = bluesky_account_arg()
        return bluesky_form({}, account=account, identifier=bluesky_identifier(account))
    return redirect(url_for("accounts.connect_choose"))


@bp.route("/accounts/connect/<platform>", methods=["POST"])
def connect_start(platform: str) -> ResponseReturnValue:
    require_admin()
    if platform not in OAUTH_PLATFORMS and platform != "bluesky":
        abort(404)
    if linker_or_flash() is None:
        return redirect(url_for("accounts.index"))
    if platform == "bluesky":
        return connect_bluesky()
    if platform == "mastodon":
        raw = request.form.get("instance", "")
        instance = normalise_instance(raw)
        if instance is None:
            errors: Errors = {}
            add_error(errors, "instance", "Give the server's address, such as mastodon.social.")
            return mastodon_form(errors, instance=raw, status=422)
        return start_oauth("mastodon", instance_url=instance)
    return start_oauth(platform)


@bp.route("/accounts/<int:account_id>/reconnect", methods=["POST"])
def reconnect(account_id: int) -> ResponseReturnValue:
    """Connect this same account again (same id, so posts queued to it keep working)."""
    require_admin()
    account = account_or_404(account_id)
    method = reconnect_method(account)
    if method == "password":
        return redirect(url_for("accounts.connect_form", platform="bluesky", account=account.id), 303)
    if method == "oauth":
        instance = None
        if account.platform == "mastodon":
            instance = credentials_of(account).get("instance_url")
            if not instance:
                return redirect(url_for("accounts.credentials", account_id=account.id), 303)
        return start_oauth(account.platform, instance_url=instance, reconnect=account)
    return redirect(url_for("accounts.credentials", account_id=account.id), 303)


@bp.route("/accounts/callback/<platform>")
def callback(platform: str) -> ResponseReturnValue:
    require_admin()
    if platform not in OAUTH_PLATFORMS:
        abort(404)
    return finish_oauth(platform, {k: v for k, v in request.args.items()})


@bp.route("/accounts/connect/select", methods=["POST"])
def connect_selected() -> ResponseReturnValue:
    require_admin()
    return finish_selection(request.form.get("candidates", ""), request.form.getlist("account"))
