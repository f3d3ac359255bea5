"""The queue, a post's detail page, and the buttons on it (approve, send back, cancel, …)."""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from content_queue.approvals import decide  # issue 8 approvals
from content_queue.engagement import latest_engagement, replies_for_post
from content_queue.errors import Forbidden, ServiceError
from content_queue.models import APPROVER_ROLES, AUTHOR_ROLES, Post
from content_queue.outcomes import confirm_target, repost_target
from content_queue.reading import list_posts, post_status
from content_queue.services import (
    CANCELABLE,
    RESCHEDULABLE,
    cancel_post,
    get_post,
    reschedule_post,
    retry_target,
    submit_post,
)
from content_queue.states import Status, TransitionConflict, TransitionRefused
from content_queue.timeutil import utc_to_local
from web.common.auth import current_actor, refuse, roles_allowed
from web.common.formatting import agency_timezone, localtime, status_label
from web.common.forms import Errors, When, add_error, form_errors, resolve_when, service_errors
from web.common.state import discard_changes, get_session, now
from web.posts.forms import RejectForm, RescheduleForm
from web.posts.queries import post_history

bp = Blueprint("posts", __name__, template_folder="templates")

PER_PAGE = 25
STATUS_CHOICES = [s.value for s in Status]
WRITERS_ONLY = "Viewers can read the queue but cannot write or change posts."
APPROVERS_ONLY = "Only an approver or an admin can approve, send back or retry posts."


@bp.route("/posts")
def queue():
    status = request.args.get("status") or None
    if status not in (None, *STATUS_CHOICES):
        flash(f"There is no status called {status!r}; showing all posts.", "error")
        status = None
    page = max(request.args.get("page", 1, type=int), 1)
    posts, total = list_posts(get_session(), current_actor(), status=status, page=page,
                              per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("posts/list.html", posts=posts, total=total, page=page, pages=pages,
                           status=status, statuses=STATUS_CHOICES, post_status=post_status)


def _permissions(post: Post) -> dict:
    actor = current_actor()
    statuses = {Status(t.status) for t in post.targets}
    owner_or_approver = actor.role != "viewer" and (
        actor.role in APPROVER_ROLES or post.author_id == actor.id)
    if actor.role not in APPROVER_ROLES:
        approve_blocked = "Only an approver or an admin can approve or send back posts."
    elif post.author_id == actor.id:
        approve_blocked = "You wrote this post, so another approver must approve it."
    else:
        approve_blocked = None
    return {
        "awaiting": Status.AWAITING_APPROVAL in statuses,
        "approve_blocked": approve_blocked,
        "can_submit": owner_or_approver and Status.DRAFT in statuses,
        "can_cancel": owner_or_approver and bool(statuses & CANCELABLE),
        "can_reschedule": owner_or_approver and bool(statuses & RESCHEDULABLE),
        "can_retry": actor.role in APPROVER_ROLES,
        "can_answer_unconfirmed": owner_or_approver,
    }


def render_detail(post: Post, *, reschedule: RescheduleForm | None = None,
                  errors: Errors | None = None, when: When | None = None, status: int = 200):
    session = get_session()
    engagement = {t.id: latest_engagement(session, t.id) for t in post.targets
                  if t.status == Status.PUBLISHED.value}
    if reschedule is None:
        reschedule = RescheduleForm(formdata=None)
        first = min((t.scheduled_at for t in post.targets), default=None)
        if first is not None:
            local = utc_to_local(first, agency_timezone())
            reschedule.date.data, reschedule.time.data = local.date(), local.time()
    return render_template(
        "posts/detail.html", post=post, status=post_status(post), perms=_permissions(post),
        history=post_history(session, post), engagement=engagement,
        replies=replies_for_post(session, post.id),
        targets_by_id={t.id: t for t in post.targets}, reschedule=reschedule,
        reject=RejectForm(formdata=None), errors=errors or {},
        fold_choices=when.fold_choices if when else [], tz_name=agency_timezone(),
    ), status


def _load(post_id: int) -> Post:
    try:
        return get_post(get_session(), current_actor(), post_id)
    except ServiceError:
        abort(404, "There is no such post in your agency's queue.")


@bp.route("/posts/<int:post_id>")
def detail(post_id: int):
    return render_detail(_load(post_id))


def _act(post_id: int, action: Callable[[], object], success: str):
    """Run one service verb; refusals become a flash message on the post's page, except "you may
    not", which is the 403 page (a redirect to the post would look like it worked)."""
    try:
        action()
    except Forbidden as exc:
        refuse(exc)
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
    except TransitionConflict:
        discard_changes()
        flash("Someone else changed this post at the same moment. Check it and try again.",
              "error")
    except TransitionRefused as exc:
        discard_changes()
        flash(str(exc), "error")
    else:
        flash(success, "success")
    return redirect(url_for("posts.detail", post_id=post_id))


def _verb(fn, post_id: int, **kwargs):
    return lambda: fn(get_session(), actor=current_actor(), post_id=post_id, now=now(), **kwargs)


@bp.route("/posts/<int:post_id>/approve", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def approve(post_id: int):
    # issue 8 approvals: a decision threads its comment and tells the author
    return _act(post_id, _verb(decide, post_id, decision="approve",
                               comment=request.form.get("comment", "")),
                "Approved. The post is scheduled.")


@bp.route("/posts/<int:post_id>/reject", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def reject(post_id: int):
    reason = (RejectForm().reason.data or "").strip()
    return _act(post_id, _verb(decide, post_id, decision="reject", comment=reason),  # issue 8
                "Sent back to the author as a draft.")


@bp.route("/posts/<int:post_id>/submit", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def submit(post_id: int):
    return _act(post_id, _verb(submit_post, post_id), "Submitted.")


@bp.route("/posts/<int:post_id>/cancel", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def cancel(post_id: int):
    return _act(post_id, _verb(cancel_post, post_id), "Canceled. It will not be published.")


@bp.route("/targets/<int:target_id>/retry", methods=["POST"])
@roles_allowed(APPROVER_ROLES, APPROVERS_ONLY)
def retry(target_id: int):
    post_id = request.form.get("post_id", type=int)
    if post_id is None:
        abort(400, "The form did not say which post this is.")
    if target_id not in {t.id for t in _load(post_id).targets}:
        abort(404, "That account is not part of this post.")
    return _act(post_id, lambda: retry_target(get_session(), actor=current_actor(),
                                              target_id=target_id, now=now()),
                "Retrying now.")


def _target_of_form(target_id: int) -> int:
    """The post a target button belongs to (from the form), after checking both are ours."""
    post_id = request.form.get("post_id", type=int)
    if post_id is None:
        abort(400, "The form did not say which post this is.")
    if target_id not in {t.id for t in _load(post_id).targets}:
        abort(404, "That account is not part of this post.")
    return post_id


@bp.route("/targets/<int:target_id>/confirm", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def confirm(target_id: int):
    post_id = _target_of_form(target_id)
    url = request.form.get("url", "")
    return _act(post_id, lambda: confirm_target(get_session(), actor=current_actor(),
                                                target_id=target_id, url=url, now=now()),
                "Marked as published, with its link.")


@bp.route("/targets/<int:target_id>/repost", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def repost(target_id: int):
    post_id = _target_of_form(target_id)
    return _act(post_id, lambda: repost_target(get_session(), actor=current_actor(),
                                               target_id=target_id, now=now()),
                "Posting it again now.")


@bp.route("/posts/<int:post_id>/reschedule", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def reschedule(post_id: int):
    _load(post_id)  # 404 before anything else for someone else's post
    form = RescheduleForm()
    form.validate()
    errors = form_errors(form, {"date": "when", "time": "when", "fold": "when"})
    when = resolve_when(form.date.data, form.time.data, form.fold.data, agency_timezone())
    if when.error:
        add_error(errors, "when", when.error)
    if not errors:
        try:
            post = reschedule_post(get_session(), actor=current_actor(), post_id=post_id,
                                   scheduled_at=when.instant, now=now())
        except Forbidden as exc:
            refuse(exc)
        except ServiceError as exc:
            discard_changes()
            errors = service_errors(exc, {"scheduled_at": "when"})
        else:
            word = status_label(post_status(post))
            flash(f"Rescheduled for {localtime(when.instant)} ({word}).", "success")
            return redirect(url_for("posts.detail", post_id=post_id))
    return render_detail(_load(post_id), reschedule=form, errors=errors, when=when, status=422)
