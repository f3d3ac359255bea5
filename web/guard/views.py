"""``/guard/settings`` (everyone reads, admins change) and ``/posts/<id>/guard/override``
(approvers), plus what the compose and post pages need to show findings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from content_queue.errors import ServiceError
from content_queue.footer import DEFAULT_FOOTER, MAX_FOOTER, footer_of
from content_queue.guard import override_guard
from content_queue.guard.config import (DEFAULT_PATTERNS, check_allow_numbers, check_entries,
                                        compile_patterns)
from content_queue.guard.posts import (GuardBlocked, check_post, current_override,
                                       texts_of_post)
from content_queue.models import Agency, Post
from content_queue.services import get_post
from content_queue.users import audit
from web.common.auth import current_actor
from web.common.state import discard_changes, get_session, now
from web.guard.highlight import report

bp = Blueprint("guard", __name__, template_folder="templates")

FIELDS = ("guard_allowed_numbers", "guard_allowed_addresses", "guard_allowed_domains",
          "guard_patterns", "footer_text")


def post_guard(post: Post) -> dict:
    """The post page's view of the guard: the highlighted findings and the override."""
    session = get_session()
    # A GET writes nothing (issue 7), so the post's variants and images as this request read
    # them are current: no flush and no second read of both (the post page's two statements).
    found = check_post(session, post, loaded=request.method == "GET")
    return {"fields": report(dict(texts_of_post(post)), found), "findings": found,
            "override": current_override(session, post) if found else None}


def compose_guard() -> list:
    """The findings of the compose form just refused by the guard (set by the compose view)."""
    blocked = g.get("guard_blocked")
    if not isinstance(blocked, GuardBlocked):
        return []
    return report(blocked.texts, blocked.findings)


def note_refusal(exc: Exception) -> None:
    """Called by the compose view when queue_post refused the form."""
    if isinstance(exc, GuardBlocked):
        g.guard_blocked = exc


def agency_footer() -> str | None:
    return footer_of(get_session().get(Agency, current_actor().agency_id))


@bp.app_context_processor
def _helpers() -> dict:
    return {"post_guard": post_guard, "compose_guard": compose_guard,
            "agency_footer": agency_footer}


@bp.route("/guard/settings", methods=["GET", "POST"])
def settings():
    agency = get_session().get(Agency, current_actor().agency_id)
    errors: dict[str, str] = {}
    values = {name: getattr(agency, name) or "" for name in FIELDS}
    values["footer_enabled"] = agency.footer_enabled
    if request.method == "POST":
        if not current_user.is_admin:
            abort(403, "Only an admin can change the guard and footer settings.")
        values = {name: request.form.get(name, "").replace("\r\n", "\n") for name in FIELDS}
        values["footer_enabled"] = request.form.get("footer_enabled") == "on"
        checks = (("guard_allowed_numbers", check_allow_numbers),
                  ("guard_allowed_addresses", lambda v: check_entries(v, "allowed_addresses")),
                  ("guard_allowed_domains", lambda v: check_entries(v, "allowed_domains")),
                  ("guard_patterns", compile_patterns))
        for name, check in checks:
            try:
                check(values[name])
            except ServiceError as exc:
                errors[name] = exc.message
        if len(values["footer_text"].strip()) > MAX_FOOTER:
            errors["footer_text"] = f"The footer can be at most {MAX_FOOTER} characters."
        if not errors:
            for name in FIELDS:
                setattr(agency, name, values[name].strip() or None)
            agency.footer_enabled = values["footer_enabled"]
            audit(get_session(), "guard.settings_changed", actor_id=current_actor().id,
                  entity_type="agency", entity_id=agency.id, now=now(),
                  details={**{n: values[n] for n in FIELDS},
                           "footer_enabled": values["footer_enabled"]})
            flash("Guard and footer settings saved.", "success")
            return redirect(url_for("guard.settings"))
    return render_template("guard/settings.html", values=values, errors=errors,
                           default_patterns=DEFAULT_PATTERNS, default_footer=DEFAULT_FOOTER,
                           max_footer=MAX_FOOTER), 422 if errors else 200


@bp.post("/posts/<int:post_id>/guard/override")
def override(post_id: int):
    if not current_user.is_approver:
        abort(403, "Only an approver or an admin can let a post through the check.")
    session = get_session()
    post = get_post(session, current_actor(), post_id)
    try:
        override_guard(session, actor=current_actor(), post=post,
                       justification=request.form.get("justification", ""), now=now())
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(url_for("posts.detail", post_id=post_id) + "#guard")
    flash("Override recorded with your justification. It can now be submitted and approved.",
          "success")
    return redirect(url_for("posts.detail", post_id=post_id) + "#guard")
