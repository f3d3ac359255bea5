"""Incident pauses: one switch that holds outgoing posts, agency-wide or for some accounts, when
something makes outreach wrong (a line-of-duty death, a major incident).

While a pause is active the scheduler moves due targets of the accounts it covers to ``held``
instead of claiming them (:func:`hold_paused_targets`, within one tick), and the worker checks
again just before it calls the platform (:func:`hold_if_paused`), so a target already handed to
a worker is held too. A resume sends the held targets on in one of three ways, never as a burst:

- ``shift``: each moves by the pause's length (due 10:05 in a 10:00–11:00 pause → 11:05);
- ``publish_now``: released at once, spaced per account (:func:`content_queue.budgets.release_gap`)
  and through the posting budget;
- ``review``: back to ``awaiting_approval``, shifted like ``shift`` but at least
  :data:`REVIEW_LEAD` ahead so an approver has time to look.

A pause may carry ``resume_at``: the scheduler then resumes it with ``shift`` at that time.
Every step is in the audit log (``pause.created``, ``target.held``, ``pause.resumed``, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from content_queue.budgets import Budget, release_gap
from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import (
    APPROVER_ROLES,
    Agency,
    AuditEvent,
    Pause,
    Post,
    PostTarget,
    SocialAccount,
    User,
)
from content_queue.notifications import notify_targets
from content_queue.post_times import sync_post_times
from content_queue.states import Status
from content_queue.timeutil import utc_to_local
from content_queue.transitions import transition
from content_queue.users import audit

HELD_MODES = ("publish_now", "shift", "review")
AUTO_RESUME_MODE = "shift"
PAUSED_CODE = "paused"
MAX_REASON = 500
MAX_ACCOUNTS = 200
#: ``review`` gives approvers at least this long before a sent-back post's new time.
REVIEW_LEAD = timedelta(hours=1)


@dataclass
class ResumeResult:
    pause: Pause
    held_mode: str
    #: Targets sent on (scheduled again, or back to approval), in the order they were released.
    released: list[int] = field(default_factory=list)


def _check_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("Say why outgoing posts are paused (a reason is required).",
                               code="reason_required", fields={"reason": "Required."})
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"Keep the reason under {MAX_REASON} characters.",
                               code="reason_too_long", fields={"reason": "Too long."})
    return reason


def _check_accounts(session: Session, agency_id: int, account_ids: Any) -> list[int] | None:
    if account_ids is None or account_ids == []:
        return None
    if not isinstance(account_ids, (list, tuple)) or len(account_ids) > MAX_ACCOUNTS:
        raise ValidationFailed(f"account_ids must be a list of at most {MAX_ACCOUNTS} account "
                               "ids.", code="invalid_accounts",
                               fields={"account_ids": "A list of account ids."})
    ids: list[int] = []
    for raw in account_ids:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2 ** 62:
            raise ValidationFailed(f"{raw!r} is not an account id.", code="unknown_account",
                                   fields={"account_ids": f"{raw!r} is not an account id."})
        if raw not in ids:
            ids.append(raw)
    found = set(session.scalars(select(SocialAccount.id).where(
        SocialAccount.id.in_(ids), SocialAccount.agency_id == agency_id)))
    missing = [i for i in ids if i not in found]
    if missing:
        names = ", ".join(str(i) for i in missing)
        raise ValidationFailed(f"No account with id {names} in this agency.",
                               code="unknown_account",
                               fields={"account_ids": f"Unknown account id {names}."})
    return sorted(ids)


def create_pause(session: Session, *, actor: User | None, agency_id: int, reason: Any,
                 now: datetime, account_ids: Any = None,
                 resume_at: datetime | None = None) -> Pause:
    """Start a pause. ``actor`` None is the server's own command line (``tenfour pause``)."""
    if actor is not None:
        if actor.role not in APPROVER_ROLES:
            raise Forbidden("Only an approver or an admin can pause outgoing posts.")
        agency_id = actor.agency_id
    reason = _check_reason(reason)
    accounts = _check_accounts(session, agency_id, account_ids)
    if resume_at is not None and (resume_at.tzinfo is None or resume_at <= now):
        raise ValidationFailed("The automatic resume time must be in the future.",
                               code="resume_at_in_past",
                               fields={"resume_at": "Choose a time in the future."})
    pause = Pause(agency_id=agency_id, reason=reason, account_ids=accounts,
                  created_by_id=actor.id if actor else None, created_at=now,
                  resume_at=resume_at)
    session.add(pause)
    session.flush()
    audit(session, "pause.created", actor_id=pause.created_by_id, entity_type="pause",
          entity_id=pause.id, now=now,
          details={"reason": reason, "account_ids": accounts,
                   "resume_at": resume_at.isoformat() if resume_at else None})
    return pause


def active_pauses(session: Session, agency_id: int) -> list[Pause]:
    """The agency's pauses not yet resumed, oldest first."""
    return list(session.scalars(
        select(Pause).where(Pause.agency_id == agency_id, Pause.resumed_at.is_(None))
        .order_by(Pause.created_at, Pause.id)))


def covers(pause: Pause, account_id: int) -> bool:
    return pause.whole_agency or account_id in (pause.account_ids or [])


def covering_pause(pauses: Iterable[Pause], account_id: int) -> Pause | None:
    return next((p for p in pauses if covers(p, account_id)), None)


def get_pause(session: Session, actor: User, pause_id: int) -> Pause:
    pause = session.get(Pause, pause_id)
    if pause is None or pause.agency_id != actor.agency_id:
        raise NotFound(f"No pause with id {pause_id}.")
    return pause


def _agency_zone(session: Session, agency_id: int) -> str:
    agency = session.get(Agency, agency_id)
    return agency.timezone if agency else "UTC"


def held_message(pause: Pause, tz_name: str) -> str:
    """What a held target shows on every page and in the API."""
    who = pause.created_by.display_name or pause.created_by.email if pause.created_by \
        else "the command line"
    since = utc_to_local(pause.created_at, tz_name)
    return (f"Held by an incident pause: {pause.reason} (paused by {who} at "
            f"{since:%b} {since.day}, {since:%H:%M %Z}). It goes out when the pause is resumed.")


def _paused_account_filter(pause: Pause):
    if pause.whole_agency:
        return PostTarget.account_id.in_(
            select(SocialAccount.id).where(SocialAccount.agency_id == pause.agency_id))
    return PostTarget.account_id.in_(pause.account_ids or [])


def hold_paused_targets(session: Session, now: datetime, *,
                        horizon: datetime | None = None) -> list[int]:
    """The scheduler's half: targets due by ``horizon`` (default ``now``) on paused accounts
    become ``held`` instead of being claimed. One read of the (small) pauses table when nothing
    is paused."""
    horizon = now if horizon is None else horizon
    pauses = list(session.scalars(select(Pause).where(Pause.resumed_at.is_(None))
                                  .order_by(Pause.created_at, Pause.id)))
    held: list[int] = []
    zones: dict[int, str] = {}
    for pause in pauses:
        tz_name = zones.setdefault(pause.agency_id, _agency_zone(session, pause.agency_id))
        ids = list(session.scalars(
            update(PostTarget)
            .where(PostTarget.status == Status.SCHEDULED.value, PostTarget.next_attempt_at <= horizon,
                   _paused_account_filter(pause))
            .values(status=Status.HELD.value, updated_at=now,
                    last_error=held_message(pause, tz_name), error_code=PAUSED_CODE)
            .returning(PostTarget.id)
            .execution_options(synchronize_session=False)))
        session.add_all(
            AuditEvent(actor_id=None, action="target.held", entity_type="post_target",
                       entity_id=i, created_at=now,
                       details={"from": Status.SCHEDULED.value, "to": Status.HELD.value,
                                "reason": pause.reason, "pause_id": pause.id})
            for i in ids)
        held.extend(ids)
    notify_targets(session, held, now=now)  # never silent: authors and admins hear of it
    return sorted(held)


def any_pause_active(session: Session) -> bool:
    """Whether any pause, of any agency, is active (one look at the small pauses table)."""
    return session.scalar(select(Pause.id).where(Pause.resumed_at.is_(None)).limit(1)) \
        is not None


def pause_for_target(session: Session, target_id: int) -> Pause | None:
    """The active pause covering a claimed target's account, if any (a read: one look at the
    small pauses table when nothing is paused)."""
    if not any_pause_active(session):
        return None
    target = session.get(PostTarget, target_id)
    if target is None or target.status != Status.PUBLISHING.value:
        return None
    return covering_pause(active_pauses(session, target.account.agency_id), target.account_id)


def hold_if_paused(session: Session, target_id: int, now: datetime) -> Pause | None:
    """The worker's last check before it calls the platform: a claimed target whose account a
    pause now covers is held (``publishing → held``) and not sent."""
    pause = pause_for_target(session, target_id)
    if pause is None:
        return None
    target = session.get(PostTarget, target_id)
    agency_id = pause.agency_id
    transition(session, target, Status.HELD, actor_id=None, now=now, reason=pause.reason,
               values={"last_error": held_message(pause, _agency_zone(session, agency_id)),
                       "error_code": PAUSED_CODE, "attempt_started_at": None},
               details={"pause_id": pause.id, "by": "worker"})
    return pause


def _released_by(session: Session, pause: Pause) -> list[PostTarget]:
    """Held targets this pause covers that no other active pause still holds."""
    others = [p for p in active_pauses(session, pause.agency_id) if p.id != pause.id]
    held = session.scalars(
        select(PostTarget).join(Post, Post.id == PostTarget.post_id)
        .where(Post.agency_id == pause.agency_id, PostTarget.status == Status.HELD.value,
               _paused_account_filter(pause))
        .order_by(PostTarget.next_attempt_at, PostTarget.id)
        .execution_options(populate_existing=True))
    return [t for t in held if covering_pause(others, t.account_id) is None]


def resume_pause(session: Session, *, actor: User | None, pause_id: int, held: Any,
                 now: datetime, budgets: Mapping[str, Budget]) -> ResumeResult:
    """End a pause and send its held targets on as ``held`` says. ``actor`` None: the
    scheduler's automatic resume or the command line."""
    if held not in HELD_MODES:
        raise ValidationFailed(f"held must be one of {', '.join(HELD_MODES)}.",
                               code="unknown_held_mode",
                               fields={"held": "publish_now, shift or review."})
    if actor is not None:
        if actor.role not in APPROVER_ROLES:
            raise Forbidden("Only an approver or an admin can resume outgoing posts.")
        pause = get_pause(session, actor, pause_id)
    else:
        pause = session.get(Pause, pause_id)
        if pause is None:
            raise NotFound(f"No pause with id {pause_id}.")
    if pause.resumed_at is not None:
        raise Conflict("This pause has already been resumed.", code="already_resumed")
    actor_id = actor.id if actor else None
    pause.resumed_at, pause.resumed_by_id, pause.held_mode = now, actor_id, held
    session.flush()
    length = now - pause.created_at
    targets = _released_by(session, pause)
    result = ResumeResult(pause, held)
    if held == "publish_now":
        _publish_now(session, targets, now, budgets, actor_id, pause)
    else:
        to = Status.SCHEDULED if held == "shift" else Status.AWAITING_APPROVAL
        floor = now if held == "shift" else now + REVIEW_LEAD
        for target in targets:
            when = max(target.scheduled_at + length, floor)
            attempt = max(target.next_attempt_at + length, when)
            transition(session, target, to, actor_id=actor_id, now=now, reason=f"resumed: {held}",
                       values={"scheduled_at": when, "next_attempt_at": attempt,
                               "last_error": None, "error_code": None},
                       details={"pause_id": pause.id})
        sync_post_times(session, {t.post_id for t in targets})
    result.released = [t.id for t in targets]
    audit(session, "pause.resumed", actor_id=actor_id, entity_type="pause", entity_id=pause.id,
          now=now, details={"held": held, "released": len(targets),
                            "paused_seconds": int(length.total_seconds()),
                            "automatic": actor is None and pause.resume_at is not None
                            and pause.resume_at <= now})
    return result


def _publish_now(session: Session, targets: Sequence[PostTarget], now: datetime,
                 budgets: Mapping[str, Budget], actor_id: int | None, pause: Pause) -> None:
    """Release at once but spaced per account (never a burst): the first now, the next one
    gap later, … The claim-time budget still defers anything over the platform's limit."""
    position: dict[int, int] = {}
    for target in targets:
        n = position.get(target.account_id, 0)
        position[target.account_id] = n + 1
        gap = release_gap(budgets.get(target.account.platform))
        transition(session, target, Status.SCHEDULED, actor_id=actor_id, now=now,
                   reason="resumed: publish_now",
                   values={"next_attempt_at": now + gap * n, "last_error": None,
                           "error_code": None},
                   details={"pause_id": pause.id})


def pauses_due_to_resume(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(
        select(Pause.id).where(Pause.resumed_at.is_(None), Pause.resume_at.is_not(None),
                               Pause.resume_at <= now).order_by(Pause.resume_at, Pause.id)))


def resume_due_pauses(session: Session, now: datetime,
                      budgets: Mapping[str, Budget]) -> list[int]:
    """The automatic resume (called from the scheduler tick): pauses whose ``resume_at`` has
    come end with ``shift``."""
    ids = pauses_due_to_resume(session, now)
    for pause_id in ids:
        resume_pause(session, actor=None, pause_id=pause_id, held=AUTO_RESUME_MODE, now=now,
                     budgets=budgets)
    return ids
