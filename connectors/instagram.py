"""Instagram professional accounts through the Instagram Graph API (Facebook Login).

Credentials: ``ig_user_id``, ``access_token`` (the linked Page's token). OAuth ``client`` keys:
``app_id``, ``app_secret`` — the same Facebook Login as ``connectors.facebook``, keeping only
the Instagram accounts.

Publishing is container based: create a container per image (Instagram downloads the image
from a public URL itself), a ``CAROUSEL`` container for 2–10 images, wait until the container is
``FINISHED``, then ``media_publish``. So every image needs a public URL: ``MediaItem.url``
(workers set it from ``PUBLIC_BASE_URL``), or ``media_host(item) -> url`` given to the
constructor (tests); without one the post is refused before any request.

Plain ``requests`` rather than facebook-sdk: the sdk has no Instagram helpers, hides the HTTP
status and headers (needed for rate-limit timing and to tell a dropped publish from a refused
one) and would need the same version workaround; the Graph error mapping is shared with the
Facebook connector (``graph_common``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

import requests

from connectors import facebook as facebook_login
from connectors._http import TIMEOUT, parse_utc
from connectors.graph_common import (
    graph_base,
    map_graph_error,
    publicly_reachable,
    transport_error,
    versioned_base,
)
from content_queue.platforms import MediaFacts, check_post
from content_queue.ports import (
    AccountInfo,
    AuthorizeStart,
    ConnectorError,
    LinkedAccount,
    MediaItem,
    Metrics,
    Permanent,
    PublishRequest,
    PublishResult,
    RecentPost,
    Reply,
    RuleViolation,
    Transient,
    UnknownOutcome,
)

log = logging.getLogger("tenfour.connectors.instagram")

LABEL = "Instagram"
PERMISSION_HINT = "instagram_content_publish"
BATCH = 50
MediaHost = Callable[[MediaItem], str]


class InstagramConnector:
    platform = "instagram"
    refreshed_credentials = None

    def __init__(self, *, handle: str, credentials: Mapping[str, str], api_base_url: str | None = None,
                 session: requests.Session | None = None, media_host: MediaHost | None = None,
                 poll_interval: float = 2.0, poll_timeout: float = 60.0) -> None:
        self.handle = handle
        self.ig_user_id = credentials["ig_user_id"]
        self.root = versioned_base(api_base_url)
        self.real_host = api_base_url is None or graph_base(api_base_url) == graph_base(None)
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {credentials['access_token']}"
        self.media_host = media_host
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout

    # -- the port ------------------------------------------------------------------------------
    def check(self, request: PublishRequest) -> list[RuleViolation]:
        media = [MediaFacts(m.mime_type, len(m.data), m.alt_text) for m in request.media]
        return check_post(self.platform, request.text, media)

    def verify(self) -> AccountInfo:
        body = self._call("GET", f"/{self.ig_user_id}", params={"fields": "username,name"})
        return AccountInfo(handle=body.get("username") or body["id"], display_name=body.get("name") or "",
                           extra={"ig_user_id": body["id"]})

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.check(request)
        if problems:
            raise Permanent(" ".join(p.message for p in problems), reason=problems[0].rule)
        urls = [self._public_url(item, i) for i, item in enumerate(request.media, start=1)]
        if len(urls) == 1:
            container = self._container(1, urls[0], image_url=urls[0], caption=request.text,
                                        alt_text=request.media[0].alt_text)
        else:
            children = [self._container(i, url, image_url=url, is_carousel_item="true", alt_text=item.alt_text)
                        for i, (url, item) in enumerate(zip(urls, request.media), start=1)]
            container = self._container(0, "", media_type="CAROUSEL", children=",".join(children),
                                        caption=request.text)
        self._wait_until_finished(container)
        media_id = self._call("POST", f"/{self.ig_user_id}/media_publish", data={"creation_id": container},
                              writing=True)["id"]
        permalink, published_at = self._details(media_id)
        return PublishResult(platform_post_id=media_id, permalink=permalink, published_at=published_at,
                             thread_post_ids=self._first_comments(media_id, request.thread))

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]:
        body = self._call("GET", f"/{self.ig_user_id}/media",
                          params={"fields": "id,caption,permalink,timestamp", "limit": max(1, min(limit, 100))})
        posts = [RecentPost(m["id"], m.get("caption") or "", m.get("permalink") or "",
                            parse_utc(m["timestamp"])) for m in body.get("data", [])]
        return [p for p in posts if since is None or p.created_at >= since][:limit]

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]:
        ids = list(dict.fromkeys(platform_post_ids))
        out: list[Metrics] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            counts = self._objects(chunk, "like_count,comments_count")
            insights = self._insights(list(counts))
            for media_id, body in counts.items():
                extra = insights.get(media_id, {})
                out.append(Metrics(media_id, likes=int(body.get("like_count") or 0),
                                   reposts=extra.get("shares", 0),
                                   replies=int(body.get("comments_count") or 0),
                                   impressions=extra.get("views")))
        return out

    def fetch_replies(self, platform_post_id: str) -> list[Reply]:
        body = self._call("GET", f"/{platform_post_id}/comments",
                          params={"fields": "id,text,username,timestamp", "limit": 100})
        return [Reply(c["id"], platform_post_id, c.get("username") or "an Instagram user", c.get("text", ""),
                      parse_utc(c["timestamp"]))
                for c in body.get("data", []) if c.get("username") != self.handle]

    # -- publishing steps ------------------------------------------------------------------------
    def _public_url(self, item: MediaItem, number: int) -> str:
        url = item.url or (self.media_host(item) if self.media_host else None)
        if not url:
            raise Permanent(f"{LABEL}: images must be reachable at a public URL for Instagram to fetch "
                            "them; set PUBLIC_BASE_URL to an address the internet can reach.",
                            reason="media_url_missing")
        if self.real_host and not publicly_reachable(url):
            raise Permanent(f"{LABEL}: image {number} is at {url}, which Instagram's servers cannot reach; "
                            "set PUBLIC_BASE_URL to an address the internet can reach.",
                            reason="media_url_not_public")
        return url

    def _container(self, number: int, url: str, **fields: str) -> str:
        try:
            return self._call("POST", f"/{self.ig_user_id}/media", data=fields)["id"]
        except Permanent as exc:
            if exc.reason != "media_fetch_failed":
                raise
            raise Permanent(f"{LABEL} could not download image {number} from {url}. The image URL must be "
                            f"publicly reachable (check PUBLIC_BASE_URL). {exc.message}",
                            reason=exc.reason) from exc

    def _wait_until_finished(self, container: str) -> None:
        """Poll the container's ``status_code`` until FINISHED, for at most ``poll_timeout``."""
        deadline = time.monotonic() + self.poll_timeout
        while True:
            body = self._call("GET", f"/{container}", params={"fields": "status_code,status"})
            status = body.get("status_code")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                raise Permanent(f"{LABEL} could not process the media ({body.get('status') or 'no details'}).",
                                reason="media_processing_failed")
            if status == "EXPIRED":
                raise Transient(f"{LABEL}'s media container expired before publishing; will retry.")
            if time.monotonic() + self.poll_interval > deadline:
                raise Transient(f"{LABEL} was still processing the media after {self.poll_timeout:.0f} s; "
                                "will retry.")
            time.sleep(self.poll_interval)

    def _details(self, media_id: str) -> tuple[str, datetime]:
        """Permalink and time of the media just published; never fails (it is published)."""
        try:
            body = self._call("GET", f"/{media_id}", params={"fields": "permalink,timestamp"})
            return (body.get("permalink") or self._fallback_link(),
                    parse_utc(body["timestamp"]) if body.get("timestamp") else _now())
        except (ConnectorError, KeyError, ValueError) as exc:
            log.warning("instagram: media %s published; its details could not be read: %s", media_id, exc)
            return self._fallback_link(), _now()

    def _fallback_link(self) -> str:
        return f"https://www.instagram.com/{self.handle}/"

    def _first_comments(self, media_id: str, thread: Sequence[str]) -> list[str]:
        """The thread as the account's own comments; failures are logged, never raised (the
        post is up, and a retry would post it again)."""
        ids: list[str] = []
        for text in thread:
            try:
                ids.append(self._call("POST", f"/{media_id}/comments", data={"message": text},
                                      writing=True)["id"])
            except ConnectorError as exc:
                log.warning("instagram: first comment on %s failed: %s", media_id, exc.message,
                            extra={"platform": "instagram", "platform_post_id": media_id})
                break
        return ids

    # -- metrics ---------------------------------------------------------------------------------
    def _objects(self, ids: list[str], fields: str) -> dict[str, dict]:
        try:
            return dict(self._call("GET", "/", params={"ids": ",".join(ids), "fields": fields}))
        except Permanent:
            found = {}
            for media_id in ids:
                try:
                    found[media_id] = self._call("GET", f"/{media_id}", params={"fields": fields})
                except Permanent:
                    continue
            return found

    def _insights(self, ids: list[str]) -> dict[str, dict[str, int]]:
        """views (``impressions`` is gone for media since 2025) and shares, per media. Insights
        need instagram_manage_insights and are missing for some media; then they stay unknown."""
        out: dict[str, dict[str, int]] = {}
        for media_id in ids:
            try:
                body = self._call("GET", f"/{media_id}/insights", params={"metric": "views,shares"})
            except Permanent as exc:
                log.info("instagram: no insights for %s: %s", media_id, exc.message)
                continue
            out[media_id] = {m["name"]: int((m.get("values") or [{}])[0].get("value") or 0)
                             for m in body.get("data", []) if m.get("name")}
        return out

    # -- HTTP --------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, writing: bool = False, **kwargs: Any) -> dict:
        try:
            response = self.session.request(method, self.root + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise transport_error(exc, label=LABEL, writing=writing) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise map_graph_error(body["error"], label=LABEL, headers=response.headers,
                                  permission_hint=PERMISSION_HINT)
        if response.status_code < 400 and isinstance(body, dict):
            return body
        if writing and response.status_code < 400:
            raise UnknownOutcome(f"{LABEL} accepted the request but its answer could not be read; "
                                 "the post may have been published.")
        if response.status_code >= 500 or response.status_code < 400:
            raise Transient(f"{LABEL} sent an answer that could not be read (HTTP {response.status_code}).")
        raise Permanent(f"{LABEL} refused the request (HTTP {response.status_code}).")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def build(*, handle: str, credentials: Mapping[str, str], api_base_url: str | None) -> InstagramConnector:
    return InstagramConnector(handle=handle, credentials=credentials, api_base_url=api_base_url)


def oauth_start(*, redirect_uri: str, api_base_url: str | None, client: dict,
                instance_url: str | None = None) -> AuthorizeStart:
    """Instagram professional accounts connect through Facebook Login (their Page's login)."""
    return facebook_login.oauth_start(redirect_uri=redirect_uri, api_base_url=api_base_url, client=client)


def oauth_finish(*, callback_params: dict, start: AuthorizeStart, redirect_uri: str,
                 api_base_url: str | None, client: dict) -> list[LinkedAccount]:
    """The Instagram accounts linked to the Pages the user manages (Pages themselves are left
    out here; ``connectors.facebook.oauth_finish`` offers both)."""
    accounts = facebook_login.oauth_finish(callback_params=callback_params, start=start,
                                           redirect_uri=redirect_uri, api_base_url=api_base_url,
                                           client=client)
    return [a for a in accounts if a.platform == "instagram"]
