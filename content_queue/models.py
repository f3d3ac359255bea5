"""Tenfour's tables, as SQLAlchemy 2.0 typed models.

Times are stored as UTC. SQLite has no time-zone type, so :class:`UTCDateTime` stores naive
UTC and hands back aware datetimes; application code only ever sees aware UTC values.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    LargeBinary,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, backref, mapped_column, relationship

from content_queue.states import Status


class UTCDateTime(TypeDecorator):
    """Aware-UTC datetimes on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


ROLES = ("admin", "approver", "pio", "viewer")
#: Roles whose posts skip approval, and who may approve other people's posts.
APPROVER_ROLES = frozenset({"admin", "approver"})
#: Roles that may write posts at all.
AUTHOR_ROLES = frozenset({"admin", "approver", "pio"})


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    usual_posting_time: Mapped[Optional[str]] = mapped_column(String(5), nullable=True)  # issue 10 kits: "HH:MM"
    #: issue 9 feedback: who hears of an emergency-looking reply, and what the wall tells staff.
    #: a users.id, deliberately without a foreign key: a second users<->agencies FK would make
    #: every implicit User/Agency join ambiguous. content_queue.feedback checks it.
    on_duty_user_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    on_duty_email: Mapped[Optional[str]] = mapped_column(String(254), nullable=True)  # issue 9
    emergency_instructions: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 9
    #: issue 10 guard: allow-list (one entry a line), extra incident patterns, the agency footer.
    guard_allowed_numbers: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 10
    guard_allowed_addresses: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 10
    guard_allowed_domains: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 10
    guard_patterns: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 10
    footer_text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 10: None = default
    footer_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")  # issue 10
    #: issue 8 approvals: posts by PIOs wait for an approver; with ``second_person_required``
    #: every post (an approver's or admin's own too) waits for another approver.
    pio_posts_need_approval: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")  # issue 8
    second_person_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # issue 8
    ics_secret: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)  # issue 8 calendar: ICS feed secret (None = no feed)
    #: issue 11: the agency's own SMTP server and webhook (None: the installation's SMTP_* and
    #: WEBHOOK_* settings); secrets encrypted like platform tokens. content_queue.delivery_settings
    smtp_host: Mapped[Optional[str]] = mapped_column(String(253), nullable=True)  # issue 11
    smtp_port: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)  # issue 11
    smtp_username: Mapped[Optional[str]] = mapped_column(String(254), nullable=True)  # issue 11
    smtp_password_encrypted: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 11
    smtp_from: Mapped[Optional[str]] = mapped_column(String(254), nullable=True)  # issue 11
    smtp_starttls: Mapped[Optional[bool]] = mapped_column(Boolean, nullable=True)  # issue 11
    webhook_url: Mapped[Optional[str]] = mapped_column(String(2000), nullable=True)  # issue 11
    webhook_secret_encrypted: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 11
    #: issue 11 single sign-on: identity-provider group → role in this agency (content_queue.sso).
    sso_group_roles: Mapped[Optional[dict]] = mapped_column(JSON, nullable=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: issue 11: part of the session cookie's user id; raised by logout, a password change and
    #: deactivation, so every cookie issued before stops working on the server.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # issue 11
    #: issue 11: the events this person turned off by e-mail, a JSON list of event names (None:
    #: every e-mail). The in-app notice always stays. content_queue.email_choices
    email_muted_events: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # issue 11

    agency: Mapped[Agency] = relationship()

    @property
    def is_approver(self) -> bool:
        return self.role in APPROVER_ROLES


class ApiToken(Base):
    """A Bearer token for the JSON API. Only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)  # issue 11

    user: Mapped[User] = relationship()


ACCOUNT_STATUSES = ("active", "reconnect_needed", "disabled")


class SocialAccount(Base):
    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("agency_id", "platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    platform: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    #: Fernet token (see :mod:`content_queue.crypto`); never the plain credentials.
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    api_base_url: Mapped[Optional[str]] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="active")
    status_detail: Mapped[str] = mapped_column(Text, default="")
    token_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: issue 8 compose: the account's own text limit (a Mastodon instance's max_characters).
    max_characters: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    ends_on: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_agency_first_scheduled", "agency_id", "first_scheduled_at",
                            "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaigns.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The earliest of its targets' ``scheduled_at``, kept by the verbs that set target times
    #: (see :mod:`content_queue.post_times`) so the queue is listed newest-first off an index.
    first_scheduled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: issue 8 approvals: the named person of a review link who approved it (no user account).
    approved_by_name: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    series_id: Mapped[Optional[int]] = mapped_column(ForeignKey("post_series.id"), nullable=True)  # issue 8 calendar: recurring series

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[Optional[User]] = relationship(foreign_keys=[approved_by_id])
    campaign: Mapped[Optional[Campaign]] = relationship()
    attachments: Mapped[list["PostMedia"]] = relationship(
        order_by="PostMedia.position", cascade="all, delete-orphan"
    )

    @property
    def media(self) -> list["MediaAsset"]:
        return [a.media for a in self.attachments]
    targets: Mapped[list["PostTarget"]] = relationship(
        back_populates="post", order_by="PostTarget.id", cascade="all, delete-orphan"
    )


class PostTarget(Base):
    """One post on one account: the unit that is scheduled, claimed and published."""

    __tablename__ = "post_targets"
    __table_args__ = (
        UniqueConstraint("post_id", "account_id"),
        Index("ix_post_targets_due", "status", "next_attempt_at"),
        # The posting budget counts an account's recent claims (content_queue.budgets).
        Index("ix_post_targets_account_claimed", "account_id", "claimed_at"),
        Index("ix_post_targets_status_published", "status", "published_at"),
        Index("ix_post_targets_status_scheduled", "status", "scheduled_at"),
        Index("ix_post_targets_status_post", "status", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id"))
    status: Mapped[str] = mapped_column(String(32), default=Status.DRAFT.value)
    #: When the PIO wants it out.
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the scheduler should next try (= scheduled_at, later after a retryable error).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: Set by the worker right before it calls the platform; a second delivery that finds it
    #: set knows an earlier attempt may have reached the platform.
    attempt_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    platform_post_id: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    permalink: Mapped[Optional[str]] = mapped_column(String(1000), nullable=True)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    error_code: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    post: Mapped[Post] = relationship(back_populates="targets")
    account: Mapped[SocialAccount] = relationship()


class EngagementSnapshot(Base):
    __tablename__ = "engagement_snapshots"
    __table_args__ = (Index("ix_engagement_target_time", "target_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("post_targets.id"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    likes: Mapped[int] = mapped_column(Integer, default=0)
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)


class AuditEvent(Base):
    """Append-only record of who did what; posts and their history are public records."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    actor: Mapped[Optional[User]] = relationship()


class MediaAsset(Base):
    """An uploaded image, stored in the database so every worker on every machine can read it.

    Metadata (EXIF, GPS) is stripped on upload: a photo taken on the dispatch floor must not
    carry where or when it was taken.
    """

    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PostMedia(Base):
    __tablename__ = "post_media"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    media: Mapped[MediaAsset] = relationship(lazy="joined")


class CommunityReply(Base):
    """A reply or comment the public left on a published post: the thank-yous the dispatch
    floor otherwise never hears. Kept as fetched (public record), never edited."""

    __tablename__ = "community_replies"
    __table_args__ = (UniqueConstraint("target_id", "platform_reply_id"),
                      Index("ix_community_replies_created", "created_at"),
                      Index("ix_community_replies_agency_created", "agency_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("post_targets.id"))
    platform_reply_id: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # issue 9 feedback wall (migration 0012): classification, moderation, deletion on the platform
    agency_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    url: Mapped[Optional[str]] = mapped_column(String(1000), nullable=True)
    #: VADER compound score in [-1, 1] (content_queue.sentiment); None: not scored yet.
    sentiment: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    #: e.g. ["emergency"], ["phone", "address"] (content_queue.feedback).
    flags: Mapped[Optional[list]] = mapped_column(JSON, nullable=True, default=list)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Why it is hidden, in words an approver reads ("contains a phone number").
    hidden_reason: Mapped[Optional[str]] = mapped_column(String(300), nullable=True)
    #: "emergency" is in flags; a column too, so the wall can put these first in SQL.
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    highlighted: Mapped[bool] = mapped_column(Boolean, default=False)
    highlighted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    deleted_on_platform_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(),
                                                                       nullable=True)


class Notification(Base):
    """One thing a person must hear about (a post that failed, an account to reconnect…), one
    row per recipient: the row is that person's in-app notice and their e-mail. Rows of one
    event share ``group_key``; only one of them (``sends_webhook``) carries the agency webhook.
    See :mod:`content_queue.notifications`."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_delivery", "delivery_state", "created_at"),
        Index("ix_notifications_event", "agency_id", "event", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    post_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id"), nullable=True)
    target_id: Mapped[Optional[int]] = mapped_column(ForeignKey("post_targets.id"), nullable=True)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("social_accounts.id"),
                                                      nullable=True)
    group_key: Mapped[str] = mapped_column(String(36))
    sends_webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: pending → delivered | failed (e-mail and webhook, as far as they are configured)
    delivery_state: Mapped[str] = mapped_column(String(16), default="pending")
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    email_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    webhook_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: issue 9 feedback: the e-mail goes here instead of the user's (the agency's on_duty_email).
    email_to: Mapped[Optional[str]] = mapped_column(String(254), nullable=True)
    #: issue 11: the recipient had turned this event's e-mail off when it was delivered: the
    #: e-mail channel is not needed (the in-app notice and the agency webhook still are).
    email_muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    user: Mapped[User] = relationship()


class Pause(Base):
    """An incident pause: nothing more goes out on the accounts it covers until it is resumed
    (a line-of-duty death, a major incident). ``account_ids`` empty or None: the whole agency.
    See :mod:`content_queue.pauses`."""

    __tablename__ = "pauses"
    __table_args__ = (Index("ix_pauses_agency_active", "agency_id", "resumed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(Text)
    account_ids: Mapped[Optional[list]] = mapped_column(JSON, nullable=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the pause ends on its own (with ``held_mode`` "shift"), if it was given one.
    resume_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    resumed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    resumed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    #: What the resume did with the held targets: publish_now, shift or review.
    held_mode: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)

    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    resumed_by: Mapped[Optional[User]] = relationship(foreign_keys=[resumed_by_id])

    @property
    def whole_agency(self) -> bool:
        return not self.account_ids


# ---- issue 8 calendar, ICS feed, posting slots, recurring posts (migration 0008) ----
# (models of this area go below this line)


class PostingSlot(Base):
    """One weekly posting time of an account: weekday (0 = Monday) and a local "HH:MM"."""

    __tablename__ = "posting_slots"
    __table_args__ = (UniqueConstraint("account_id", "weekday", "time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id"))
    weekday: Mapped[int] = mapped_column(Integer)
    time: Mapped[str] = mapped_column(String(5))


class PostSeries(Base):
    """A recurring post: the RFC 5545 rule its occurrences (posts with ``series_id``) came from."""

    __tablename__ = "post_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    rule: Mapped[str] = mapped_column(String(500))
    #: The first occurrence's local wall time ("YYYY-MM-DDTHH:MM"), kept so edits keep it.
    local_start: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---- issue 8 approvals: comments, review links, versions, approval rules (migration 0009) ----
# (models of this area go below this line)


class PostComment(Base):
    """One message in a post's thread: an approver's or the author's comment, or the words that
    came with a decision (``kind`` approved / rejected). ``author_name`` is the named person of a
    review link when no user wrote it. Kept as written (public record)."""

    __tablename__ = "post_comments"
    __table_args__ = (Index("ix_post_comments_post", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    author_name: Mapped[str] = mapped_column(String(200))
    #: comment, approved or rejected
    kind: Mapped[str] = mapped_column(String(16), default="comment")
    body: Mapped[str] = mapped_column(Text, default="")
    review_link_id: Mapped[Optional[int]] = mapped_column(ForeignKey("review_links.id"),
                                                          nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[Optional[User]] = relationship()


class ReviewLink(Base):
    """A signed link that lets one named person without an account (the center's director)
    approve or send back one post. Only a SHA-256 of the link's secret part is stored; the
    link works until it is used, expires or is revoked (see :mod:`content_queue.review_links`)."""

    __tablename__ = "review_links"
    __table_args__ = (Index("ix_review_links_post", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    #: The person the link was made for ("Director Ruiz"): their decision is recorded so.
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: approved or rejected, once used
    decision: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)

    post: Mapped[Post] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class PostVersion(Base):
    """A post's text, accounts and time as they were after one edit (``number`` 1 is the post as
    first written): who changed it, when, and which of the three changed
    (see :mod:`content_queue.versions`)."""

    __tablename__ = "post_versions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    #: [{"account_id", "platform", "handle"}] of the targets still meant to publish
    targets: Mapped[list] = mapped_column(JSON, default=list)
    scheduled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: which of "text", "targets", "scheduled_at" differ from the version before
    changed: Mapped[list] = mapped_column(JSON, default=list)
    edited_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    edited_by: Mapped[Optional[User]] = relationship()


# ---- issue 8 compose: per-platform variants, account limits, templates, media library, import (migration 0010) ----
# (models of this area go below this line)


class PostVariant(Base):
    """The text one platform gets instead of the post's main text (see
    :mod:`content_queue.variants`)."""

    __tablename__ = "post_variants"
    __table_args__ = (UniqueConstraint("post_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    platform: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    post: Mapped[Post] = relationship(backref=backref(
        "variants", order_by="PostVariant.platform", cascade="all, delete-orphan"))


class PostTemplate(Base):
    """A reusable text with ``{fields}`` (see :mod:`content_queue.post_templates`)."""

    __tablename__ = "post_templates"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---- issue 9 engagement: poll schedule and dashboard (migration 0011) ----
# (models of this area go below this line)


class EngagementPoll(Base):
    """Where one published target is in its engagement poll schedule (+1 h, +24 h, +7 d, +30 d
    after publishing; see :mod:`content_queue.engagement_schedule`). ``next_poll_at`` is when it
    is next due (a checkpoint, or a retry after a failed poll); ``None`` once the schedule is
    done. A failed poll is counted here and never touches the target's status."""

    __tablename__ = "engagement_polls"
    __table_args__ = (Index("ix_engagement_polls_account_due", "account_id", "next_poll_at"),
                      Index("ix_engagement_polls_due", "next_poll_at"))

    target_id: Mapped[int] = mapped_column(ForeignKey("post_targets.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    #: Checkpoints answered so far (a late poll answers every checkpoint it is late for).
    polls_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Failed polls since the last one that worked (the retry backs off with it).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)


# ---- issue 9 feedback wall: sentiment, flags, hide/highlight, emergencies (migration 0012) ----
# (models of this area go below this line)


# ---- issue 10 campaign kits, consent records, archive exports (migration 0013) ----
# (models of this area go below this line)


class KitRun(Base):
    """A campaign started from a campaign kit (:mod:`content_queue.kits`): which kit, with
    which filled fields, so every draft it made can be traced back to it."""

    __tablename__ = "kit_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    kit_id: Mapped[str] = mapped_column(String(64))
    kit_name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The day the kit's day offsets count from (NPSTW: the week's Sunday).
    anchor_date: Mapped[date] = mapped_column(Date)
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KitPost(Base):
    """A draft a kit made: which of the kit's posts it is, its filled per-platform variants and
    image alt-text prompts, and whether a person's consent must be recorded before approval."""

    __tablename__ = "kit_posts"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("kit_runs.id"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    requires_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    variants: Mapped[dict] = mapped_column(JSON, default=dict)
    image_prompts: Mapped[list] = mapped_column(JSON, default=list)


class Consent(Base):
    """A person's consent to use their name and/or photo in a post: who gave it, when and for
    what, and who recorded it. Kept as recorded (a public record of the agency's diligence)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_post", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    #: The person named or shown in the post.
    person_name: Mapped[str] = mapped_column(String(200))
    #: Who gave the consent: the person, or e.g. a parent or guardian.
    given_by: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    covers_name: Mapped[bool] = mapped_column(Boolean, default=True)
    covers_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    recorded_by: Mapped[User] = relationship()


class TargetDeletion(Base):
    """A published post deleted on its platform. The post, its target and its history stay:
    a deletion is recorded, never an erasure (public records)."""

    __tablename__ = "target_deletions"
    __table_args__ = (Index("ix_target_deletions_target", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("post_targets.id"))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---- issue 10 sensitive-information guard and agency footer (migration 0014) ----
# (models of this area go below this line)


class GuardOverride(Base):
    """An approver let a post through the sensitive-information guard, in writing. It covers
    the post's exact texts (``fingerprint``: text, variants and alt texts); any edit needs a
    new override. Kept as written (audited)."""

    __tablename__ = "guard_overrides"
    __table_args__ = (Index("ix_guard_overrides_post", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    justification: Mapped[str] = mapped_column(Text)
    #: What the guard found in the texts when the override was written.
    findings: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    created_by: Mapped[User] = relationship()


# ---- issue 11 users, sessions, tokens, agencies, single sign-on (migration 0015) ----
# (models of this area go below this line)

