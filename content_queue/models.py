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
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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
                      Index("ix_community_replies_created", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("post_targets.id"))
    platform_reply_id: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
