"""X (API v2) through tweepy 4.17: posts, threads, images with alt text, metrics, replies.

Credentials (``content_queue.accounts.CREDENTIAL_FORMS["x"]``), either
  OAuth 1.0a user keys: ``consumer_key, consumer_secret, access_token, access_token_secret``
  OAuth 2.0 user token: ``client_id, access_token, refresh_token`` (+ ``client_secret`` for a
  confidential client, ``expires_at`` ISO 8601). An expired token (or a 401) is refreshed
  once per connector; the new tokens are on ``refreshed_credentials`` for the worker to store.

tweepy has no v2 media upload, so images go through ``POST /2/media/upload`` (one-shot
multipart, ``media_category=tweet_image``) and alt text through ``POST /2/media/metadata``,
sent on tweepy's own session with the same auth. ``wait_on_rate_limit`` stays off: a worker
must hear about a 429 (``RateLimited``) instead of sleeping inside tweepy.
The OAuth connect flow is in ``connectors.x_oauth`` (re-exported here for ``linking``).
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence, TypeVar

import requests
import tweepy

from connectors._http import parse_utc
from connectors.x_oauth import credentials_from, oauth_finish, oauth_start, parse_expiry, token_request
from connectors.x_transport import X_API, map_error, mount_transport, raise_for_status
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
    RecentPost,
    Reply,
    RuleViolation,
)

__all__ = ["XConnector", "build", "oauth_start", "oauth_finish"]

log = logging.getLogger("tenfour.connectors.x")

OAUTH1_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
OAUTH2_KEYS = ("client_id", "access_token", "refresh_token")
PERMALINK_BASE = "https://x.com"
REFRESH_MARGIN = timedelta(seconds=60)
MAX_IDS = 100
MAX_REPLY_PAGES = 5
T = TypeVar("T")


def plain_text(tweet: Mapping[str, Any]) -> str:
    """The text as the PIO wrote it: t.co links expanded, the media link dropped, unescaped.

    X answers with every link shortened to t.co, a t.co link to the photos appended, and
    ``& < >`` HTML-escaped; reconciliation compares this with the queued text.
    """
    text = tweet.get("text", "")
    dropped_media = False
    for url in (tweet.get("entities") or {}).get("urls", []):
        if url.get("media_key"):
            text = text.replace(url["url"], "")
            dropped_media = True
        else:
            text = text.replace(url["url"], url.get("expanded_url") or url["url"])
    text = html.unescape(text)
    return text.rstrip() if dropped_media else text


class XConnector:
    platform = "x"

    def __init__(self, *, handle: str, credentials: Mapping[str, str],
                 api_base_url: str | None = None) -> None:
        self.handle = handle.lstrip("@")
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self.refreshed_credentials: dict | None = None
        self._credentials = dict(credentials)
        self._user_id: str | None = None
        self._refreshed = False
        if all(credentials.get(k) for k in OAUTH1_KEYS):
            self._oauth1 = True
            self.client = tweepy.Client(
                consumer_key=credentials["consumer_key"],
                consumer_secret=credentials["consumer_secret"],
                access_token=credentials["access_token"],
                access_token_secret=credentials["access_token_secret"],
                return_type=dict, wait_on_rate_limit=False)
        elif all(credentials.get(k) for k in OAUTH2_KEYS):
            self._oauth1 = False
            self.client = tweepy.Client(bearer_token=credentials["access_token"],
                                        return_type=dict, wait_on_rate_limit=False)
        else:
            raise AuthExpired("X: the stored credentials are incomplete; reconnect the account.")
        mount_transport(self.client.session, self.api_base_url)

    # -- the port ----------------------------------------------------------------------------

    def check(self, request: PublishRequest) -> list[RuleViolation]:
        media = [MediaFacts(m.mime_type, len(m.data), m.alt_text) for m in request.media]
        problems = check_post(self.platform, request.text, media)
        for number, text in enumerate(request.thread, start=2):
            for p in check_post(self.platform, text):
                message = p.message.replace("X: ", f"X (post {number} of the thread): ", 1)
                problems.append(RuleViolation(p.platform, p.rule, message))
        if any(m.mime_type == "image/gif" for m in request.media):
            problems.append(RuleViolation(
                self.platform, "image_type",
                "X: GIFs cannot be posted yet (X takes them only through its chunked video "
                "upload); use a PNG or JPEG image."))
        return problems

    def verify(self) -> AccountInfo:
        me = self._me()
        expires = None if self._oauth1 else parse_expiry(self._credentials.get("expires_at"))
        return AccountInfo(handle=me["username"], display_name=me.get("name", ""),
                           token_expires_at=expires)

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.check(request)
        if problems:
            raise Permanent(" ".join(p.message for p in problems), reason=problems[0].rule)
        media_ids = [self._upload(number, item) for number, item in enumerate(request.media, 1)]
        body = self._api(lambda: self.client.create_tweet(
            text=request.text or None, media_ids=media_ids or None, user_auth=self._oauth1),
            sends_post=True)
        post_id = str(body["data"]["id"])
        published_at = datetime.now(timezone.utc)
        return PublishResult(platform_post_id=post_id, permalink=self._permalink(post_id),
                             published_at=published_at,
                             thread_post_ids=self._reply_chain(post_id, request.thread))

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]:
        user_id = self._my_id()
        posts: list[RecentPost] = []
        token: str | None = None
        while len(posts) < limit:
            params: dict[str, Any] = {
                "max_results": min(100, max(5, limit - len(posts))),
                "tweet_fields": ["created_at", "entities"], "user_auth": self._oauth1}
            if since is not None:
                params["start_time"] = since
            if token:
                params["pagination_token"] = token
            body = self._api(lambda: self.client.get_users_tweets(user_id, **params))
            posts.extend(RecentPost(t["id"], plain_text(t), self._permalink(t["id"]),
                                    parse_utc(t["created_at"])) for t in body.get("data") or [])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return posts[:limit]

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]:
        ids = [str(i) for i in platform_post_ids]
        out: list[Metrics] = []
        for start in range(0, len(ids), MAX_IDS):
            batch = ids[start:start + MAX_IDS]
            body = self._api(lambda: self.client.get_tweets(
                batch, tweet_fields=["public_metrics"], user_auth=self._oauth1))
            for tweet in body.get("data") or []:  # deleted posts come back under "errors"
                m = tweet.get("public_metrics") or {}
                out.append(Metrics(
                    tweet["id"], likes=m.get("like_count", 0),
                    reposts=m.get("retweet_count", 0) + m.get("quote_count", 0),
                    replies=m.get("reply_count", 0), impressions=m.get("impression_count")))
        return out

    def fetch_replies(self, platform_post_id: str) -> list[Reply]:
        """Others' replies in the post's conversation (X's recent search: the last 7 days)."""
        own_id = self._my_id()
        replies: list[Reply] = []
        token: str | None = None
        for _ in range(MAX_REPLY_PAGES):
            params: dict[str, Any] = {
                "max_results": 100, "expansions": ["author_id"], "user_fields": ["username"],
                "tweet_fields": ["author_id", "created_at", "conversation_id", "entities"],
                "user_auth": self._oauth1}
            if token:
                params["next_token"] = token
            body = self._api(lambda: self.client.search_recent_tweets(
                f"conversation_id:{platform_post_id}", **params))
            names = {u["id"]: u["username"] for u in (body.get("includes") or {}).get("users", [])}
            replies.extend(
                Reply(t["id"], platform_post_id, names.get(t.get("author_id"), t.get("author_id", "")),
                      plain_text(t), parse_utc(t["created_at"]))
                for t in body.get("data") or [] if t.get("author_id") != own_id)
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return sorted(replies, key=lambda r: r.created_at)

    # -- publishing steps ----------------------------------------------------------------------

    def _upload(self, number: int, item: MediaItem) -> str:
        files = {"media": (item.filename, item.data, item.mime_type)}
        form = {"media_category": "tweet_image", "media_type": item.mime_type}
        try:
            body = self._api(lambda: raise_for_status(self.client.session.post(
                f"{X_API}/2/media/upload", files=files, data=form, **self._auth())).json())
            media_id = str(body["data"]["id"])
            self._api(lambda: raise_for_status(self.client.session.post(
                f"{X_API}/2/media/metadata", **self._auth(),
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}})))
        except Permanent as error:
            raise Permanent(f"{error.message} (image {number})", reason="invalid_media") from error
        return media_id

    def _reply_chain(self, root_id: str, texts: Sequence[str]) -> list[str]:
        """Post the thread under ``root_id``; the root is already public, so a failing part
        ends the chain (logged) instead of failing the publish and inviting a re-post."""
        ids: list[str] = []
        parent = root_id
        for number, text in enumerate(texts, start=2):
            try:
                body = self._api(lambda: self.client.create_tweet(
                    text=text, in_reply_to_tweet_id=parent, user_auth=self._oauth1),
                    sends_post=True)
            except ConnectorError as error:
                log.warning("X thread stopped at post %s: %s", number, error.message,
                            extra={"platform": self.platform, "platform_post_id": root_id})
                break
            parent = str(body["data"]["id"])
            ids.append(parent)
        return ids

    # -- plumbing -------------------------------------------------------------------------------

    def _permalink(self, post_id: str) -> str:
        return f"{self.api_base_url or PERMALINK_BASE}/{self.handle}/status/{post_id}"

    def _me(self) -> dict[str, Any]:
        me = self._api(lambda: self.client.get_me(user_auth=self._oauth1))["data"]
        self._user_id = str(me["id"])
        return me

    def _my_id(self) -> str:
        if self._user_id is None:
            prefix = self._credentials["access_token"].split("-", 1)[0]
            # X's OAuth 1.0a access tokens start with the user's id: no call needed.
            self._user_id = prefix if self._oauth1 and prefix.isdigit() else str(self._me()["id"])
        return self._user_id

    def _auth(self) -> dict[str, Any]:
        """Auth for requests the connector sends itself (tweepy signs its own)."""
        if self._oauth1:
            handler = tweepy.OAuth1UserHandler(
                self._credentials["consumer_key"], self._credentials["consumer_secret"],
                self._credentials["access_token"], self._credentials["access_token_secret"])
            return {"auth": handler.apply_auth()}
        return {"headers": {"Authorization": f"Bearer {self._credentials['access_token']}"}}

    def _api(self, call: Callable[[], T], *, sends_post: bool = False) -> T:
        """Run one request; with OAuth 2.0, renew an expiring token first and once on a 401."""
        self._refresh_if_expiring()
        try:
            return call()
        except tweepy.Unauthorized as exc:
            if self._oauth1 or self._refreshed:
                raise map_error(exc) from exc
            self._refresh()
        except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
            raise map_error(exc, sends_post=sends_post) from exc
        try:
            return call()
        except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
            raise map_error(exc, sends_post=sends_post) from exc

    def _refresh_if_expiring(self) -> None:
        if self._oauth1 or self._refreshed:
            return
        expires = parse_expiry(self._credentials.get("expires_at"))
        if expires is not None and expires - REFRESH_MARGIN <= datetime.now(timezone.utc):
            self._refresh()

    def _refresh(self) -> None:
        self._refreshed = True
        client = {k: self._credentials[k] for k in ("client_id", "client_secret")
                  if self._credentials.get(k)}
        tokens = token_request(self.client.session, client, {
            "grant_type": "refresh_token", "refresh_token": self._credentials["refresh_token"]})
        self._credentials = credentials_from(tokens, client, previous=self._credentials)
        self.client.bearer_token = self._credentials["access_token"]
        self.refreshed_credentials = dict(self._credentials)
        log.info("X access token renewed", extra={"platform": self.platform})


def build(*, handle: str, credentials: Mapping[str, str], api_base_url: str | None) -> XConnector:
    return XConnector(handle=handle, credentials=credentials, api_base_url=api_base_url)
