"""The sandbox platform: Tenfour's own loopback simulator, so the product works without
credentials. Its wire format is documented in ``simulator/platforms/sandbox.py``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping, Sequence

import requests

from urllib.parse import quote

from connectors._http import TIMEOUT, parse_utc, rate_limited, upstream_summary
from content_queue.platforms import MediaFacts, check_post, handle_problem
from content_queue.ports import (
    AccountInfo,
    AuthExpired,
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

DEFAULT_BASE = "http://127.0.0.1:5055/sandbox"
LABEL = "Sandbox"


class SandboxConnector:
    platform = "sandbox"
    refreshed_credentials = None

    def __init__(self, *, handle: str, credentials: Mapping[str, str],
                 api_base_url: str | None = None, session: requests.Session | None = None) -> None:
        if handle_problem(handle):
            raise Permanent(f"{LABEL}: the handle cannot be used ({handle_problem(handle)})",
                            reason="invalid_handle")
        self.handle = handle
        #: The handle as one path segment (``/`` and ``..`` can never leave the base URL).
        self._who = quote(handle, safe="@._-")
        self.base = (api_base_url or DEFAULT_BASE).rstrip("/") + "/api/v1"
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {credentials['access_token']}"

    # -- the port ------------------------------------------------------------------------

    def check(self, request: PublishRequest) -> list[RuleViolation]:
        media = [MediaFacts(m.mime_type, len(m.data), m.alt_text) for m in request.media]
        return check_post(self.platform, request.text, media)

    def verify(self) -> AccountInfo:
        body = self._call("GET", f"/accounts/{self._who}")
        return AccountInfo(handle=body["handle"], display_name=body.get("display_name", ""))

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.check(request)
        if problems:
            raise Permanent(" ".join(p.message for p in problems), reason=problems[0].rule)
        media_ids = [self._upload(m) for m in request.media]
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key else {}
        body = self._call("POST", f"/accounts/{self._who}/posts",
                          json={"text": request.text, "media_ids": media_ids},
                          headers=headers, sends_post=True)
        thread_ids = []
        parent = body["id"]
        for i, text in enumerate(request.thread, start=1):
            key = f"{request.idempotency_key}-{i}" if request.idempotency_key else None
            reply = self._call("POST", f"/accounts/{self._who}/posts",
                               json={"text": text, "reply_to_id": parent},
                               headers={"Idempotency-Key": key} if key else {}, sends_post=True)
            parent = reply["id"]
            thread_ids.append(parent)
        return PublishResult(platform_post_id=body["id"], permalink=body["url"],
                             published_at=parse_utc(body["created_at"]),
                             thread_post_ids=thread_ids)

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]:
        params: dict[str, str | int] = {"limit": limit}
        if since:
            params["since"] = since.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        body = self._call("GET", f"/accounts/{self._who}/posts", params=params)
        return [RecentPost(p["id"], p["text"], p["url"], parse_utc(p["created_at"]))
                for p in body["posts"]]

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]:
        out: list[Metrics] = []
        ids = list(platform_post_ids)
        for start in range(0, len(ids), 100):
            body = self._call("GET", "/posts", params={"ids": ",".join(ids[start:start + 100])})
            out.extend(Metrics(p["id"], likes=p["likes"], reposts=p["reposts"],
                               replies=p["replies"], impressions=p.get("views"))
                       for p in body["posts"])
        return out

    def fetch_replies(self, platform_post_id: str) -> list[Reply]:
        body = self._call("GET", f"/posts/{platform_post_id}/replies")
        return [Reply(r["id"], platform_post_id, r["author"], r["text"],
                      parse_utc(r["created_at"])) for r in body["replies"]]

    # -- plumbing ------------------------------------------------------------------------

    def _upload(self, media) -> str:
        files = {"file": (media.filename, media.data, media.mime_type)}
        body = self._call("POST", "/media", files=files, data={"alt_text": media.alt_text})
        return body["id"]

    def _call(self, method: str, path: str, *, sends_post: bool = False, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
        except requests.exceptions.ConnectTimeout as exc:
            raise Transient(f"{LABEL} did not answer ({exc.__class__.__name__}).") from exc
        except requests.exceptions.ConnectionError as exc:
            # A refused connection never reached the platform; anything else after sending
            # a post might have been accepted.
            if sends_post and not _refused(exc):
                raise UnknownOutcome(
                    f"{LABEL} dropped the connection after the post was sent; "
                    "it may have been published."
                ) from exc
            raise Transient(f"{LABEL} could not be reached.") from exc
        except requests.exceptions.ReadTimeout as exc:
            if sends_post:
                raise UnknownOutcome(f"{LABEL} did not answer in time; the post may have "
                                     "been published.") from exc
            raise Transient(f"{LABEL} did not answer in time.") from exc
        return self._judge(response)

    def _judge(self, response: requests.Response) -> dict:
        if response.status_code < 400:
            return response.json()
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        code = str(error.get("code", ""))[:40] if isinstance(error, dict) else ""
        message = upstream_summary(response.status_code,
                                   error.get("message", "") if isinstance(error, dict) else "")
        if response.status_code == 429:
            raise rate_limited(response, LABEL)
        if response.status_code == 401:
            raise AuthExpired(f"{LABEL} refused the access token ({message}).")
        if response.status_code >= 500:
            raise Transient(f"{LABEL} had a server error ({response.status_code}).")
        if code == "duplicate":
            raise Permanent(f"{LABEL} refused this as a duplicate of a recent post.",
                            reason="duplicate")
        raise Permanent(f"{LABEL} refused the post: {message}", reason=code or "refused")


def _refused(exc: Exception) -> bool:
    text = repr(exc)
    return "Connection refused" in text or "NewConnectionError" in text


def build(*, handle: str, credentials: Mapping[str, str], api_base_url: str | None) -> SandboxConnector:
    return SandboxConnector(handle=handle, credentials=credentials, api_base_url=api_base_url)
