"""The approver's side: the queue of posts waiting for approval, a decision with its comment,
the post's comment thread, the author told of the decision, and the agency's approval rules.

The moves themselves are :func:`content_queue.services.approve_post` / ``reject_post`` (which
apply the rule of :mod:`content_queue.approval_rules`); this module adds what a decision means
to people: the words that came with it (a :class:`PostComment`), and a notice to the author
through :func:`content_queue.notifications.notify` (in the app; e-mail when SMTP is set up).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from content_queue.errors import Forbidden, ValidationFailed
from content_queue.models import (APPROVER_ROLES, Agency, MediaAsset, Post, PostComment,
                                  PostMedia, PostTarget, User)
from content_queue.notifications import notify
from content_queue.services import approve_post, get_post, reject_post
from content_queue.states import Status
from content_queue.users import audit

POST_APPROVED = "post_approved"
POST_REJECTED = "post_rejected"
POST_COMMENTED = "post_commented"
DECISIONS = ("approve", "reject")
#: The longest comment kept (a page of text; the thread is not a document store).
MAX_COMMENT = 5000
MAX_PER_PAGE = 100


def clean_comment(value: Any, *, required: bool = False) -> str:
    """A comment as text (``None`` is empty), at most :data:`MAX_COMMENT` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed("comment must be text.", code="invalid_comment",
                               fields={"comment": "Must be text."})
    value = value.replace("\r\n", "\n").strip()
    if len(value) > MAX_COMMENT:
        raise ValidationFailed(f"A comment can be at most {MAX_COMMENT:,} characters; this is "
                               f"{len(value):,}.", code="comment_too_long",
                               fields={"comment": f"At most {MAX_COMMENT:,} characters."})
    if required and not value:
        raise ValidationFailed("Write a comment first.", code="comment_empty",
                               fields={"comment": "Write a comment."})
    return value


# --- the queue ------------------------------------------------------------------------------

def _waiting_posts(agency_id: int):
    return select(Post).where(
        Post.agency_id == agency_id,
        Post.id.in_(select(PostTarget.post_id)
                    .where(PostTarget.status == Status.AWAITING_APPROVAL.value)))


def approval_queue(session: Session, actor: User, *, page: int = 1,
                   per_page: int = 20) -> tuple[list[Post], int]:
    """Posts with a target waiting for approval, oldest first (the longest wait on top)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    query = _waiting_posts(actor.agency_id)
    total = session.scalar(query.with_only_columns(func.count(Post.id)).order_by(None)) or 0
    rows = session.scalars(
        query.options(selectinload(Post.targets).selectinload(PostTarget.account),
                      selectinload(Post.author),
                      selectinload(Post.attachments).joinedload(PostMedia.media)
                      .defer(MediaAsset.data))
        .order_by(Post.created_at, Post.id)
        .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def waiting_count(session: Session, agency_id: int) -> int:
    return session.scalar(_waiting_posts(agency_id).with_only_columns(func.count(Post.id))
                          .order_by(None)) or 0


# --- decisions ------------------------------------------------------------------------------

def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def tell_author(session: Session, post: Post, decision: str, *, by_name: str, comment: str,
                now: datetime) -> list[int]:
    """The author hears of the decision (and its comment), once."""
    if decision == "approve":
        event, subject = POST_APPROVED, f"Post #{post.id} was approved by {by_name}"
        what = "It is scheduled and goes out at its time."
    else:
        event, subject = POST_REJECTED, f"Post #{post.id} was sent back by {by_name}"
        what = "It is a draft again: change it and submit it once more."
    body = f"“{_excerpt(post.text)}”\n\n{what}"
    if comment:
        body += f"\n\n{by_name} wrote: {comment}"
    return notify(session, event, agency_id=post.agency_id, subject=subject, body=body, now=now,
                  post_id=post.id, recipients=[post.author_id])


def _name(user: User) -> str:
    return user.display_name or user.email


def decide(session: Session, *, actor: User, post_id: int, decision: str, comment: Any,
           now: datetime) -> Post:
    """Approve or send back (``decision``) with an optional comment: the move, the comment in
    the thread, and the author told."""
    if decision not in DECISIONS:
        raise ValidationFailed("decision must be approve or reject.", code="invalid_decision",
                               fields={"decision": "approve or reject."})
    words = clean_comment(comment)
    if decision == "approve":
        post = approve_post(session, actor=actor, post_id=post_id, now=now)
    else:
        post = reject_post(session, actor=actor, post_id=post_id, now=now, reason=words)
    session.add(PostComment(agency_id=post.agency_id, post_id=post.id, author_id=actor.id,
                            author_name=_name(actor),
                            kind="approved" if decision == "approve" else "rejected",
                            body=words, created_at=now))
    session.flush()
    tell_author(session, post, decision, by_name=_name(actor), comment=words, now=now)
    return post


# --- the thread -----------------------------------------------------------------------------

def may_comment(actor: User, post: Post) -> bool:
    return actor.role in APPROVER_ROLES or actor.id == post.author_id


def add_comment(session: Session, *, actor: User, post_id: int, body: Any,
                now: datetime) -> PostComment:
    """A comment on a post's thread, by an approver or admin or the post's author."""
    post = get_post(session, actor, post_id)
    if not may_comment(actor, post):
        raise Forbidden("Only approvers, admins and the post's author can comment on it.")
    words = clean_comment(body, required=True)
    comment = PostComment(agency_id=post.agency_id, post_id=post.id, author_id=actor.id,
                          author_name=_name(actor), kind="comment", body=words, created_at=now)
    session.add(comment)
    session.flush()
    if actor.id != post.author_id:
        notify(session, POST_COMMENTED, agency_id=post.agency_id,
               subject=f"{_name(actor)} commented on post #{post.id}",
               body=f"“{_excerpt(post.text)}”\n\n{words}", now=now, post_id=post.id,
               recipients=[post.author_id])
    return comment


def list_comments(session: Session, actor: User, post_id: int, *, page: int = 1,
                  per_page: int = 50, post: Post | None = None) -> tuple[list[PostComment], int]:
    """A page of the post's thread, oldest first. ``post``: the post, already loaded for
    ``actor`` (the post page has it), so it is not looked up again."""
    if post is None or post.id != post_id or post.agency_id != actor.agency_id:
        post = get_post(session, actor, post_id)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = session.scalar(select(func.count()).select_from(PostComment)
                           .where(PostComment.post_id == post.id)) or 0
    rows = list(session.scalars(
        select(PostComment).where(PostComment.post_id == post.id)
        .order_by(PostComment.created_at, PostComment.id)
        .offset((max(page, 1) - 1) * per_page).limit(per_page)))
    return rows, total


# --- the agency's rules ---------------------------------------------------------------------

def update_rules(session: Session, *, actor: User, pio_posts_need_approval: Any,
                 second_person_required: Any, now: datetime) -> Agency:
    """An admin changes the agency's approval rules (audited)."""
    if actor.role != "admin":
        raise Forbidden("Only an admin can change the approval rules.")
    for name, value in (("pio_posts_need_approval", pio_posts_need_approval),
                        ("second_person_required", second_person_required)):
        if not isinstance(value, bool):
            raise ValidationFailed(f"{name} must be true or false.", code="invalid_setting",
                                   fields={name: "true or false."})
    agency = actor.agency
    before = {"pio_posts_need_approval": agency.pio_posts_need_approval,
              "second_person_required": agency.second_person_required}
    agency.pio_posts_need_approval = pio_posts_need_approval
    agency.second_person_required = second_person_required
    after = {"pio_posts_need_approval": pio_posts_need_approval,
             "second_person_required": second_person_required}
    if before != after:
        audit(session, "agency.approval_rules", actor_id=actor.id, entity_type="agency",
              entity_id=agency.id, now=now, details={"before": before, "after": after})
    session.flush()
    return agency
