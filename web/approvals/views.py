"""The approvals area: the approver's queue (oldest first, with each account's preview),
approve or send back with a comment, the post's comment thread, review links for a named
person, editing a post (kept as a version), and the agency's approval rules (admins)."""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField

from content_queue.accounts import list_accounts
from content_queue.approval_rules import approval_stands, needs_approval
from content_queue.approvals import (add_comment, approval_queue, decide, list_comments,
                                     may_comment, update_rules)
from content_queue.errors import Forbidden, ServiceError
from content_queue.models import APPROVER_ROLES, AUTHOR_ROLES, Post
from content_queue.post_edits import edit_post
from content_queue.review_links import (DEFAULT_HOURS, MAX_HOURS, create_link, links_for_post,
                                        revoke_link)
from content_queue.services import get_post
from content_queue.states import EDITABLE, Status, TransitionConflict, TransitionRefused
from content_queue.timeutil import utc_to_local
from content_queue.versions import diff_text, list_versions, previous_of
from web.approvals.previews import previews_for
from web.common.auth import current_actor, refuse, roles_allowed
from web.common.formatting import agency_timezone
from web.common.forms import (WhenFields, add_error, form_errors, resolve_when,
                              service_errors)
from web.common.state import discard_changes, get_session, now

bp = Blueprint("approvals", __name__, template_folder="templates")

PER_PAGE = 10
#: Versions shown on a post's page (newest first); the API pages through all of them.
VERSIONS_SHOWN = 20
COMMENTS_SHOWN = 100


APPROVERS_ONLY = "Only approvers and admins review posts waiting for approval."


def _load(post_id: int) -> Post:
    try:
        return get_post(get_session(), current_actor(), post_id)
    except ServiceError:
        abort(404, "There is no such post in your agency's queue.")


def _refused(exc: Exception) -> None:
    if isinstance(exc, Forbidden):
        refuse(exc)
    discard_changes()
    if isinstance(exc, ServiceError):
        flash(exc.message, "error")
    elif isinstance(exc, TransitionConflict):
        flash("Someone else changed this post at the same moment. Check it and try again.",
              "error")
    else:
        flash(str(exc), "error")


# --- the queue ------------------------------------------------------------------------------

@bp.route("/approvals")
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def queue():
    page = max(request.args.get("page", 1, type=int), 1)
    posts, total = approval_queue(get_session(), current_actor(), page=page, per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("approvals/queue.html", posts=posts, total=total, page=page,
                           pages=pages, previews_for=previews_for,
                           rules=current_actor().agency)


@bp.route("/approvals/<int:post_id>/decide", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def decide_post(post_id: int):
    _load(post_id)
    decision = request.form.get("decision", "")
    back = request.form.get("back") == "post"
    page = request.form.get("page", 1, type=int)
    try:
        decide(get_session(), actor=current_actor(), post_id=post_id, decision=decision,
               comment=request.form.get("comment", ""), now=now())
    except (ServiceError, TransitionConflict, TransitionRefused) as exc:
        _refused(exc)
    else:
        flash(f"Post #{post_id} approved: it is scheduled." if decision == "approve"
              else f"Post #{post_id} sent back to its author as a draft.", "success")
    if back:
        return redirect(url_for("posts.detail", post_id=post_id))
    return redirect(url_for("approvals.queue", page=max(page, 1)))


# --- the agency's rules ---------------------------------------------------------------------

@bp.route("/approvals/rules", methods=["GET", "POST"])
def rules():
    actor = current_actor()
    if actor.role != "admin":
        abort(403, "Only an admin can change the approval rules.")
    if request.method == "POST":
        try:
            update_rules(get_session(), actor=actor,
                         pio_posts_need_approval=request.form.get("pio_posts_need_approval") == "on",
                         second_person_required=request.form.get("second_person_required") == "on",
                         now=now())
        except ServiceError as exc:
            _refused(exc)
        else:
            flash("Approval rules saved.", "success")
        return redirect(url_for("approvals.rules"))
    return render_template("approvals/rules.html", agency=actor.agency)


# --- the thread -----------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/comments", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, "Only approvers, admins and the post's author can comment on it.")
def comment(post_id: int):
    _load(post_id)
    try:
        add_comment(get_session(), actor=current_actor(), post_id=post_id,
                    body=request.form.get("comment", ""), now=now())
    except ServiceError as exc:
        _refused(exc)
    else:
        flash("Comment added.", "success")
    return redirect(url_for("posts.detail", post_id=post_id) + "#comments")


# --- review links ---------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/review-links", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def make_link(post_id: int):
    post = _load(post_id)
    hours = request.form.get("expires_in_hours", type=int) or DEFAULT_HOURS
    try:
        link, token = create_link(get_session(), actor=current_actor(), post_id=post_id,
                                  name=request.form.get("name", ""), now=now(),
                                  secret_key=current_app.secret_key, expires_in_hours=hours)
    except ServiceError as exc:
        _refused(exc)
        return redirect(url_for("posts.detail", post_id=post_id) + "#review-links")
    url = url_for("review.page", token=token, _external=True)
    return render_template("approvals/link_made.html", post=post, link=link, url=url)


@bp.route("/review-links/<int:link_id>/revoke", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def revoke(link_id: int):
    post_id = request.form.get("post_id", type=int)
    try:
        link = revoke_link(get_session(), actor=current_actor(), link_id=link_id, now=now())
    except ServiceError as exc:
        _refused(exc)
        if post_id is None:
            abort(404)
    else:
        flash(f"The review link for {link.name} no longer works.", "success")
        post_id = link.post_id
    return redirect(url_for("posts.detail", post_id=post_id) + "#review-links")


# --- editing --------------------------------------------------------------------------------

class EditForm(WhenFields, FlaskForm):
    text = TextAreaField("Post text")
    accounts = SelectMultipleField("Accounts", coerce=int, validate_choice=False)


def _editable(post: Post) -> bool:
    live = [t for t in post.targets if t.status != Status.CANCELED.value]
    return bool(live) and all(Status(t.status) in EDITABLE for t in live)


def _may_edit(post: Post) -> bool:
    actor = current_actor()
    return actor.role != "viewer" and (actor.role in APPROVER_ROLES or post.author_id == actor.id)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(post_id: int):
    post = _load(post_id)
    if not _may_edit(post):
        abort(403, "Only the author or an approver can edit this post.")
    if not _editable(post):
        flash("This post can no longer be edited: it has been published (or is going out) on "
              "at least one account.", "error")
        return redirect(url_for("posts.detail", post_id=post_id))
    accounts = [a for a in list_accounts(get_session(), current_actor().agency_id)
                if a.status != "disabled" or a.id in {t.account_id for t in post.targets}]
    form = EditForm()
    form.accounts.choices = [(a.id, a.handle) for a in accounts]
    live = [t for t in post.targets if t.status != Status.CANCELED.value]
    first = min((t.scheduled_at for t in live), default=None)
    errors: dict = {}
    when = None
    if request.method == "GET":
        form.text.data = post.text
        form.accounts.data = [t.account_id for t in live]
        if first is not None:
            local = utc_to_local(first, agency_timezone())
            form.date.data = local.date()
            form.time.data = local.time().replace(second=0, microsecond=0)
    else:
        form.validate()
        errors = form_errors(form, {"text": "text", "accounts": "accounts", "date": "when",
                                    "time": "when", "fold": "when"})
        when = resolve_when(form.date.data, form.time.data, form.fold.data, agency_timezone())
        if when.error:
            add_error(errors, "when", when.error)
        if not errors:
            new_time = None
            if first is None or when.instant.replace(second=0, microsecond=0) != \
                    first.replace(second=0, microsecond=0):
                new_time = when.instant
            try:
                edit_post(get_session(), actor=current_actor(), post_id=post_id, now=now(),
                          text=form.text.data or "", account_ids=form.accounts.data or [],
                          scheduled_at=new_time)
            except ServiceError as exc:
                discard_changes()
                errors = service_errors(exc, {"text": "text", "account_ids": "accounts",
                                              "scheduled_at": "when"})
            except (TransitionConflict, TransitionRefused) as exc:
                _refused(exc)
                return redirect(url_for("posts.detail", post_id=post_id))
            else:
                session = get_session()
                session.refresh(post)
                waiting = any(t.status == Status.AWAITING_APPROVAL.value for t in post.targets)
                flash("Saved." + (" The post waits for approval." if waiting else ""), "success")
                return redirect(url_for("posts.detail", post_id=post_id) + "#versions")
    return render_template("approvals/edit.html", post=post, form=form, accounts=accounts,
                           errors=errors, fold_choices=when.fold_choices if when else [],
                           tz_name=agency_timezone()), (422 if errors else 200)


# --- what the post's page shows -------------------------------------------------------------

@bp.app_template_global()
def submit_schedules(post: Post) -> bool:
    """Whether Submit on this post's draft schedules it (else it goes for approval)."""
    return approval_stands(post) or not needs_approval(post.author, post.author.agency)


@bp.app_template_global()
def approval_panel(post: Post) -> dict:
    """The post page's approvals part: thread, versions with diffs, review links."""
    session = get_session()
    actor = current_actor()
    comments, comment_total = list_comments(session, actor, post.id, per_page=COMMENTS_SHOWN,
                                            post=post)
    versions, version_total = list_versions(session, post.id, per_page=VERSIONS_SHOWN)
    diffs = []
    for version in versions:
        before = previous_of(session, version)
        diffs.append({
            "version": version,
            "text": diff_text(before.text, version.text) if before and "text" in version.changed
            else None,
            "before": before,
        })
    is_approver = actor.role in APPROVER_ROLES
    return {
        "comments": comments, "comment_total": comment_total,
        "may_comment": may_comment(actor, post),
        "versions": diffs, "version_total": version_total,
        "may_edit": _may_edit(post) and _editable(post),
        "links": links_for_post(session, post.id) if is_approver else [],
        "may_link": is_approver and any(t.status == Status.AWAITING_APPROVAL.value
                                        for t in post.targets),
        "default_hours": DEFAULT_HOURS, "max_hours": MAX_HOURS,
        "now": now(), "previews": previews_for(post),
    }
