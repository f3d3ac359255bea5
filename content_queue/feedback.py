"""The community feedback wall: replies stored once, classified, moderated, never lost.

Each reply is scored (content_queue.sentiment), checked for personal information (hidden until
an approver decides) and for an apparent emergency (content_queue.emergency: flagged, on top of
the wall, and the agency's on-duty contact is alerted through content_queue.notifications).
A reply the platform no longer returns is marked ``deleted_on_platform_at``, never removed:
replies to an agency's posts are public records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from content_queue import sentiment
from content_queue.errors import ValidationFailed
from content_queue.emergency import DEFAULT_INSTRUCTIONS, EMERGENCY, detect
from content_queue.models import (
    Agency,
    CommunityReply,
    Notification,
    Post,
    PostTarget,
    SocialAccount,
    User,
)
from content_queue.notifications import notify
from content_queue.personal_info import REASONS, personal_info_flags
from content_queue.platforms import RULES
from content_queue.ports import Metrics, Reply
from content_queue.states import Status
from content_queue.users import EMAIL_RE, audit

#: Replies on posts younger than this are fetched every FEEDBACK_POLL_SECONDS.
FEEDBACK_WINDOW = timedelta(hours=48)
#: At most this many of an account's young posts per poll (one reply read each), newest
#: first: Mastodon allows 300 reads / 5 min, X's recent search 450 / 15 min per app.
MAX_POSTS_PER_POLL = 25
#: A fetch this long (a platform's page size) may be cut short: only replies at least as new
#: as its oldest one can be judged deleted.
PAGE_SIZE = 100
#: X's recent search only reaches back seven days.
SEARCH_REACH = {"x": timedelta(days=7)}

REPLY_EMERGENCY = "reply_emergency"
FLAG_NAMES = (EMERGENCY, "phone", "address")
VIEWS = ("thanks", "newest")


class FeedbackError(ValidationFailed):
    """A refusal in plain words, with a code for the API (a 422)."""

    def __init__(self, message: str, code: str = "validation_failed",
                 field_name: str | None = None) -> None:
        super().__init__(message, code=code,
                         fields={field_name: message} if field_name else None)


@dataclass(frozen=True)
class Classification:
    sentiment: float
    flags: list[str]
    hidden_reason: str | None
    reasons: list[str] = field(default_factory=list)

    @property
    def emergency(self) -> bool:
        return EMERGENCY in self.flags


def classify(text: str) -> Classification:
    detection = detect(text)
    personal = personal_info_flags(text)
    flags = ([EMERGENCY] if detection.emergency else []) + personal
    reason = ("; ".join(REASONS[kind] for kind in personal)) if personal else None
    return Classification(sentiment.score(text), flags, reason, detection.reasons)


# --- polling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyPoll:
    """One account's young posts whose replies are due (platform post id -> target id)."""

    account_id: int
    platform: str
    handle: str
    credentials_encrypted: str
    api_base_url: str | None
    targets: dict[str, int]
    #: target id -> replies stored and not deleted: a post whose platform count differs
    #: has news (new or deleted replies); only those cost a reply read.
    stored_counts: dict[int, int] = field(default_factory=dict)

    def changed(self, metrics: Sequence[Metrics]) -> list[str]:
        return [m.platform_post_id for m in metrics if m.platform_post_id in self.targets
                and m.replies != self.stored_counts.get(self.targets[m.platform_post_id], 0)]


def accounts_due_for_replies(session: Session, *, now: datetime,
                             window: timedelta = FEEDBACK_WINDOW) -> list[int]:
    return list(session.scalars(
        select(SocialAccount.id).distinct()
        .join(PostTarget, PostTarget.account_id == SocialAccount.id)
        .where(*_young(now, window)).order_by(SocialAccount.id)))


def _young(now: datetime, window: timedelta) -> tuple:
    return (PostTarget.status == Status.PUBLISHED.value,
            PostTarget.published_at >= now - window,
            PostTarget.platform_post_id.is_not(None),
            SocialAccount.status == "active")


def replies_due(session: Session, account_id: int, *, now: datetime,
                window: timedelta = FEEDBACK_WINDOW) -> ReplyPoll | None:
    account = session.get(SocialAccount, account_id)
    if account is None:
        return None
    rows = session.execute(
        select(PostTarget.platform_post_id, PostTarget.id)
        .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
        .where(SocialAccount.id == account_id, *_young(now, window))
        .order_by(PostTarget.published_at.desc()).limit(MAX_POSTS_PER_POLL)).all()
    if not rows:
        return None
    targets = {post_id: target_id for post_id, target_id in rows}
    counts = dict(session.execute(
        select(CommunityReply.target_id, func.count())
        .where(CommunityReply.target_id.in_(list(targets.values())),
               CommunityReply.deleted_on_platform_at.is_(None))
        .group_by(CommunityReply.target_id)).all())
    return ReplyPoll(account.id, account.platform, account.handle,
                     account.credentials_encrypted, account.api_base_url, targets, counts)


def deletion_window_start(platform: str, replies: Sequence[Reply],
                          now: datetime) -> datetime | None:
    """The oldest creation time a fetch vouches for (None: all of the post's replies).

    A stored reply created at or after it that the fetch did not return was deleted."""
    starts = []
    if platform in SEARCH_REACH:
        starts.append(now - SEARCH_REACH[platform])
    if len(replies) >= PAGE_SIZE:
        starts.append(min(r.created_at for r in replies))
    return max(starts) if starts else None


@dataclass
class RecordOutcome:
    new: list[int] = field(default_factory=list)
    emergencies: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)


def record_replies(session: Session, target_id: int, replies: Sequence[Reply], *,
                   now: datetime) -> RecordOutcome:
    """Store replies not seen before (classified), mark the ones the platform dropped, and
    alert the on-duty contact of each new emergency-looking one.

    ``replies`` must be a complete fetch of the target's replies (within the platform's
    reach): a failed fetch records nothing."""
    outcome = RecordOutcome()
    target = session.get(PostTarget, target_id)
    if target is None:
        return outcome
    stored = {r.platform_reply_id: r for r in session.scalars(
        select(CommunityReply).where(CommunityReply.target_id == target_id))}
    seen: set[str] = set()
    for reply in replies:
        if reply.platform_reply_id in seen:
            continue
        seen.add(reply.platform_reply_id)
        known = stored.get(reply.platform_reply_id)
        if known is not None:
            known.deleted_on_platform_at = None  # back (a platform hiccup, or restored)
            continue
        row = _new_row(target, reply, now=now)
        session.add(row)
        session.flush()
        outcome.new.append(row.id)
        if row.emergency:
            outcome.emergencies.append(row.id)
            outcome.notifications.extend(alert_on_duty(session, row, target, now=now))
    start = deletion_window_start(target.account.platform, replies, now)
    for platform_id, row in stored.items():
        if platform_id in seen or row.deleted_on_platform_at is not None:
            continue
        if start is None or row.created_at >= start:
            row.deleted_on_platform_at = now
            outcome.deleted.append(row.id)
    return outcome


def _new_row(target: PostTarget, reply: Reply, *, now: datetime) -> CommunityReply:
    found = classify(reply.text)
    return CommunityReply(
        target_id=target.id, agency_id=target.post.agency_id,
        platform_reply_id=reply.platform_reply_id, author=reply.author[:300], text=reply.text,
        created_at=reply.created_at, fetched_at=now, url=(reply.url or target.permalink),
        sentiment=found.sentiment, flags=found.flags, emergency=found.emergency,
        hidden=found.hidden_reason is not None, hidden_reason=found.hidden_reason,
        highlighted=False)


# --- the on-duty alert ---------------------------------------------------------------------


def instructions_for(agency: Agency) -> str:
    return (agency.emergency_instructions or "").strip() or DEFAULT_INSTRUCTIONS


def on_duty_recipients(session: Session, agency: Agency) -> list[int]:
    """The on-duty user when one is set (and active), else the agency's active admins."""
    if agency.on_duty_user_id is not None:
        user = session.get(User, agency.on_duty_user_id)
        if user is not None and user.active and user.agency_id == agency.id:
            return [user.id]
    return list(session.scalars(
        select(User.id).where(User.agency_id == agency.id, User.role == "admin",
                              User.active.is_(True)).order_by(User.id)))


def alert_on_duty(session: Session, reply: CommunityReply, target: PostTarget, *,
                  now: datetime) -> list[int]:
    agency = session.get(Agency, target.post.agency_id)
    account = target.account
    label = RULES[account.platform].label if account.platform in RULES else account.platform
    where = f"{label} @{account.handle}"
    quoted = " ".join(reply.text.split())
    body = (f"{reply.author} replied to post #{target.post_id} on {where}:\n\n“{quoted}”\n\n"
            f"{reply.url or ''}\n\n{instructions_for(agency)}")
    ids = notify(session, REPLY_EMERGENCY, agency_id=agency.id,
                 subject=f"Emergency-looking reply on {where}", body=body, now=now,
                 post_id=target.post_id, target_id=target.id, account_id=account.id,
                 recipients=on_duty_recipients(session, agency))
    if agency.on_duty_email and agency.on_duty_user_id is not None and ids:
        session.get_one(Notification, ids[0]).email_to = agency.on_duty_email
    return ids


def set_on_duty(session: Session, agency: Agency, *, user_id: int | None, email: str,
                instructions: str, actor_id: int, now: datetime) -> None:
    """Who hears of emergency-looking replies, and the instructions the wall shows."""
    email = email.strip()
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or user.agency_id != agency.id or not user.active:
            raise FeedbackError("Choose an active user of this agency as the on-duty contact.",
                                "unknown_user", "on_duty_user_id")
    if email and not EMAIL_RE.match(email):
        raise FeedbackError("The on-duty e-mail address does not look like an e-mail address "
                            "(name@example.org).", "invalid_email", "on_duty_email")
    if email and user_id is None:
        raise FeedbackError("Choose the on-duty user too: the e-mail address receives that "
                            "user's alerts (a shift-desk inbox, for example).", "user_required",
                            "on_duty_user_id")
    if len(instructions) > 4000:
        raise FeedbackError("Keep the instructions under 4,000 characters.", "too_long",
                            "emergency_instructions")
    agency.on_duty_user_id = user_id
    agency.on_duty_email = email or None
    agency.emergency_instructions = instructions.strip() or None
    audit(session, "agency.on_duty_changed", actor_id=actor_id, entity_type="agency",
          entity_id=agency.id, now=now,
          details={"on_duty_user_id": user_id, "on_duty_email": email or None,
                   "instructions_customised": bool(instructions.strip())})


# --- the wall ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WallFilter:
    start: datetime | None = None
    end: datetime | None = None
    flag: str | None = None
    highlighted: bool | None = None
    include_hidden: bool = False
    view: str = "thanks"
    #: already shown above the list (the recent emergencies)
    exclude_ids: tuple[int, ...] = ()


def wall_query(agency_id: int, f: WallFilter):
    """The wall's replies of one agency joined to their target, post and account, filtered."""
    query = (select(CommunityReply, PostTarget, Post, SocialAccount)
             .join(PostTarget, PostTarget.id == CommunityReply.target_id)
             .join(Post, Post.id == PostTarget.post_id)
             .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
             .where(CommunityReply.agency_id == agency_id))
    if not f.include_hidden:
        query = query.where(CommunityReply.hidden.is_(False))
    if f.start is not None:
        query = query.where(CommunityReply.created_at >= f.start)
    if f.end is not None:
        query = query.where(CommunityReply.created_at < f.end)
    if f.flag == EMERGENCY:
        query = query.where(CommunityReply.emergency.is_(True))
    elif f.flag:
        query = query.where(cast(CommunityReply.flags, String).like(f'%"{f.flag}"%'))
    if f.highlighted is not None:
        query = query.where(CommunityReply.highlighted.is_(f.highlighted))
    if f.exclude_ids:
        query = query.where(CommunityReply.id.not_in(f.exclude_ids))
    return query


@dataclass(frozen=True)
class WallEntry:
    reply: CommunityReply
    target: PostTarget
    post: Post
    account: SocialAccount

    @property
    def sentiment_label(self) -> str:
        return sentiment.label(self.reply.sentiment)


def list_wall(session: Session, agency_id: int, f: WallFilter, *, page: int = 1,
              per_page: int = 25) -> tuple[list[WallEntry], int]:
    """A page of the wall and how many replies match. Emergencies first, then the thank-yous
    (positive, warmest first) or simply the newest, as ``f.view`` says."""
    query = wall_query(agency_id, f)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = [CommunityReply.emergency.desc()]
    if f.view == "thanks":
        positive = (CommunityReply.sentiment >= sentiment.POSITIVE_AT)
        order += [positive.desc()]
    order += [CommunityReply.created_at.desc(), CommunityReply.id.desc()]
    rows = session.execute(query.order_by(*order).offset((page - 1) * per_page)
                           .limit(per_page)).all()
    return [WallEntry(*row) for row in rows], total


def recent_emergencies(session: Session, agency_id: int, *, now: datetime,
                       within: timedelta = FEEDBACK_WINDOW, limit: int = 20) -> list[WallEntry]:
    """Emergency-looking replies of the last ``within``, newest first (hidden ones too: the
    page withholds their text from those who may not read it)."""
    query = wall_query(agency_id, WallFilter(flag=EMERGENCY, include_hidden=True)).where(
        CommunityReply.created_at >= now - within)
    rows = session.execute(query.order_by(CommunityReply.created_at.desc(),
                                          CommunityReply.id.desc()).limit(limit)).all()
    return [WallEntry(*row) for row in rows]


def entry_for(session: Session, reply: CommunityReply) -> WallEntry:
    target = session.get_one(PostTarget, reply.target_id)
    return WallEntry(reply, target, target.post, target.account)


def get_reply(session: Session, agency_id: int, reply_id: int) -> CommunityReply | None:
    row = session.get(CommunityReply, reply_id)
    return row if row is not None and row.agency_id == agency_id else None


def set_hidden(session: Session, reply: CommunityReply, hidden: bool, *, actor: User,
               now: datetime) -> CommunityReply:
    if reply.hidden == hidden:
        return reply
    reply.hidden = hidden
    reply.hidden_reason = f"hidden by {actor.display_name or actor.email}" if hidden else None
    audit(session, "reply.hidden" if hidden else "reply.unhidden", actor_id=actor.id,
          entity_type="community_reply", entity_id=reply.id, now=now)
    return reply


def set_highlighted(session: Session, reply: CommunityReply, highlighted: bool, *,
                    actor: User, now: datetime) -> CommunityReply:
    if reply.highlighted == highlighted:
        return reply
    reply.highlighted = highlighted
    reply.highlighted_at = now if highlighted else None
    audit(session, "reply.highlighted" if highlighted else "reply.unhighlighted",
          actor_id=actor.id, entity_type="community_reply", entity_id=reply.id, now=now)
    return reply
