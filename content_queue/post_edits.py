"""Editing a post that is already queued: its text, its accounts, its time.

Every edit is kept as a version (:mod:`content_queue.versions`), and an edit of an approved post
returns it to approval unless the editor may vouch for it (another approver, or an author whose
own posts need no approval: :func:`content_queue.approval_rules.approval_after_edit`).
A removed account's target is canceled (kept on record), a new account gets a target that
follows the others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from content_queue.approval_rules import approval_after_edit, status_after_edit
from content_queue.errors import Conflict, ValidationFailed
from content_queue.media import media_facts
from content_queue.models import Post, PostTarget, User
from content_queue.notifications import notify_awaiting_approval
from content_queue.post_times import sync_post_time
from content_queue.services import (_check_text, _check_time, _load_accounts,
                                    _require_owner_or_approver, get_post)
from content_queue.states import EDITABLE, Status
from content_queue.transitions import transition
from content_queue.users import audit
from content_queue.variants import check_texts, variants_of
from content_queue.versions import record_version, snapshot


def _new_target_status(post: Post, approved: bool) -> Status:
    live = {Status(t.status) for t in post.targets if t.status != Status.CANCELED.value}
    if Status.SCHEDULED in live and approved:
        return Status.SCHEDULED
    if live & {Status.SCHEDULED, Status.AWAITING_APPROVAL, Status.HELD}:
        return Status.AWAITING_APPROVAL
    return Status.DRAFT


def edit_post(session: Session, *, actor: User, post_id: int, now: datetime,
              text: Any = None, account_ids: Any = None, scheduled_at: Any = None) -> Post:
    """Change what is given (``None``: unchanged). Refused once anything has been published or
    is publishing, since the platforms already have that text."""
    post = get_post(session, actor, post_id)
    _require_owner_or_approver(actor, post, "edit")
    live = [t for t in post.targets if t.status != Status.CANCELED.value]
    if not live or any(Status(t.status) not in EDITABLE for t in live):
        raise Conflict("This post can no longer be edited: it has been published (or is "
                       "going out) on at least one account. Duplicate it to post a new text.",
                       code="not_editable")
    before = snapshot(post)
    new_text = post.text if text is None else _check_text(text)
    accounts = ([t.account for t in live] if account_ids is None
                else _load_accounts(session, actor, account_ids))
    when = None if scheduled_at is None else _check_time(scheduled_at, now,
                                                         actor.agency.timezone)
    check_texts(new_text, variants_of(post), accounts, media_facts(post.media))
    wanted = {a.id for a in accounts}
    by_account = {t.account_id: t for t in post.targets}
    gone = [a for a in accounts if a.id in by_account
            and by_account[a.id].status == Status.CANCELED.value]
    if gone:
        raise ValidationFailed(f"@{gone[0].handle} was removed from this post earlier and "
                               "cannot be added back; duplicate the post instead.",
                               code="account_removed", fields={"account_ids": "Removed earlier."})
    time_changed = when is not None and when != before["scheduled_at"]
    changes_anything = (new_text != post.text or wanted != {t.account_id for t in live}
                        or time_changed)
    if not changes_anything:
        return post

    post.text = new_text
    post.updated_at = now
    approved = approval_after_edit(post, actor, now=now)
    waiting_before = {t.id for t in live if t.status == Status.AWAITING_APPROVAL.value}
    for target in live:
        if target.account_id not in wanted:
            transition(session, target, Status.CANCELED, actor_id=actor.id, now=now,
                       reason="account removed from the post")
    remaining = [t for t in live if t.account_id in wanted]
    for target in remaining:
        current = Status(target.status)
        values: dict[str, Any] = {}
        if time_changed:
            values = {"scheduled_at": when, "next_attempt_at": when, "last_error": None,
                      "error_code": None, "attempt_started_at": None}
        want = status_after_edit(current, approved, time_changed=time_changed)
        if want is None or want == current:
            for key, value in values.items():
                setattr(target, key, value)
            target.updated_at = now
        else:
            transition(session, target, want, actor_id=actor.id, now=now, reason="edited",
                       values=values or None)
    start = when or before["scheduled_at"] or now
    new_status = _new_target_status(post, approved)
    for account in accounts:
        if account.id in by_account:
            continue
        target = PostTarget(post_id=post.id, account_id=account.id, status=Status.DRAFT.value,
                            scheduled_at=start, next_attempt_at=start, attempts=0,
                            created_at=now, updated_at=now)
        session.add(target)
        session.flush()
        session.refresh(post)
        if new_status != Status.DRAFT:
            transition(session, target, new_status, actor_id=actor.id, now=now,
                       reason="account added to the post")
    session.flush()
    session.refresh(post)
    sync_post_time(post)
    if not waiting_before and any(t.status == Status.AWAITING_APPROVAL.value
                                  for t in post.targets):  # approved, and now waits again
        notify_awaiting_approval(session, post, by=actor, now=now, edited=True)
    version = record_version(session, post, before, editor=actor, now=now)
    audit(session, "post.edited", actor_id=actor.id, entity_type="post", entity_id=post.id,
          now=now, details={"changed": version.changed if version else [],
                            "version": version.number if version else None,
                            "approval": "kept" if approved else "needed"})
    return post
