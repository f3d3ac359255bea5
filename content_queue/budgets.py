"""Per-account posting budgets: keep each account under its platform's published posting limits,
so a burst waits its turn instead of turning into a storm of 429s.

A budget is one or more sliding windows ("100 posts per 15 minutes"; Bluesky has an hourly and
a daily one). What counts against it is the account's targets claimed in the window that went
(or may have gone) out: ``publishing``, ``published`` and ``unconfirmed``. The scheduler calls
:func:`defer_over_budget` at claim time: a due target over its account's budget is not claimed;
its ``next_attempt_at`` moves to the moment the window allows it, with the reason in its
``last_error`` ("X allows 100 posts per 15 minutes; this one goes at 09:15 CDT.").

Defaults (the platforms' published limits):

- X: ``POST /2/tweets`` 100 per 15 minutes per user.
- Instagram: 50 published posts per 24 hours per account (content publishing limit).
- Bluesky: 5,000 points an hour and 35,000 a day per account, a create costs 3 points:
  1,666 posts an hour and 11,666 a day.
- Mastodon: 300 requests per 5 minutes per account (a post is counted as one request).
- Facebook Pages: Meta publishes no fixed post count for Pages (Page tokens fall under
  business-use-case limits that scale with the Page's engagement, 4,800 calls per engaged user
  per 24 h); we use the Graph API's Platform Rate Limit, 200 calls per hour per user (Meta's
  "Rate Limits" page of the Graph API overview), as a conservative per-Page budget.
- sandbox: unlimited.

``POSTING_BUDGETS`` overrides them per platform: ``x=100/15m,instagram=50/24h,
bluesky=1666/1h+11666/24h,sandbox=none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from content_queue.models import Agency, AuditEvent, PostTarget, SocialAccount
from content_queue.platforms import RULES
from content_queue.states import Status
from content_queue.timeutil import utc_to_local

#: Statuses of targets that used a slot of the budget.
COUNTED = (Status.PUBLISHING.value, Status.PUBLISHED.value, Status.UNCONFIRMED.value)
BUDGET_CODE = "posting_budget"
#: ``publish_now`` after a pause releases held targets at least this far apart per account…
MIN_RELEASE_GAP = timedelta(seconds=2)
#: …and at most this far apart (the budget itself still defers anything over the limit).
MAX_RELEASE_GAP = timedelta(seconds=60)


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: int

    def describe(self) -> str:
        return f"{self.limit:,} posts per {_duration_words(self.seconds)}"


@dataclass(frozen=True)
class Budget:
    #: Empty: no limit.
    windows: tuple[Window, ...] = ()

    @property
    def unlimited(self) -> bool:
        return not self.windows

    def describe(self) -> str:
        return " and ".join(w.describe() for w in self.windows) or "unlimited posts"


DEFAULT_BUDGETS: Mapping[str, Budget] = {
    "x": Budget((Window(100, 15 * 60),)),
    "instagram": Budget((Window(50, 24 * 3600),)),
    "bluesky": Budget((Window(5000 // 3, 3600), Window(35000 // 3, 24 * 3600))),
    "mastodon": Budget((Window(300, 5 * 60),)),
    "facebook": Budget((Window(200, 3600),)),
    "sandbox": Budget(),
}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration_words(seconds: int) -> str:
    for size, word in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return word if count == 1 else f"{count} {word}s"
    return f"{seconds} seconds"


def _parse_window(text: str, platform: str) -> Window:
    limit, _, span = text.partition("/")
    span = span.strip().lower()
    if not limit.strip().isdecimal() or len(span) < 2 or span[-1] not in _UNITS \
            or not span[:-1].isdecimal():
        raise ValueError(f"POSTING_BUDGETS: {platform}={text!r} is not like 100/15m "
                         "(a count, a slash, a length in s, m, h or d).")
    count, length = int(limit), int(span[:-1]) * _UNITS[span[-1]]
    if count < 1 or length < 1:
        raise ValueError(f"POSTING_BUDGETS: {platform}={text!r} needs a count and a length "
                         "of at least 1.")
    return Window(count, length)


def parse_budgets(raw: str | None,
                  base: Mapping[str, Budget] = DEFAULT_BUDGETS) -> dict[str, Budget]:
    """``base`` with the platforms named in ``raw`` replaced. ``none`` or ``unlimited``: no
    limit; several windows are joined with ``+`` (``1666/1h+11666/24h``)."""
    budgets = dict(base)
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        platform, sep, spec = item.partition("=")
        platform = platform.strip().lower()
        if not sep or not platform or not spec.strip():
            raise ValueError(f"POSTING_BUDGETS: {item.strip()!r} is not like x=100/15m.")
        if spec.strip().lower() in ("none", "unlimited"):
            budgets[platform] = Budget()
        else:
            budgets[platform] = Budget(tuple(_parse_window(part.strip(), platform)
                                             for part in spec.split("+")))
    return budgets


def next_slot(budget: Budget, used: list[datetime], now: datetime) -> datetime:
    """The earliest instant at or after ``now`` one more post fits, given the sorted claim
    times ``used``: in every window, the ``limit``-th most recent use must have left it."""
    slot = now
    for window in budget.windows:
        if len(used) >= window.limit:
            slot = max(slot, used[-window.limit] + timedelta(seconds=window.seconds))
    return slot


def plan(budget: Budget, used: list[datetime], due: int,
         now: datetime) -> tuple[int, list[datetime]]:
    """How many of ``due`` targets may go now, and when each of the others may go (in order)."""
    if budget.unlimited:
        return due, []
    events = sorted(used)
    allowed, later = 0, []
    for _ in range(due):
        slot = next_slot(budget, events, now)
        if slot <= now and not later:
            allowed += 1
        else:
            later.append(slot)
        events.append(slot)
    return allowed, later


def release_gap(budget: Budget | None) -> timedelta:
    """How far apart a resume's ``publish_now`` spaces one account's held targets."""
    if budget is None or budget.unlimited:
        return MIN_RELEASE_GAP
    even = min(timedelta(seconds=w.seconds / w.limit) for w in budget.windows)
    return min(max(even, MIN_RELEASE_GAP), MAX_RELEASE_GAP)


def budget_reason(platform: str, budget: Budget, at: datetime, tz_name: str,
                  now: datetime) -> str:
    label = RULES[platform].label if platform in RULES else platform
    local, today = utc_to_local(at, tz_name), utc_to_local(now, tz_name)
    when = f"{local:%H:%M %Z}" if local.date() == today.date() \
        else f"{local:%b} {local.day}, {local:%H:%M %Z}"
    return f"{label} allows {budget.describe()}; this one goes at {when}."


def _due(now: datetime):
    return (PostTarget.status == Status.SCHEDULED.value, PostTarget.next_attempt_at <= now)


def defer_over_budget(session: Session, now: datetime, budgets: Mapping[str, Budget], *,
                      horizon: datetime | None = None) -> list[int]:
    """Move targets due by ``horizon`` (default ``now``) that are over their account's budget
    to when the window allows them; returns their ids. Costs one grouped read when nothing is
    over budget."""
    horizon = now if horizon is None else horizon
    limited = sorted(p for p, b in budgets.items() if not b.unlimited)
    if not limited:
        return []
    accounts = session.execute(
        select(PostTarget.account_id, SocialAccount.platform, Agency.timezone, func.count())
        .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
        .join(Agency, Agency.id == SocialAccount.agency_id)
        .where(*_due(horizon), SocialAccount.platform.in_(limited))
        .group_by(PostTarget.account_id, SocialAccount.platform, Agency.timezone)
    ).all()
    deferred: list[int] = []
    for account_id, platform, tz_name, due in accounts:
        deferred.extend(_defer_account(session, now, horizon, account_id, platform, tz_name,
                                       due, budgets[platform]))
    return deferred


def _defer_account(session: Session, now: datetime, horizon: datetime, account_id: int,
                   platform: str, tz_name: str, due: int, budget: Budget) -> list[int]:
    longest = max(w.seconds for w in budget.windows)
    used = list(session.scalars(
        select(PostTarget.claimed_at)
        .where(PostTarget.account_id == account_id, PostTarget.status.in_(COUNTED),
               PostTarget.claimed_at > now - timedelta(seconds=longest))
        .order_by(PostTarget.claimed_at)
    ))
    allowed, later = plan(budget, used, due, now)
    if not later:
        return []
    ids = list(session.scalars(
        select(PostTarget.id).where(*_due(horizon), PostTarget.account_id == account_id)
        .order_by(PostTarget.next_attempt_at, PostTarget.id).offset(allowed)
    ))
    rows = [{"id": target_id, "next_attempt_at": at, "updated_at": now,
             "last_error": budget_reason(platform, budget, at, tz_name, now),
             "error_code": BUDGET_CODE}
            for target_id, at in zip(ids, later)]
    if rows:
        session.execute(update(PostTarget), rows)
        session.add(AuditEvent(
            actor_id=None, action="account.over_budget", entity_type="social_account",
            entity_id=account_id, created_at=now,
            details={"deferred": len(rows), "budget": budget.describe(),
                     "first_at": rows[0]["next_attempt_at"].isoformat(),
                     "last_at": rows[-1]["next_attempt_at"].isoformat()}))
    return [r["id"] for r in rows]
