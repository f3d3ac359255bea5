"""``/me``: every user's own page: change the password (which ends their other sessions and,
unless unticked, revokes their API tokens), manage their API tokens (create: shown once;
list with last use; revoke) and choose which notifications also reach them by e-mail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_user

from content_queue.email_choices import (ALWAYS_EMAILED, EMAIL_CHOICES, muted_events,
                                         set_email_choices)
from content_queue.errors import ServiceError
from content_queue.models import ApiToken
from content_queue.users import (change_own_password, create_named_token, list_tokens,
                                 revoke_token)
from web.common.auth import WebUser, current_actor
from web.common.state import discard_changes, get_session, now

bp = Blueprint("me", __name__, template_folder="templates")


def _page(*, errors=None, new_token=None, status=200):
    user = current_actor()
    return render_template("me/index.html", user=user, tokens=list_tokens(get_session(), user),
                           errors=errors or {}, new_token=new_token,
                           email_choices=EMAIL_CHOICES, muted=muted_events(user), area="me"), status


@bp.route("/me")
def index():
    return _page()


@bp.route("/me/password", methods=["POST"])
def password():
    user = current_actor()
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return _page(errors={"confirm_password": "The two new passwords are not the same."},
                     status=400)
    try:
        revoked = change_own_password(get_session(), user,
                                      current=request.form.get("current_password", ""), new=new,
                                      now=now(),
                                      revoke_tokens=request.form.get("revoke_tokens") == "1")
    except ServiceError as exc:
        discard_changes()
        fields = dict(exc.fields or {})
        if "password" in fields:
            fields["new_password"] = fields.pop("password")
        return _page(errors={"_password": exc.message, **fields}, status=exc.status)
    login_user(WebUser(user))  # this session goes on; every other one has ended
    extra = f" {revoked} API token(s) were revoked." if revoked else ""
    flash("Your password is changed; your other sessions have ended." + extra, "success")
    return redirect(url_for("me.index"))


@bp.route("/me/tokens", methods=["POST"])
def tokens_create():
    try:
        row, token = create_named_token(get_session(), current_actor(),
                                        request.form.get("name", ""), now=now())
    except ServiceError as exc:
        discard_changes()
        return _page(errors={"_token": exc.message, **(exc.fields or {})}, status=exc.status)
    return _page(new_token={"name": row.name, "token": token})


@bp.route("/me/tokens/<int:token_id>/revoke", methods=["POST"])
def tokens_revoke(token_id: int):
    row = get_session().get(ApiToken, token_id)
    if row is None or row.user_id != current_actor().id:
        abort(404)
    revoke_token(get_session(), row, actor=current_actor(), now=now())
    flash(f"The token “{row.name}” is revoked.", "success")
    return redirect(url_for("me.index"))


@bp.route("/me/notifications", methods=["POST"])
def email_choices():
    """The ticked events keep their e-mail; the others are in the app only. Always the signed-in
    person's own row: there is no user id in the form to change someone else's."""
    wanted = [e for e in request.form.getlist("email_events") if e not in ALWAYS_EMAILED]
    try:
        set_email_choices(get_session(), current_actor(), wanted, now=now())
    except ServiceError as exc:
        discard_changes()
        return _page(errors={"_email": exc.message}, status=exc.status)
    flash("Your e-mail choices are saved. Every notification still shows here in Tenfour.",
          "success")
    return redirect(url_for("me.index"))
