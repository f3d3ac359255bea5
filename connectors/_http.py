"""Shared HTTP helpers for connectors built on ``requests``: timeouts and error mapping."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Sequence

import requests
from requests.adapters import HTTPAdapter
from requests.utils import resolve_proxies

from content_queue.ports import RateLimited

#: (connect, read) seconds. A read timeout after sending a post is an unknown outcome.
TIMEOUT = (5.0, 30.0)


class HostRewriteAdapter(HTTPAdapter):
    """Sends requests meant for a platform's real ``hosts`` to ``base`` instead (the simulator,
    a proxy), optionally with a default timeout.

    Client libraries that hard-code their host (tweepy) or read it from a module constant on
    every call (facebook-sdk) are redirected per session this way, without touching a global
    other threads use.
    """

    def __init__(self, base: str | None, hosts: Sequence[str],
                 timeout: Any = None) -> None:
        super().__init__()
        self.base = base.rstrip("/") if base else None
        self.hosts = tuple(h.rstrip("/") for h in hosts)
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        url = request.url or ""
        if self.base:
            for host in self.hosts:
                if url.startswith(host + "/"):
                    request.url = self.base + url[len(host):]
                    # Proxies were chosen for the real host; choose again for the new one.
                    proxies = resolve_proxies(request, {}, trust_env=True)
                    break
        return super().send(request, stream=stream, timeout=timeout or self.timeout,
                            verify=verify, cert=cert, proxies=proxies)

    def mount_on(self, session: requests.Session) -> None:
        for host in self.hosts:
            session.mount(host + "/", self)


def parse_utc(value: str | datetime) -> datetime:
    """A platform's timestamp as aware UTC: ISO 8601 with ``Z`` or an offset (``+0000`` too);
    a time without one is taken as UTC."""
    moment = value if isinstance(value, datetime) else \
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def retry_at_from_headers(headers: "requests.structures.CaseInsensitiveDict[str]",
                          now: datetime | None = None) -> datetime | None:
    """When a 429 says to come back: ``Retry-After`` (seconds or a date), else a reset epoch."""
    now = now or datetime.now(timezone.utc)
    value = headers.get("Retry-After")
    if value:
        if value.strip().isdigit():
            return now + timedelta(seconds=int(value))
        try:
            return parsedate_to_datetime(value).astimezone(timezone.utc)
        except (TypeError, ValueError):
            pass
    for name in ("x-rate-limit-reset", "X-RateLimit-Reset", "ratelimit-reset"):
        reset = headers.get(name)
        if reset and reset.strip().isdigit():
            epoch = int(reset)
            # Some APIs send seconds-until-reset, others an epoch.
            if epoch < 10**9:
                return now + timedelta(seconds=epoch)
            return datetime.fromtimestamp(epoch, timezone.utc)
    return None


def rate_limited(response: requests.Response, platform_label: str) -> RateLimited:
    retry_at = retry_at_from_headers(response.headers)
    when = f" until {retry_at:%H:%M:%S} UTC" if retry_at else ""
    return RateLimited(f"{platform_label} is rate-limiting this account{when}.", retry_at)


_SAFE_MESSAGE = re.compile(r"^[\w .,;:'()\-/@#!?]{1,120}$", re.UNICODE)


def upstream_summary(status: int | None, message: object = "") -> str:
    """What a platform's refusal says, fit to show in a page: its status and its message only
    when that is a short plain sentence (never an HTML page, a stack trace or echoed input)."""
    text = " ".join(str(message or "").split())
    known = text if _SAFE_MESSAGE.match(text) and "<" not in text else ""
    if status is None:
        return known or "no readable answer"
    return f"HTTP {status}: {known}" if known else f"HTTP {status}"
