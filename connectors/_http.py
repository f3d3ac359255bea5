"""Shared HTTP helpers for connectors built on ``requests``: timeouts and error mapping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import requests

from content_queue.ports import RateLimited

#: (connect, read) seconds. A read timeout after sending a post is an unknown outcome.
TIMEOUT = (5.0, 30.0)


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
