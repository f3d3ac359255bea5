"""The connector port: what the domain needs from a social platform, and the errors it may raise.

Every connector (``connectors/<platform>.py``) implements :class:`PlatformConnector` and maps its
client library's exceptions into the five errors below, so workers decide retry / fail /
reconnect / reconcile the same way for every platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class MediaItem:
    """One image to attach: its bytes, MIME type and alt text (required by policy)."""

    data: bytes
    mime_type: str
    alt_text: str
    filename: str = "image"
    #: A public URL serving these bytes, for platforms that fetch images themselves (Instagram).
    url: str | None = None


@dataclass(frozen=True)
class PublishRequest:
    text: str
    media: Sequence[MediaItem] = ()
    #: Stable per target and attempt series; platforms that support it de-duplicate on it.
    idempotency_key: str | None = None
    #: Further posts to chain as a thread (or the first comment where the platform has one).
    thread: Sequence[str] = ()


@dataclass(frozen=True)
class PublishResult:
    platform_post_id: str
    permalink: str
    published_at: datetime
    thread_post_ids: Sequence[str] = ()


@dataclass(frozen=True)
class RecentPost:
    platform_post_id: str
    text: str
    permalink: str
    created_at: datetime


@dataclass(frozen=True)
class Metrics:
    platform_post_id: str
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    impressions: int | None = None


@dataclass(frozen=True)
class Reply:
    platform_reply_id: str
    platform_post_id: str
    author: str
    text: str
    created_at: datetime
    #: issue 9 feedback: the reply's own link when the platform gives one (else the post's).
    url: str | None = None


@dataclass(frozen=True)
class AccountInfo:
    handle: str
    display_name: str = ""
    token_expires_at: datetime | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RuleViolation:
    """A platform rule a post breaks, in words a PIO understands."""

    platform: str
    rule: str
    message: str


# --- the error taxonomy ----------------------------------------------------------------------


class ConnectorError(Exception):
    """Base class; ``message`` is shown to PIOs, ``code`` goes into the API."""

    code = "connector_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(ConnectorError):
    code = "rate_limited"

    def __init__(self, message: str, retry_at: datetime | None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Transient(ConnectorError):
    """Worth retrying with backoff (5xx, timeouts before the request was sent)."""

    code = "transient"


class Permanent(ConnectorError):
    """Retrying will not help (content refused, duplicate, invalid media)."""

    code = "permanent"

    def __init__(self, message: str, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


class AuthExpired(ConnectorError):
    """The token was revoked or expired; the account must be reconnected."""

    code = "auth_expired"


class UnknownOutcome(ConnectorError):
    """The request may have been accepted (connection dropped after sending)."""

    code = "unknown_outcome"


@runtime_checkable
class PlatformConnector(Protocol):
    """One account on one platform.

    ``refreshed_credentials`` is None unless the connector renewed its tokens while working
    (X's OAuth 2.0 refresh); the caller then stores the new credentials, re-encrypted.
    """

    platform: str
    refreshed_credentials: dict | None

    def check(self, request: PublishRequest) -> list[RuleViolation]: ...

    def verify(self) -> AccountInfo: ...

    def publish(self, request: PublishRequest) -> PublishResult: ...

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]: ...

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]: ...

    def fetch_replies(self, platform_post_id: str) -> list[Reply]: ...


# --- connecting accounts (OAuth and app passwords) -------------------------------------------


@dataclass(frozen=True)
class AuthorizeStart:
    """The first leg of an OAuth flow: where to send the browser, and what to remember.

    ``secrets`` (PKCE verifier, OAuth 1.0a request-token secret, a Mastodon app's client
    secret …) are kept server-side in the signed session and handed back to ``finish``.
    """

    url: str
    state: str
    secrets: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LinkedAccount:
    """An account the user may connect after authorizing (Facebook offers one per Page)."""

    platform: str
    handle: str
    display_name: str
    credentials: dict
    api_base_url: str | None = None
    token_expires_at: datetime | None = None
    #: The account's own limits, when its platform has them per account (issue 8:
    #: ``max_characters`` of a Mastodon instance).
    limits: dict = field(default_factory=dict)


class AccountLinker(Protocol):
    """What the web app needs to connect accounts; implemented by ``connectors.linking``."""

    def oauth_start(self, platform: str, *, redirect_uri: str, api_base_url: str | None,
                    instance_url: str | None = None) -> AuthorizeStart: ...

    def oauth_finish(self, platform: str, *, callback_params: dict, start: AuthorizeStart,
                     redirect_uri: str, api_base_url: str | None) -> list[LinkedAccount]: ...

    def verify(self, platform: str, *, handle: str, credentials: dict,
               api_base_url: str | None) -> AccountInfo: ...
