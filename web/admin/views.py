"""``/admin/users`` (an agency's admins): create users, change roles, deactivate and
reactivate, reset passwords, see last sign-ins. ``/admin/agencies`` (the owner): create an
agency with its first admin, and see usage across agencies.

Every page here reads the request's session, which is scoped to the admin's agency
(:mod:`content_queue.agencies`): another agency's user id is a 404, like any unknown id.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from content_queue.agencies import agencies_usage, create_agency
from content_queue.delivery_settings import (DeliveryForm, delivery_summary, last_delivery_test,
                                             send_delivery_test, update_delivery_settings)
from content_queue.errors import ServiceError
from content_queue.models import Agency, User
from content_queue.passwords import generate_password
from content_queue.timeutil import zone
from content_queue.users import (AGENCY_ROLES, change_role, create_user, list_users,
                                 reset_password, set_active)
from web.common.auth import current_actor, roles_allowed
from web.common.state import discard_changes, get_session, get_state, now, unscoped_session

bp = Blueprint("admin", __name__, template_folder="templates")


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None or user.role == "owner":
        abort(404)
    return user


def _users_page(*, errors=None, values=None, shown_password=None, status=200):
    return render_template("admin/users.html", users=list_users(get_session()),
                           roles=AGENCY_ROLES, errors=errors or {}, values=values or {},
                           shown_password=shown_password, area="admin"), status


@bp.route("/admin/users")
def users():
    _require_admin()
    return _users_page()


@bp.route("/admin/users", methods=["POST"])
def users_create():
    _require_admin()
    values = {k: request.form.get(k, "").strip() for k in ("email", "display_name", "role")}
    password = generate_password()
    try:
        user = create_user(get_session(), agency_id=current_actor().agency_id,
                           email=values["email"], role=values["role"], password=password,
                           display_name=values["display_name"], now=now(),
                           actor_id=current_actor().id)
    except ServiceError as exc:
        discard_changes()
        return _users_page(errors={"_form": exc.message, **(exc.fields or {})}, values=values,
                           status=exc.status)
    return _users_page(shown_password={"email": user.email, "password": password,
                                       "created": True})


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
def users_role(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    try:
        change_role(get_session(), user, request.form.get("role", ""), actor=current_actor(),
                    now=now())
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(url_for("admin.users"))
    flash(f"{user.email} is now {user.role}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
def users_active(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        set_active(get_session(), user, active, actor=current_actor(), now=now())
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(url_for("admin.users"))
    flash(f"{user.email} is {'active again' if active else 'deactivated; their sessions and tokens stopped working'}.",
          "success")
    return redirect(url_for("admin.users"))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
def users_reset_password(user_id: int):
    _require_admin()
    user = _user_or_404(user_id)
    password = reset_password(get_session(), user, actor=current_actor(), now=now())
    return _users_page(shown_password={"email": user.email, "password": password,
                                       "created": False})


# ---- the owner -------------------------------------------------------------------------


def _require_owner() -> None:
    if not current_user.is_owner:
        abort(403)


def _agencies_page(*, errors=None, values=None, created=None, status=200):
    read = unscoped_session()  # the one page that sees across agencies
    try:
        usage = agencies_usage(read)
    finally:
        read.close()
    return render_template("admin/agencies.html", usage=usage, errors=errors or {},
                           values=values or {}, created=created, area="admin"), status


@bp.route("/admin/agencies")
def agencies():
    _require_owner()
    return _agencies_page()


@bp.route("/admin/agencies", methods=["POST"])
def agencies_create():
    _require_owner()
    values = {k: request.form.get(k, "").strip() for k in ("name", "timezone", "admin_email")}
    password = generate_password()
    session = get_session()
    try:
        zone(values["timezone"] or "?")
        agency = create_agency(session, name=values["name"], timezone_name=values["timezone"],
                               now=now(), actor_id=current_actor().id)
        admin = create_user(session, agency_id=agency.id, email=values["admin_email"],
                            role="admin", password=password, now=now(),
                            actor_id=current_actor().id)
    except ServiceError as exc:
        discard_changes()
        return _agencies_page(errors={"_form": exc.message, **(exc.fields or {})},
                              values=values, status=exc.status)
    except Exception as exc:  # an unknown time zone from zone() above
        discard_changes()
        return _agencies_page(errors={"_form": "The agency could not be created.",
                                      "timezone": str(exc)}, values=values, status=400)
    created = {"name": agency.name, "id": agency.id, "email": admin.email, "password": password}
    session.commit()
    return _agencies_page(created=created)


# ---- the agency's own settings ------------------------------------------------------------


@bp.route("/admin/agency", methods=["GET", "POST"])
def agency_settings():
    """Name and time zone here; the approval rules, the on-duty contact and the guard/footer
    have their own pages (linked from this one)."""
    _require_admin()
    from content_queue.agencies import update_agency
    from content_queue.models import Agency

    agency = get_session().get(Agency, current_actor().agency_id)
    errors, values = {}, {"name": agency.name, "timezone": agency.timezone}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("name", "timezone")}
        try:
            update_agency(get_session(), agency, name=values["name"],
                          timezone_name=values["timezone"], actor_id=current_actor().id,
                          now=now())
        except ServiceError as exc:
            discard_changes()
            errors = {"_form": exc.message, **(exc.fields or {})}
        else:
            flash("Agency settings saved.", "success")
            return redirect(url_for("admin.agency_settings"))
    return render_template("admin/agency.html", values=values, errors=errors,
                           area="admin"), 422 if errors else 200


# ---- the agency's e-mail server and webhook ------------------------------------------------

DELIVERY_ADMINS_ONLY = "Only an admin can change the agency's delivery settings."


def _delivery_form():
    form = request.form
    return DeliveryForm(
        smtp_host=form.get("smtp_host", ""), smtp_port=form.get("smtp_port", ""),
        smtp_username=form.get("smtp_username", ""), smtp_password=form.get("smtp_password", ""),
        clear_smtp_password=form.get("clear_smtp_password") == "1",
        smtp_from=form.get("smtp_from", ""), smtp_starttls=form.get("smtp_starttls") == "1",
        webhook_url=form.get("webhook_url", ""), webhook_secret=form.get("webhook_secret", ""),
        clear_webhook_secret=form.get("clear_webhook_secret") == "1")


def _delivery_page(agency, *, values=None, errors=None, status=200):
    saved = delivery_summary(agency)
    return render_template("admin/delivery.html", values=values or saved, saved=saved,
                           errors=errors or {},
                           last_test=last_delivery_test(get_session(), agency.id),
                           area="admin"), status


@bp.route("/admin/agency/delivery", methods=["GET", "POST"])
@roles_allowed({"admin"}, DELIVERY_ADMINS_ONLY)
def delivery_settings():
    """The agency's own SMTP server and webhook (blank: the installation's). Secrets are never
    put back in the page: a blank field keeps the saved one."""
    agency = get_session().get(Agency, current_actor().agency_id)
    if request.method == "GET":
        return _delivery_page(agency)
    form = _delivery_form()
    try:
        update_delivery_settings(get_session(), get_state().cipher, agency, form,
                                 actor_id=current_actor().id, now=now(),
                                 allowed_hosts=get_state().settings.agency_delivery_allowed_hosts)
    except ServiceError as exc:
        discard_changes()
        values = {name: getattr(form, name) for name in
                  ("smtp_host", "smtp_port", "smtp_username", "smtp_from", "smtp_starttls",
                   "webhook_url")}
        return _delivery_page(agency, values=values,
                              errors={"_form": exc.message, **(exc.fields or {})},
                              status=exc.status)
    flash("Delivery settings saved. Send a test to check them.", "success")
    return redirect(url_for("admin.delivery_settings"))


@bp.route("/admin/agency/delivery/test", methods=["POST"])
@roles_allowed({"admin"}, DELIVERY_ADMINS_ONLY)
def delivery_test():
    """A test notice to the admin, sent by the worker through the settings in force."""
    actor = current_actor()
    send_delivery_test(get_session(), get_session().get(Agency, actor.agency_id), actor,
                       now=now())
    flash(f"A test was handed to the worker: an e-mail to {actor.email} and a call to the "
          "webhook. Reload this page in a few seconds to see how it went.", "success")
    return redirect(url_for("admin.delivery_settings"))
