"""The verbs PIOs and supervisors use: queue, submit, approve, reject, reschedule, cancel.

Every function takes the session and ``now`` from its caller (so tests control time and the
caller owns the transaction), checks who may do what, and changes target statuses only through
:func:`content_queue.transitions.transition`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from content_queue.approval_rules import (  # issue 8 approvals: the approval rule
    approval_after_edit,
    check_may_approve,
    clear_approval,
    record_approval,
    status_after_edit,
    status_on_submit,
    submitted_status,
)
from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.consent import require_consent  # issue 10 kits
from content_queue.guard import require_clear  # issue 10 guard: sensitive information
from content_queue.ids import to_id
from content_queue.media import load_media, media_facts
from content_queue.media_library import require_alt_text
from content_queue.models import (
    APPROVER_ROLES,
    AUTHOR_ROLES,
    Campaign,
    Post,
    PostMedia,
    PostTarget,
    SocialAccount,
    User,
)
from content_queue.notifications import notify_awaiting_approval
from content_queue.platforms import MediaFacts, check_post
from content_queue.post_times import sync_post_time
from content_queue.states import Status
from content_queue.timeutil import utc_to_local
from content_queue.transitions import transition
from content_queue.users import audit
from content_queue.variants import check_texts, clean_variants, save_variants
from content_queue.versions import record_version, snapshot  # issue 8 approvals: versions

#: A time up to this far in the past still counts as "now" (clock skew, slow clients).
PAST_GRACE = timedelta(seconds=60)
MAX_TEXT = 63206  # the longest any platform accepts; a guard against absurd bodies
#: One post goes to at most this many accounts (an agency has a handful per platform).
MAX_ACCOUNTS = 50


def require_author(actor: User) -> None:
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers can read the queue but cannot write or change posts.")


def _load_accounts(session: Session, actor: User, account_ids: Any) -> list[SocialAccount]:
    if not isinstance(account_ids, (list, tuple)) or not account_ids:
        raise ValidationFailed("Choose at least one account to post to.", code="no_accounts",
                               fields={"account_ids": "Choose at least one account."})
    if len(account_ids) > MAX_ACCOUNTS:
        raise ValidationFailed(f"A post can go to at most {MAX_ACCOUNTS} accounts.",
                               code="too_many_accounts",
                               fields={"account_ids": f"At most {MAX_ACCOUNTS}."})
    ids: dict[int, None] = {}  # ordered and de-duplicated in one pass
    for raw in account_ids:
        account_id = to_id(raw)
        if account_id is None:
            raise ValidationFailed(f"{raw!r} is not an account id.", code="unknown_account",
                                   fields={"account_ids": f"{raw!r} is not an account id."})
        ids[account_id] = None
    found = {
        a.id: a
        for a in session.scalars(
            select(SocialAccount).where(SocialAccount.id.in_(list(ids)),
                                        SocialAccount.agency_id == actor.agency_id)
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        names = ", ".join(str(i) for i in missing)
        raise ValidationFailed(f"No account with id {names}.", code="unknown_account",
                               fields={"account_ids": f"Unknown account id {names}."})
    disabled = [a for a in found.values() if a.status == "disabled"]
    if disabled:
        raise ValidationFailed(f"The account @{disabled[0].handle} is disabled.",
                               code="account_disabled",
                               fields={"account_ids": "A chosen account is disabled."})
    return [found[i] for i in ids]


def _check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("The post has no text.", code="text_empty",
                               fields={"text": "Write the post's text."})
    if len(text) > MAX_TEXT:
        raise ValidationFailed("The text is longer than any platform accepts.",
                               code="text_too_long", fields={"text": "Too long."})
    return text.replace("\r\n", "\n")


def _check_time(scheduled_at: Any, now: datetime, tz_name: str) -> datetime:
    if not isinstance(scheduled_at, datetime) or scheduled_at.tzinfo is None:
        raise ValidationFailed("Give a publishing time with its time zone.", code="invalid_time",
                               fields={"scheduled_at": "Required, with a UTC offset."})
    if scheduled_at < now - PAST_GRACE:
        local = utc_to_local(scheduled_at, tz_name)
        raise ValidationFailed(
            f"That time has already passed ({local:%Y-%m-%d %H:%M %Z}). Choose a time in the future.",
            code="time_in_past", fields={"scheduled_at": "That time has already passed."},
        )
    return scheduled_at


def _check_rules(text: str, accounts: Iterable[SocialAccount],
                 media: Sequence[MediaFacts] = ()) -> None:
    problems = []
    for platform in sorted({a.platform for a in accounts}):
        problems.extend(check_post(platform, text, media))
    if problems:
        raise ValidationFailed(
            " ".join(p.message for p in problems), code=problems[0].rule,
            fields={"text": [p.message for p in problems]},
        )


def _check_campaign(session: Session, actor: User, campaign_id: Any) -> int | None:
    if campaign_id in (None, ""):
        return None
    wanted = to_id(campaign_id)
    if wanted is None:
        raise ValidationFailed("campaign_id must be a number.", fields={"campaign_id": "Invalid."})
    campaign = session.get(Campaign, wanted)
    if campaign is None or campaign.agency_id != actor.agency_id:
        raise ValidationFailed(f"No campaign with id {campaign_id}.", code="unknown_campaign",
                               fields={"campaign_id": "Unknown campaign."})
    return campaign.id


def _submitted_status(actor: User) -> Status:
    """issue 8 approvals: by the agency's rule (content_queue.approval_rules)."""
    return submitted_status(actor)


def queue_post(
    session: Session,
    *,
    actor: User,
    text: Any,
    account_ids: Any,
    scheduled_at: Any,
    now: datetime,
    campaign_id: Any = None,
    media_ids: Any = None,
    submit: bool = True,
    variants: Any = None,
    guard_override: Any = None,
) -> Post:
    """Create a post with one target per account.

    Approvers' posts are scheduled at once; a PIO's wait for approval. ``submit=False`` keeps
    the post as a draft. ``variants`` (platform → text) replace the text on that platform.
    """
    require_author(actor)
    text = _check_text(text)
    accounts = _load_accounts(session, actor, account_ids)
    when = _check_time(scheduled_at, now, actor.agency.timezone)
    campaign = _check_campaign(session, actor, campaign_id)
    media = load_media(session, actor, media_ids)
    require_alt_text(media)  # issue 8 compose: library images need alt text
    own_texts = clean_variants(variants)  # issue 8 compose: per-platform variants, own limits
    check_texts(text, own_texts, accounts, media_facts(media))

    post = Post(agency_id=actor.agency_id, author_id=actor.id, campaign_id=campaign, text=text,
                first_scheduled_at=when, created_at=now, updated_at=now)
    session.add(post)
    session.flush()
    for position, asset in enumerate(media):
        session.add(PostMedia(post_id=post.id, media_id=asset.id, position=position))
    for account in accounts:
        session.add(PostTarget(post_id=post.id, account_id=account.id, status=Status.DRAFT.value,
                               scheduled_at=when, next_attempt_at=when, attempts=0,
                               created_at=now, updated_at=now))
    session.flush()
    save_variants(session, post, own_texts, accounts, now=now)
    audit(session, "post.created", actor_id=actor.id, entity_type="post", entity_id=post.id,
          now=now, details={"accounts": [a.id for a in accounts], "scheduled_at": when.isoformat()})
    if submit:
        # issue 10 guard: a finding blocks it, unless an approver overrides in writing
        require_clear(session, post, actor=actor, justification=guard_override, now=now)
        if _submitted_status(actor) == Status.SCHEDULED:  # issue 8: needs no approval
            record_approval(post, now=now, by=actor)
        session.flush()
        _move_all(session, post, {Status.DRAFT}, _submitted_status(actor), actor, now)
        if _submitted_status(actor) == Status.AWAITING_APPROVAL:  # the approvers hear of it
            notify_awaiting_approval(session, post, by=actor, now=now)
    session.refresh(post)
    return post


def _move_all(session: Session, post: Post, sources: set[Status], to: Status, actor: User | None,
              now: datetime, reason: str | None = None, values: dict | None = None) -> int:
    moved = 0
    for target in list(post.targets):
        if Status(target.status) in sources:
            transition(session, target, to, actor_id=actor.id if actor else None, now=now,
                       reason=reason, values=values)
            moved += 1
    return moved


def get_post(session: Session, actor: User, post_id: int) -> Post:
    post = session.scalars(
        select(Post).where(Post.id == post_id)
        .options(selectinload(Post.targets).selectinload(PostTarget.account))
    ).first()
    if post is None or post.agency_id != actor.agency_id:
        raise NotFound(f"No post with id {post_id}.")
    return post


def _require_owner_or_approver(actor: User, post: Post, verb: str) -> None:
    require_author(actor)
    if actor.role not in APPROVER_ROLES and post.author_id != actor.id:
        raise Forbidden(f"Only the author or an approver can {verb} this post.")


def submit_post(session: Session, *, actor: User, post_id: int, now: datetime) -> Post:
    post = get_post(session, actor, post_id)
    _require_owner_or_approver(actor, post, "submit")
    if not any(t.status == Status.DRAFT.value for t in post.targets):
        raise Conflict("This post has no draft to submit.", code="nothing_to_submit")
    # issue 8 approvals: the author's rule decides (an approver's Submit on a PIO's draft
    # sends it for approval), and a draft whose time has passed is refused
    want = status_on_submit(post, now=now)
    if want == Status.SCHEDULED:  # issue 10 kits: a submit that schedules needs
        require_consent(session, post)  # consent on record
    require_clear(session, post)  # issue 10 guard: nothing sensitive is submitted
    if not _move_all(session, post, {Status.DRAFT}, want, actor, now):
        raise Conflict("This post has no draft to submit.", code="nothing_to_submit")
    if want == Status.AWAITING_APPROVAL:  # the approvers hear that it waits for them
        notify_awaiting_approval(session, post, by=actor, now=now)
    return post


def approve_post(session: Session, *, actor: User, post_id: int, now: datetime) -> Post:
    post = get_post(session, actor, post_id)
    check_may_approve(actor, post)  # issue 8 approvals: nobody approves their own post
    waiting = [t for t in post.targets if t.status == Status.AWAITING_APPROVAL.value]
    if not waiting:
        raise Conflict("Nothing on this post is waiting for approval.", code="nothing_to_approve")
    if any(t.scheduled_at < now - PAST_GRACE for t in waiting):
        raise Conflict("This post's time has passed; reschedule it before approving.",
                       code="time_in_past")
    require_consent(session, post)  # issue 10 kits: a named person's consent on record
    require_clear(session, post)  # issue 10 guard: nothing sensitive is approved
    record_approval(post, now=now, by=actor)  # issue 8: recorded first, the move checks it
    post.updated_at = now
    _move_all(session, post, {Status.AWAITING_APPROVAL}, Status.SCHEDULED, actor, now)
    return post


def reject_post(session: Session, *, actor: User, post_id: int, now: datetime,
                reason: str = "") -> Post:
    post = get_post(session, actor, post_id)
    if actor.role not in APPROVER_ROLES:
        raise Forbidden("Only an approver or an admin can send a post back.")
    clear_approval(post)  # issue 8 approvals
    if not _move_all(session, post, {Status.AWAITING_APPROVAL}, Status.DRAFT, actor, now,
                     reason=reason.strip() or "sent back for changes"):
        raise Conflict("Nothing on this post is waiting for approval.", code="nothing_to_approve")
    return post


CANCELABLE = {Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED, Status.FAILED,
              Status.EXPIRED, Status.UNCONFIRMED, Status.HELD}


def cancel_post(session: Session, *, actor: User, post_id: int, now: datetime,
                target_ids: Sequence[int] | None = None) -> Post:
    post = get_post(session, actor, post_id)
    _require_owner_or_approver(actor, post, "cancel")
    moved = 0
    for target in post.targets:
        if target_ids is not None and target.id not in target_ids:
            continue
        if Status(target.status) in CANCELABLE:
            transition(session, target, Status.CANCELED, actor_id=actor.id, now=now)
            moved += 1
    if not moved:
        raise Conflict("Nothing on this post can be canceled any more.", code="not_cancelable")
    return post


RESCHEDULABLE = {Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED, Status.EXPIRED,
                 Status.FAILED, Status.HELD}


def reschedule_post(session: Session, *, actor: User, post_id: int, scheduled_at: Any,
                    now: datetime) -> Post:
    """Move the unpublished targets to a new time. A change that needs approval (a PIO's, by
    the agency's rule) sends them back for approval; the change is kept as a version."""
    post = get_post(session, actor, post_id)
    _require_owner_or_approver(actor, post, "reschedule")
    when = _check_time(scheduled_at, now, actor.agency.timezone)
    before = snapshot(post)  # issue 8 approvals: versions and the approval rule
    if not any(Status(t.status) in RESCHEDULABLE for t in post.targets):
        raise Conflict("Nothing on this post can be rescheduled.", code="not_reschedulable")
    approved = approval_after_edit(post, actor, now=now)
    moved = 0
    for target in post.targets:
        current = Status(target.status)
        if current not in RESCHEDULABLE:
            continue
        values = {"scheduled_at": when, "next_attempt_at": when, "last_error": None,
                  "error_code": None, "attempt_started_at": None}
        want = status_after_edit(current, approved, time_changed=True) or current
        if current == Status.DRAFT or current == want:
            for key, value in values.items():
                setattr(target, key, value)
            target.updated_at = now
        else:
            transition(session, target, want, actor_id=actor.id, now=now, reason="rescheduled",
                       values=values)
        moved += 1
    if not moved:
        raise Conflict("Nothing on this post can be rescheduled.", code="not_reschedulable")
    post.updated_at = now
    sync_post_time(post)
    audit(session, "post.rescheduled", actor_id=actor.id, entity_type="post", entity_id=post.id,
          now=now, details={"scheduled_at": when.isoformat()})
    session.flush()
    record_version(session, post, before, editor=actor, now=now)  # issue 8 approvals
    return post


def retry_target(session: Session, *, actor: User, target_id: int, now: datetime) -> PostTarget:
    """A supervisor's "try again" on a failed target: due now."""
    target = session.get(PostTarget, target_id)
    if target is None or target.post.agency_id != actor.agency_id:
        raise NotFound(f"No target with id {target_id}.")
    if actor.role not in APPROVER_ROLES:
        raise Forbidden("Only an approver or an admin can retry a failed post.")
    if target.status != Status.FAILED.value:
        raise Conflict("Only a failed post can be retried.", code="not_failed")
    transition(session, target, Status.SCHEDULED, actor_id=actor.id, now=now, reason="retry",
               values={"next_attempt_at": now, "attempt_started_at": None, "error_code": None})
    return target
