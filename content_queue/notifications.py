"""Notifications: the one way Tenfour tells people that something needs them.

:func:`notify` is the entry point. It records one :class:`Notification` row per recipient (the
in-app notice, and that person's e-mail) in the caller's transaction and returns the new ids;
delivery (e-mail, the agency webhook) happens after the commit, in a worker
(``tenfour.deliver_notification``). Ids are also kept on the session, so a process that called
:func:`deliver_after_commit` on its database hands them on by itself once the transaction
commits; rows whose hand-off was lost are picked up again by
:func:`content_queue.notification_delivery.undelivered`.

Who hears: the post's author and the agency's admins, each once. Later features (approvals,
emergency replies) call :func:`notify` with their own event name and, if needed, recipients.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from content_queue.db import Database
from content_queue.models import (APPROVER_ROLES, Notification, Post, PostTarget, SocialAccount,
                                  User)
from content_queue.platforms import RULES

TARGET_FAILED = "target_failed"
TARGET_UNCONFIRMED = "target_unconfirmed"
TARGET_HELD = "target_held"
ACCOUNT_RECONNECT_NEEDED = "account_reconnect_needed"
SCHEDULER_STALLED = "scheduler_stalled"
POST_AWAITING_APPROVAL = "post_awaiting_approval"

#: Target statuses that notify, and the event each one raises.
TARGET_STATUS_EVENTS = {"failed": TARGET_FAILED, "unconfirmed": TARGET_UNCONFIRMED,
                        "held": TARGET_HELD}
#: A post on five accounts that fails on all five tells each person once, not five times;
#: an import of 50 posts sent for approval tells each approver once, not 50 times.
POST_DEDUPE_WINDOW = timedelta(minutes=10)

PENDING_KEY = "tenfour.notification_ids"


def default_recipients(session: Session, agency_id: int, post_id: int | None = None) -> list[int]:
    """The post's author (if any) and the agency's active admins, each once."""
    ids: list[int] = []
    if post_id is not None:
        author = session.scalar(
            select(Post.author_id).join(User, User.id == Post.author_id)
            .where(Post.id == post_id, User.active.is_(True)))
        if author is not None:
            ids.append(author)
    ids.extend(session.scalars(
        select(User.id).where(User.agency_id == agency_id, User.role == "admin",
                              User.active.is_(True)).order_by(User.id)))
    return list(dict.fromkeys(ids))


def notify(session: Session, event: str, *, agency_id: int, subject: str, body: str,
           now: datetime, post_id: int | None = None, target_id: int | None = None,
           account_id: int | None = None, recipients: Iterable[int] | None = None) -> list[int]:
    """Record ``event`` for each recipient (default: :func:`default_recipients`); return the
    new rows' ids for delivery after the commit."""
    users = list(dict.fromkeys(recipients if recipients is not None
                               else default_recipients(session, agency_id, post_id)))
    if not users:
        return []
    group = str(uuid.uuid4())
    rows = [Notification(agency_id=agency_id, user_id=user_id, event=event,
                         subject=subject[:300], body=body, post_id=post_id,
                         target_id=target_id, account_id=account_id, group_key=group,
                         sends_webhook=index == 0, created_at=now, delivery_state="pending",
                         delivery_attempts=0)
            for index, user_id in enumerate(users)]
    session.add_all(rows)
    session.flush()
    ids = [row.id for row in rows]
    session.info.setdefault(PENDING_KEY, []).extend(ids)
    return ids


# --- the events raised by the product ---------------------------------------------------------


def _label(platform: str) -> str:
    return RULES[platform].label if platform in RULES else platform


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def notify_awaiting_approval(session: Session, post: Post, *, by: User | None, now: datetime,
                             edited: bool = False) -> list[int]:
    """The post now waits for approval (submitted, or edited after its approval): each active
    approver and admin of its agency hears of it, except the person who sent it and its author
    (nobody approves their own post). Someone with an unread notice of this kind younger than
    POST_DEDUPE_WINDOW is not told again: a CSV import or a series of 50 posts is one notice
    (and one e-mail), and the approvals page lists them all."""
    skip = {post.author_id, by.id if by is not None else None}
    skip.update(session.scalars(select(Notification.user_id).where(
        Notification.agency_id == post.agency_id, Notification.event == POST_AWAITING_APPROVAL,
        Notification.read_at.is_(None), Notification.created_at >= now - POST_DEDUPE_WINDOW)))
    recipients = [user_id for user_id in session.scalars(
        select(User.id).where(User.agency_id == post.agency_id, User.active.is_(True),
                              User.role.in_(sorted(APPROVER_ROLES))).order_by(User.id))
        if user_id not in skip]
    name = (by.display_name or by.email) if by is not None else "Someone"
    how = "Edited after its approval" if edited else "Submitted"
    return notify(session, POST_AWAITING_APPROVAL, agency_id=post.agency_id,
                  subject=f"Post #{post.id} is waiting for your approval",
                  body=f"\u201c{_excerpt(post.text)}\u201d\n\n{how} by {name}. Approve it or send "
                       "it back from the approvals page (posts sent for approval in the next "
                       f"{POST_DEDUPE_WINDOW.seconds // 60} minutes are listed there, not "
                       "announced one by one).",
                  now=now, post_id=post.id, recipients=recipients)


def notify_target(session: Session, target: PostTarget, *, now: datetime) -> list[int]:
    """A target reached a status people must act on (failed, unconfirmed, held)."""
    event = TARGET_STATUS_EVENTS.get(target.status)
    if event is None:
        return []
    post: Post = target.post
    account: SocialAccount = target.account
    where = f"{_label(account.platform)} @{account.handle}"
    recent = set(session.scalars(
        select(Notification.user_id).where(
            Notification.event == event, Notification.post_id == post.id,
            Notification.created_at >= now - POST_DEDUPE_WINDOW)))
    recipients = [u for u in default_recipients(session, post.agency_id, post.id)
                  if u not in recent]
    if not recipients:
        return []
    detail = (target.last_error or "").strip()
    if event == TARGET_FAILED:
        subject = f"Post #{post.id} failed on {where}"
        action = detail or "The platform refused it."
        action += " Open the post to retry it or change it."
    elif event == TARGET_UNCONFIRMED:
        subject = f"Post #{post.id} may or may not be on {where}"
        action = (f"{detail} " if detail else "") + (
            f"Tenfour could not tell whether {where} published it. Look at the account: on "
            "the post's page, mark it \"it is there\" (with its link) or \"post it again\".")
    else:
        subject = f"Post #{post.id} is held on {where}"
        action = (detail or "Outgoing posts are paused.") + (
            " It goes out when the pause is lifted, as the person resuming chooses.")
    body = f"“{_excerpt(post.text)}”\n\n{action}"
    return notify(session, event, agency_id=post.agency_id, subject=subject, body=body,
                  now=now, post_id=post.id, target_id=target.id, account_id=account.id,
                  recipients=recipients)


def notify_targets(session: Session, target_ids: Sequence[int], *, now: datetime) -> list[int]:
    """:func:`notify_target` for targets moved in bulk (one UPDATE for many rows, as a pause
    holds them): one notice per post, since each person hears of a post once anyway."""
    ids: list[int] = []
    seen: set[int] = set()
    for start in range(0, len(target_ids), 500):
        chunk = list(target_ids[start:start + 500])
        for target in session.scalars(select(PostTarget).where(PostTarget.id.in_(chunk))
                                      .order_by(PostTarget.id)):
            if target.post_id not in seen:
                seen.add(target.post_id)
                ids.extend(notify_target(session, target, now=now))
    return ids


def notify_reconnect_needed(session: Session, account: SocialAccount, detail: str, *,
                            now: datetime) -> list[int]:
    where = f"{_label(account.platform)} @{account.handle}"
    body = (f"{detail.strip()} " if detail.strip() else "") + (
        f"Posts to {where} fail until an admin reconnects it on the Accounts page.")
    return notify(session, ACCOUNT_RECONNECT_NEEDED, agency_id=account.agency_id,
                  subject=f"{where} needs reconnecting", body=body, now=now,
                  account_id=account.id)


def notify_scheduler_stalled(session: Session, agency_id: int, *, oldest_due: datetime,
                             waiting: int, now: datetime) -> list[int]:
    """Due posts are not being picked up, once per episode: an episode began no later than
    the oldest overdue target, so an earlier notice since then means it was already said."""
    said = session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.agency_id == agency_id, Notification.event == SCHEDULER_STALLED,
            Notification.created_at >= oldest_due))
    if said:
        return []
    minutes = max(1, int((now - oldest_due).total_seconds() // 60))
    body = (f"{waiting} post{'s are' if waiting != 1 else ' is'} past due and not being sent; "
            f"the oldest has waited {minutes} minute{'s' if minutes != 1 else ''}. The "
            "scheduler process may be stopped or failing: check `tenfour run` (or the "
            "scheduler service) and its log, and /readyz.")
    return notify(session, SCHEDULER_STALLED, agency_id=agency_id,
                  subject="Scheduled posts are not going out", body=body, now=now)


# --- the in-app list --------------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_notifications(session: Session, user_id: int, *, page: int = 1,
                       per_page: int = 25) -> tuple[list[Notification], int]:
    """A page of the user's notifications, newest first, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(Notification)
                           .where(Notification.user_id == user_id)) or 0
    rows = list(session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return rows, total


def mark_read(session: Session, user_id: int, notification_id: int, *,
              now: datetime) -> Notification | None:
    """Mark one of the user's own notifications read (None: not theirs, or no such row)."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        return None
    if row.read_at is None:
        row.read_at = now
    return row


def mark_all_read(session: Session, user_id: int, *, now: datetime) -> int:
    return session.execute(
        update(Notification).where(Notification.user_id == user_id,
                                   Notification.read_at.is_(None))
        .values(read_at=now).execution_options(synchronize_session=False)).rowcount


# --- handing new rows to delivery after the commit --------------------------------------------


def take_pending(session: Session) -> list[int]:
    """The ids :func:`notify` recorded in this session since the last call (and forget them)."""
    return session.info.pop(PENDING_KEY, [])


def deliver_after_commit(db: Database, dispatch: Callable[[list[int]], None]) -> None:
    """Call ``dispatch(ids)`` after each commit of a ``db`` session that recorded
    notifications; forget them on rollback. Calling it again replaces ``dispatch``.
    ``dispatch`` should log rather than raise: the rows are already committed, and
    :func:`content_queue.notification_delivery.undelivered` finds them again."""
    installed = getattr(db, "_notification_dispatch", None)
    db._notification_dispatch = dispatch  # type: ignore[attr-defined]
    if installed is not None:
        return

    def _after_commit(session: Session) -> None:
        ids = take_pending(session)
        if ids:
            db._notification_dispatch(ids)  # type: ignore[attr-defined]

    def _after_rollback(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)

    db.listen("after_commit", _after_commit)
    db.listen("after_rollback", _after_rollback)
