"""The compose page: write a post, pick accounts and a local time, queue it or save a draft."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from content_queue.accounts import list_accounts
from content_queue.errors import ServiceError
from content_queue.services import list_campaigns, platform_limits, queue_post
from content_queue.states import Status
from web.auth import current_actor
from web.formatting import agency_timezone, localtime
from web.forms import (
    ComposeForm,
    Errors,
    When,
    add_error,
    default_local_time,
    form_errors,
    resolve_when,
    service_errors,
)
from web.state import discard_changes, get_session, now

bp = Blueprint("compose", __name__)

#: Form field → page group, and service field → page group.
FIELD_GROUPS = {"text": "text", "accounts": "accounts", "date": "when", "time": "when",
                "fold": "when", "campaign": "campaign"}
SERVICE_GROUPS = {"text": "text", "account_ids": "accounts", "scheduled_at": "when",
                  "campaign_id": "campaign"}


def _build_form() -> tuple[ComposeForm, list, list]:
    actor = current_actor()
    session = get_session()
    accounts = [a for a in list_accounts(session, actor.agency_id) if a.status != "disabled"]
    campaigns = list_campaigns(session, actor.agency_id)
    form = ComposeForm()
    form.accounts.choices = [(a.id, a.handle) for a in accounts]
    form.campaign.choices = [("", "No campaign")] + [(str(c.id), c.name) for c in campaigns]
    return form, accounts, campaigns


def render_compose(form: ComposeForm, accounts: list, campaigns: list, errors: Errors,
                   when: When | None = None, status: int = 200):
    return render_template(
        "posts/compose.html", form=form, accounts=accounts, campaigns=campaigns, errors=errors,
        fold_choices=when.fold_choices if when else [], limits=platform_limits(),
        tz_name=agency_timezone(),
    ), status


@bp.route("/posts/new", methods=["GET", "POST"])
def compose():
    if not current_user.can_write:
        abort(403, "Viewers can read the queue but cannot write posts.")
    form, accounts, campaigns = _build_form()
    if request.method == "GET":
        suggested = default_local_time(now(), agency_timezone())
        form.date.data, form.time.data = suggested.date(), suggested.time()
        wanted = request.args.get("account", type=int)
        form.accounts.data = [wanted] if wanted in {a.id for a in accounts} else []
        return render_compose(form, accounts, campaigns, {})

    form.validate()
    errors = form_errors(form, FIELD_GROUPS)
    when = resolve_when(form.date.data, form.time.data, form.fold.data, agency_timezone())
    if when.error:
        add_error(errors, "when", when.error)
    if errors:
        return render_compose(form, accounts, campaigns, errors, when, 422)

    submit = request.form.get("action", "queue") != "draft"
    try:
        post = queue_post(get_session(), actor=current_actor(), text=form.text.data or "",
                          account_ids=form.accounts.data or [], scheduled_at=when.instant,
                          now=now(), campaign_id=form.campaign.data or None, submit=submit)
    except ServiceError as exc:
        discard_changes()
        return render_compose(form, accounts, campaigns, service_errors(exc, SERVICE_GROUPS),
                              when, 422)
    status = post.targets[0].status
    if status == Status.SCHEDULED.value:
        flash(f"Scheduled for {localtime(when.instant)}.", "success")
    elif status == Status.AWAITING_APPROVAL.value:
        flash("Queued. It is awaiting approval by a supervisor.", "success")
    else:
        flash("Saved as a draft. Submit it when it is ready.", "success")
    return redirect(url_for("posts.detail", post_id=post.id))


def render_compose_after_csrf():
    """The form's CSRF token was refused (expired session): nothing was saved, text kept."""
    form, accounts, campaigns = _build_form()
    errors = {"form": ["For your security this form had expired, so nothing was saved. Your "
                       "post is still below: check it and press the button again."]}
    return render_compose(form, accounts, campaigns, errors, None, 400)
