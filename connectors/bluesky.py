"""Bluesky through atproto 0.0.73 (httpx): one account, signed in with an app password.

Credentials (``content_queue.accounts.CREDENTIAL_FORMS``): ``identifier`` (handle, email or DID)
and ``app_password``. ``api_base_url`` is the account's PDS (default ``https://bsky.social``);
atproto appends ``/xrpc``. There is no OAuth here: app passwords are entered by an admin.

Sessions: ``createSession`` is rate-limited per account (30 per 5 minutes, 300 per day), so a
connector signs in once and every connector of the same account in this process reuses the
session (kept in memory only, never stored). An expired access JWT is normal: the connector
refreshes it (``refreshSession``), then signs in again with the app password, and reports
``AuthExpired`` only when the app password itself is refused. App passwords never change, so
``refreshed_credentials`` stays None.

Rules checked before any request: ``check_post`` (300 graphemes, 4 images ≤ 2,000,000 bytes,
alt text) plus the lexicon's 3,000-byte cap on the text, which ``check_post`` does not know.
Links, hashtags and mentions become facets with UTF-8 byte offsets (atproto's ``detect_facets``),
otherwise Bluesky shows them as plain text.
"""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence, TypeVar
from urllib.parse import urlparse

import httpx
from atproto import Client, models
from atproto_client import exceptions as at_errors
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from connectors._http import parse_utc
from content_queue.platforms import MediaFacts, check_post
from content_queue.ports import (
    AccountInfo,
    AuthExpired,
    ConnectorError,
    MediaItem,
    Metrics,
    Permanent,
    PublishRequest,
    PublishResult,
    RateLimited,
    RecentPost,
    Reply,
    RuleViolation,
    Transient,
    UnknownOutcome,
)

LABEL = "Bluesky"
DEFAULT_PDS = "https://bsky.social"
WEB = "https://bsky.app"
GET_POSTS_BATCH = 25
FEED_PAGE = 100
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})

T = TypeVar("T")

#: (pds, identifier, password hash) -> exported session string; shared by this process's connectors.
_SESSIONS: dict[tuple[str, str, str], str] = {}
_SESSIONS_LOCK = threading.Lock()


class _AuthRejected(Exception):
    """The PDS refused the session's token: refresh or sign in again, then retry once."""


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _error_name(error: at_errors.RequestErrorBase) -> tuple[str, str]:
    content = error.response.content if error.response is not None else None
    name = getattr(content, "error", None) or ""
    message = getattr(content, "message", None) or name or str(error)
    return str(name), str(message)


def _web_base(api_base_url: str | None) -> str:
    """Permalinks live on bsky.app, whatever the PDS; a PDS URL with a path is the simulator,
    which serves the same ``/profile/<handle>/post/<rkey>`` pages under itself."""
    if api_base_url and urlparse(api_base_url).path.strip("/"):
        return api_base_url.rstrip("/")
    return WEB


def _aspect_ratio(item: MediaItem) -> Any:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(item.data)) as image:
            width, height = image.size
    except Exception:  # an unreadable image still posts; the app then guesses the shape
        return None
    return models.AppBskyEmbedDefs.AspectRatio(width=width, height=height)


class BlueskyConnector:
    platform = "bluesky"
    refreshed_credentials = None

    def __init__(self, *, handle: str, credentials: Mapping[str, str], api_base_url: str | None = None,
                 client: Client | None = None) -> None:
        self.handle = handle
        self.identifier = credentials["identifier"].strip().lstrip("@")
        self._password = credentials["app_password"]
        self.pds = (api_base_url or DEFAULT_PDS).rstrip("/")
        self.web = _web_base(api_base_url)
        self.client = client or Client(base_url=self.pds, request=Request(timeout=TIMEOUT))
        self._cache_key = (self.pds, self.identifier.lower(),
                           hashlib.sha256(self._password.encode()).hexdigest())
        self._signed_in = False
        self.client.on_session_change(self._remember)

    # -- the port --------------------------------------------------------------------------

    def check(self, request: PublishRequest) -> list[RuleViolation]:
        media = [MediaFacts(m.mime_type, len(m.data), m.alt_text) for m in request.media]
        problems = check_post(self.platform, request.text, media)
        for n, text in enumerate(request.thread, start=1):
            for problem in check_post(self.platform, text):
                problems.append(RuleViolation(problem.platform, problem.rule, f"{problem.message} (thread post {n})"))
        return problems

    def verify(self) -> AccountInfo:
        did, handle = self._identity()
        profile = self._call(lambda: self.client.get_profile(did))
        return AccountInfo(handle=profile.handle or handle, display_name=profile.display_name or handle,
                           extra={"did": did})

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.check(request)
        if problems:
            raise Permanent(" ".join(p.message for p in problems), reason=problems[0].rule)
        did, handle = self._identity()
        embed = self._images(request.media)
        root, created_at = self._post(did, request.text, embed=embed)
        thread_ids: list[str] = []
        parent = root
        for n, text in enumerate(request.thread, start=1):
            try:
                parent, _ = self._post(did, text, reply_to=models.AppBskyFeedPost.ReplyRef(
                    root=models.create_strong_ref(root), parent=models.create_strong_ref(parent)))
            except ConnectorError as error:
                # Retrying the whole publish would post the first part twice (Bluesky has no
                # idempotency key); the worker reconciles and finds the first post instead.
                raise UnknownOutcome(f"{LABEL} published the first post but stopped at thread post {n}: "
                                     f"{error.message}") from error
            thread_ids.append(parent.uri)
        return PublishResult(platform_post_id=root.uri, permalink=self._permalink(handle, root.uri),
                             published_at=parse_utc(created_at), thread_post_ids=thread_ids)

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]:
        did, handle = self._identity()
        found: list[RecentPost] = []
        cursor: str | None = None
        while len(found) < limit:
            page = self._call(lambda: self.client.get_author_feed(
                actor=did, cursor=cursor, filter="posts_with_replies", limit=min(FEED_PAGE, limit - len(found))))
            for item in page.feed:
                if item.reason is not None or item.post.author.did != did:
                    continue  # a repost of someone else's post
                created = parse_utc(getattr(item.post.record, "created_at", None) or item.post.indexed_at)
                if since is not None and created < since:
                    return found
                found.append(RecentPost(item.post.uri, getattr(item.post.record, "text", ""),
                                        self._permalink(handle, item.post.uri), created))
            cursor = page.cursor
            if not cursor or not page.feed:
                break
        return found[:limit]

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]:
        uris = list(dict.fromkeys(platform_post_ids))
        out: list[Metrics] = []
        for start in range(0, len(uris), GET_POSTS_BATCH):
            chunk = uris[start:start + GET_POSTS_BATCH]
            answer = self._call(lambda: self.client.get_posts(chunk))
            # A quote is a repost with a comment; Metrics has one "reposts" count for both.
            out.extend(Metrics(p.uri, likes=p.like_count or 0,
                               reposts=(p.repost_count or 0) + (p.quote_count or 0),
                               replies=p.reply_count or 0) for p in answer.posts)
        return out

    def fetch_replies(self, platform_post_id: str) -> list[Reply]:
        """Replies by others anywhere under the post (the account's own thread parts excluded)."""
        did, _ = self._identity()
        answer = self._call(lambda: self.client.get_post_thread(platform_post_id, depth=10, parent_height=0))
        replies: list[Reply] = []
        pending = list(getattr(answer.thread, "replies", None) or [])
        while pending:
            node = pending.pop(0)
            post = getattr(node, "post", None)
            if post is None:  # not found / blocked / deleted
                continue
            if post.author.did != did:
                replies.append(Reply(post.uri, platform_post_id, post.author.handle,
                                     getattr(post.record, "text", ""),
                                     parse_utc(getattr(post.record, "created_at", None) or post.indexed_at)))
            pending.extend(getattr(node, "replies", None) or [])
        return sorted(replies, key=lambda r: r.created_at)

    # -- posting ---------------------------------------------------------------------------

    def _images(self, media: Sequence[MediaItem]) -> Any:
        if not media:
            return None
        images = []
        for item in media:
            uploaded = self._call(lambda: self.client.com.atproto.repo.upload_blob(
                item.data, headers={"Content-Type": item.mime_type}))
            images.append(models.AppBskyEmbedImages.Image(alt=item.alt_text, image=uploaded.blob,
                                                          aspect_ratio=_aspect_ratio(item)))
        return models.AppBskyEmbedImages.Main(images=images)

    def _post(self, did: str, text: str, *, embed: Any = None, reply_to: Any = None) -> tuple[Any, str]:
        """Create one post record; returns its reference (uri, cid) and its ``createdAt``."""
        facets = self._call(lambda: self.client.detect_facets(text)) if text else []
        created_at = self.client.get_current_time_iso()
        record = models.AppBskyFeedPost.Record(text=text, created_at=created_at, facets=facets or None,
                                               embed=embed, reply=reply_to, langs=["en"])
        return self._call(lambda: self.client.app.bsky.feed.post.create(did, record), sends_post=True), created_at

    def _permalink(self, handle: str, uri: str) -> str:
        return f"{self.web}/profile/{handle}/post/{_rkey(uri)}"

    # -- sessions --------------------------------------------------------------------------

    def _remember(self, event: Any, session: Any) -> None:
        with _SESSIONS_LOCK:
            _SESSIONS[self._cache_key] = session.export()

    def _forget(self) -> None:
        with _SESSIONS_LOCK:
            _SESSIONS.pop(self._cache_key, None)

    def _identity(self) -> tuple[str, str]:
        self._ensure_session()
        session = self.client._session
        assert session is not None
        return session.did, session.handle

    def _ensure_session(self) -> None:
        if self._signed_in:
            return
        with _SESSIONS_LOCK:
            cached = _SESSIONS.get(self._cache_key)
        if cached:
            self.client.login(session_string=cached, fetch_bsky_profile=False)  # no request
        else:
            self._sign_in()
        self._signed_in = True

    def _sign_in(self) -> None:
        """``createSession`` with the app password; refusal means the account must be reconnected."""
        self._forget()
        try:
            self._mapped(lambda: self.client.login(self.identifier, self._password, fetch_bsky_profile=False))
        except _AuthRejected as rejected:
            raise AuthExpired(f"{LABEL} refused the app password for {self.identifier} ({rejected}); it may "
                              "have been revoked. Create a new app password and reconnect the account.") from None
        except Permanent as error:
            raise AuthExpired(f"{LABEL} would not sign in {self.identifier}: {error.message}") from error

    def _renew(self) -> None:
        """Refresh the session; if the refresh token is refused too, sign in again."""
        try:
            self._mapped(self.client._refresh_and_set_session)  # what atproto itself calls near expiry
        except _AuthRejected:
            self._sign_in()

    def _call(self, fn: Callable[[], T], *, sends_post: bool = False) -> T:
        self._ensure_session()
        try:
            return self._mapped(fn, sends_post=sends_post)
        except _AuthRejected:
            self._renew()  # an auth refusal happens before the record is written: retrying is safe
        try:
            return self._mapped(fn, sends_post=sends_post)
        except _AuthRejected as rejected:
            self._forget()
            raise AuthExpired(f"{LABEL} refused the session even after signing in again ({rejected}).") from None

    def _mapped(self, fn: Callable[[], T], *, sends_post: bool = False) -> T:
        """Run one atproto call; its exceptions become the port's taxonomy (or ``_AuthRejected``)."""
        try:
            return fn()
        except at_errors.RateLimitExceededError as error:
            retry_at = error.reset_at
            if retry_at is None and error.retry_after is not None:
                retry_at = datetime.now(timezone.utc) + timedelta(seconds=error.retry_after)
            when = f" until {retry_at:%H:%M:%S} UTC" if retry_at else ""
            raise RateLimited(f"{LABEL} is rate-limiting this account{when}.", retry_at) from error
        except at_errors.UnauthorizedError as error:
            name, message = _error_name(error)
            if error.response is not None and error.response.status_code == 401:
                raise _AuthRejected(f"{name}: {message}") from error
            raise Permanent(f"{LABEL} refused: {message}", reason=name or "forbidden") from error
        except at_errors.BadRequestError as error:
            name, message = _error_name(error)
            if name in AUTH_ERRORS:
                raise _AuthRejected(f"{name}: {message}") from error
            raise Permanent(f"{LABEL} refused the post: {message}", reason=name or "invalid_request") from error
        except at_errors.NetworkError as error:  # includes InvokeTimeoutError; 409/413/502 answers too
            raise self._network(error.__cause__, error.response, sends_post) from error
        except at_errors.RequestException as error:
            name, message = _error_name(error)
            status = error.response.status_code if error.response is not None else 0
            if status >= 500:
                raise Transient(f"{LABEL} had a server error ({status}).") from error
            raise Permanent(f"{LABEL} refused the request: {message}", reason=name or f"http_{status}") from error
        except at_errors.LoginRequiredError as error:
            raise _AuthRejected("no session") from error
        except httpx.TransportError as error:  # e.g. RemoteProtocolError, which atproto does not wrap
            raise self._network(error, None, sends_post) from error
        except AtProtocolError as error:  # an answer atproto could not read
            if sends_post:
                raise UnknownOutcome(f"{LABEL} gave an unreadable answer to the post; it may have been "
                                     "published.") from error
            raise Transient(f"{LABEL} gave an answer Tenfour could not read ({error.__class__.__name__}).") from error

    def _network(self, cause: BaseException | None, response: Any, sends_post: bool) -> ConnectorError:
        if response is not None:
            if response.status_code == 413:
                return Permanent(f"{LABEL} refused the upload as too large.", reason="too_large")
            if response.status_code == 409:
                return Permanent(f"{LABEL} refused the write as conflicting.", reason="conflict")
            return Transient(f"{LABEL} had a gateway error ({response.status_code}).")
        if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return Transient(f"{LABEL} ({self.pds}) could not be reached.")
        if sends_post:
            return UnknownOutcome(f"{LABEL} dropped the connection after the post was sent; it may have been "
                                  "published.")
        return Transient(f"{LABEL} did not answer ({cause.__class__.__name__ if cause else 'network error'}).")


def build(*, handle: str, credentials: Mapping[str, str], api_base_url: str | None) -> BlueskyConnector:
    return BlueskyConnector(handle=handle, credentials=credentials, api_base_url=api_base_url)
