"""issue 8: an account's weekly posting schedule ("weekdays 09:00 and 15:00") and the next free
slot, so a PIO can say "put it in the next slot" instead of picking a time.

Slots are wall-clock times in the agency's zone (0 = Monday … 6 = Sunday). A slot whose time
does not exist on a given day (the spring-forward gap) is skipped that day; one that happens
twice (fall back) means the first. A slot is free when none of the chosen accounts already has
a live post (not canceled, failed or expired) at that instant.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from content_queue.errors import NotFound, ValidationFailed
from content_queue.models import AUTHOR_ROLES, PostingSlot, PostTarget, SocialAccount, User
from content_queue.errors import Forbidden
from content_queue.states import Status
from content_queue.timeutil import LocalTimeError, local_to_utc, utc_to_local

#: One account has at most this many weekly slots (every half hour of a week is 336).
MAX_SLOTS = 100
#: "Next free slot" looks this far ahead; past it the PIO picks a time.
SLOT_HORIZON_DAYS = 90
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
#: A target in one of these no longer occupies its time.
_NOT_TAKING = {Status.CANCELED.value, Status.FAILED.value, Status.EXPIRED.value}


def _account(session: Session, actor: User, account_id: int) -> SocialAccount:
    account = session.get(SocialAccount, account_id)
    if account is None or account.agency_id != actor.agency_id:
        raise NotFound(f"No account with id {account_id}.", code="not_found")
    return account


def clean_slots(raw: Any) -> list[tuple[int, str]]:
    """Check a ``[{"weekday": 0-6, "time": "HH:MM"}]`` list; sorted, de-duplicated."""
    if not isinstance(raw, list):
        raise ValidationFailed('slots must be a list of {"weekday": 0-6, "time": "HH:MM"}.',
                               code="invalid_slots", fields={"slots": "A list."})
    if len(raw) > MAX_SLOTS:
        raise ValidationFailed(f"An account has at most {MAX_SLOTS} posting slots.",
                               code="too_many_slots", fields={"slots": f"At most {MAX_SLOTS}."})
    found: set[tuple[int, str]] = set()
    for number, item in enumerate(raw, start=1):
        weekday = item.get("weekday") if isinstance(item, dict) else None
        at = item.get("time") if isinstance(item, dict) else None
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationFailed(
                f"Slot {number}: weekday must be a number from 0 (Monday) to 6 (Sunday).",
                code="invalid_slots", fields={"slots": f"Slot {number}: bad weekday."})
        if not isinstance(at, str) or not _TIME.match(at):
            raise ValidationFailed(f"Slot {number}: time must be HH:MM on a 24-hour clock "
                                   "(example: 09:00).", code="invalid_slots",
                                   fields={"slots": f"Slot {number}: bad time."})
        found.add((weekday, at))
    return sorted(found)


def list_slots(session: Session, actor: User, account_id: int) -> list[dict[str, Any]]:
    _account(session, actor, account_id)
    rows = session.scalars(select(PostingSlot).where(PostingSlot.account_id == account_id)
                           .order_by(PostingSlot.weekday, PostingSlot.time))
    return [{"weekday": r.weekday, "time": r.time} for r in rows]


def replace_slots(session: Session, actor: User, account_id: int, raw: Any) -> list[dict[str, Any]]:
    """Replace the account's whole schedule (PUT semantics)."""
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers cannot change posting slots.")
    account = _account(session, actor, account_id)
    slots = clean_slots(raw)
    session.execute(delete(PostingSlot).where(PostingSlot.account_id == account.id))
    for weekday, at in slots:
        session.add(PostingSlot(agency_id=account.agency_id, account_id=account.id,
                                weekday=weekday, time=at))
    session.flush()
    return [{"weekday": w, "time": t} for w, t in slots]


def _candidates(slots: Iterable[tuple[int, str]], start: date, tz_name: str,
                days: int) -> Iterable[datetime]:
    by_day: dict[int, list[str]] = {}
    for weekday, at in slots:
        by_day.setdefault(weekday, []).append(at)
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        for at in sorted(set(by_day.get(day.weekday(), ()))):
            hour, minute = (int(p) for p in at.split(":"))
            try:
                yield local_to_utc(datetime.combine(day, time(hour, minute)), tz_name, fold=0)
            except LocalTimeError:
                continue  # in the DST gap that day: the slot does not exist


def next_free_slot(session: Session, actor: User, account_ids: list[int], *,
                   now: datetime) -> datetime:
    """The first slot of any chosen account, after ``now``, that none of them has taken."""
    accounts = [_account(session, actor, i) for i in account_ids]
    ids = [a.id for a in accounts]
    slots = {(r.weekday, r.time) for r in session.scalars(
        select(PostingSlot).where(PostingSlot.account_id.in_(ids)))}
    if not slots:
        raise ValidationFailed("The chosen accounts have no posting slots yet. Set them on the "
                               "calendar's slots page, or choose a time.", code="no_slots",
                               fields={"slot": "No posting slots."})
    tz_name = actor.agency.timezone
    horizon = now + timedelta(days=SLOT_HORIZON_DAYS + 1)
    taken = {t for t in session.scalars(
        select(PostTarget.scheduled_at).where(PostTarget.account_id.in_(ids),
                                              PostTarget.scheduled_at > now,
                                              PostTarget.scheduled_at <= horizon,
                                              PostTarget.status.not_in(_NOT_TAKING)))}
    start = utc_to_local(now, tz_name).date()
    for instant in _candidates(slots, start, tz_name, SLOT_HORIZON_DAYS):
        if instant > now and instant not in taken:
            return instant
    raise ValidationFailed(f"Every posting slot of the next {SLOT_HORIZON_DAYS} days is taken; "
                           "choose a time.", code="no_free_slot",
                           fields={"slot": "No free slot."})
