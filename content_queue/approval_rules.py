"""The approval rule: who needs a second person, who may approve, and the check every move into
``scheduled`` passes.

An agency has two settings (:class:`~content_queue.models.Agency`): ``pio_posts_need_approval``
(default on) and ``second_person_required`` (default off; then an approver's or admin's own
post waits for another approver too). Nobody approves their own post. A post's approval is on
the post (``approved_at`` with ``approved_by_id``, or ``approved_by_name`` for the named person
of a review link); an edit that needs approval again clears it.

:func:`check_schedulable` is called by :func:`content_queue.transitions.transition` for every
move into ``scheduled``, whichever verb asked for it:

- from ``draft``, ``awaiting_approval`` or ``expired`` (the post has not been out since it was
  written, sent back or expired) the approval must stand and the time must not have passed;
- from ``publishing``, ``failed``, ``held`` and ``unconfirmed`` (it was scheduled before: a
  retry, a resume, "post it again") only the time of the next attempt is checked. The approval
  stood when it was first scheduled, and an edit that withdraws it moves these targets back to
  ``awaiting_approval`` (see :mod:`content_queue.versions`), so none of them can be re-entered
  unapproved.

This module changes nothing but the post's approval columns; it imports no verb.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from content_queue.errors import Conflict, Forbidden
from content_queue.models import APPROVER_ROLES, Agency, Post, PostTarget, User
from content_queue.states import Status

#: A time up to this far in the past still counts as "now" (the same grace the verbs use).
PAST_GRACE = timedelta(seconds=60)

#: Sources of a first move into ``scheduled``: the approval and the time are checked.
FIRST_ENTRIES = frozenset({Status.DRAFT, Status.AWAITING_APPROVAL, Status.EXPIRED})
#: Sources of a move back into ``scheduled`` of a target that was scheduled before.
RE_ENTRIES = frozenset({Status.PUBLISHING, Status.FAILED, Status.HELD, Status.UNCONFIRMED})


class ApprovalRequired(Conflict):
    """A move into ``scheduled`` of a post that has no approval standing."""

    code = "approval_required"


def needs_approval(author: User, agency: Agency) -> bool:
    """Whether ``author``'s posts wait for another person under ``agency``'s rules."""
    if agency.second_person_required:
        return True
    if author.role in APPROVER_ROLES:
        return False
    return bool(agency.pio_posts_need_approval)


def submitted_status(author: User) -> Status:
    """Where a submitted post of ``author`` goes: scheduled, or waiting for an approver."""
    return Status.AWAITING_APPROVAL if needs_approval(author, author.agency) else Status.SCHEDULED


def approval_stands(post: Post) -> bool:
    """The post carries an approval the rules accept today: by another person, or by its
    author while the author's posts need no approval."""
    if post.approved_at is None:
        return False
    if post.approved_by_id is None:
        return bool(post.approved_by_name)
    if post.approved_by_id == post.author_id:
        return not needs_approval(post.author, post.author.agency)
    return True


def check_may_approve(actor: User, post: Post) -> None:
    """Refuse an approval (or a sending back) by anyone but another approver or admin."""
    if actor.role not in APPROVER_ROLES:
        raise Forbidden("Only an approver or an admin can approve or send back posts.")
    if post.author_id == actor.id:
        raise Forbidden("You cannot approve your own post; ask another approver.",
                        code="own_post")


def record_approval(post: Post, *, now: datetime, by: User | None = None,
                    name: str | None = None) -> None:
    """Put an approval on the post: a user's (``by``) or a review link's named person."""
    post.approved_by_id = by.id if by is not None else None
    post.approved_by_name = None if by is not None else name
    post.approved_at = now


def clear_approval(post: Post) -> None:
    post.approved_by_id = None
    post.approved_by_name = None
    post.approved_at = None


def record_self_approval_if_allowed(post: Post, *, now: datetime) -> bool:
    """An author whose posts need no approval vouches for their own post (recorded as the
    author's approval, as before). Returns whether the approval stands afterwards."""
    if approval_stands(post):
        return True
    if not needs_approval(post.author, post.author.agency):
        record_approval(post, now=now, by=post.author)
        return True
    return False


def check_schedulable(target: PostTarget, current: Status, *, now: datetime,
                      scheduled_at: datetime | None, next_attempt_at: datetime | None) -> None:
    """The rule and the time, for ``target`` moving from ``current`` into ``scheduled`` with
    these (new) times. Raises :class:`ApprovalRequired` or a ``time_in_past``
    :class:`~content_queue.errors.Conflict`."""
    post: Post = target.post
    if current in FIRST_ENTRIES:
        if not approval_stands(post):
            raise ApprovalRequired(
                "This post needs an approver's approval before it can be scheduled; it has "
                "none (or it was edited since). Submit it for approval.")
        when = scheduled_at or target.scheduled_at
        if when < now - PAST_GRACE:
            raise Conflict("This post's time has passed; choose a new time before it is "
                           "scheduled.", code="time_in_past")
    attempt = next_attempt_at or target.next_attempt_at
    if attempt < now - PAST_GRACE:  # a retry or resume says when it goes: now or later
        raise Conflict("This post's next attempt would be in the past; choose a new time.",
                       code="time_in_past")


def status_on_submit(post: Post, *, now: datetime) -> Status:
    """Where submitting ``post``'s drafts takes them, by its *author*'s rule (an approver
    pressing Submit on a PIO's draft sends it for approval; approving is a separate act with
    its own record). The time is checked first: a draft whose time has passed is refused."""
    drafts = [t for t in post.targets if t.status == Status.DRAFT.value]
    if any(t.scheduled_at < now - PAST_GRACE for t in drafts):
        raise Conflict("This draft's time has passed; reschedule it before submitting it.",
                       code="time_in_past")
    if record_self_approval_if_allowed(post, now=now):
        return Status.SCHEDULED
    clear_approval(post)
    return Status.AWAITING_APPROVAL


def approval_after_edit(post: Post, editor: User, *, now: datetime) -> bool:
    """Apply "editing an approved post returns it to approval" for an edit by ``editor``;
    returns whether the approval stands afterwards.

    It stands when another approver edits an approved post (their edit is approved by them),
    or when the author edits and the author's own posts need no approval. Otherwise it is
    cleared."""
    if approval_stands(post) and editor.id != post.author_id and editor.role in APPROVER_ROLES:
        record_approval(post, now=now, by=editor)
        return True
    if editor.id == post.author_id and not needs_approval(editor, post.author.agency):
        record_approval(post, now=now, by=editor)
        return True
    clear_approval(post)
    return False


#: After an edit: where a target in each state goes (None: it stays), by whether the approval
#: stands. Targets on their way out (scheduled, held, failed, expired) go back for approval
#: when it does not.
def status_after_edit(current: Status, approved: bool, *, time_changed: bool) -> Status | None:
    if current in (Status.DRAFT, Status.AWAITING_APPROVAL):
        return None
    if current == Status.SCHEDULED:
        return None if approved else Status.AWAITING_APPROVAL
    if current in (Status.HELD, Status.FAILED, Status.EXPIRED):
        if not approved:
            return Status.AWAITING_APPROVAL
        # a new time sends it on; a text change alone leaves it for a person to retry/resume
        return Status.SCHEDULED if time_changed else None
    return None
