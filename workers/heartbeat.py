"""The scheduler's heartbeat in Redis, read by ``/readyz``: a tick that ran to the end writes
the time, at most once a second, with an expiry so a stopped scheduler's beat disappears."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import redis

log = logging.getLogger("tenfour.scheduler")

HEARTBEAT_KEY = "tenfour:scheduler:heartbeat"
EVERY_SECONDS = 1.0
EXPIRES_SECONDS = 3600


class Heartbeat:
    def __init__(self, redis_url: str | None) -> None:
        self._client = redis.Redis.from_url(redis_url, socket_timeout=1.0,
                                            socket_connect_timeout=1.0) if redis_url else None
        self._last = float("-inf")

    def beat(self, now: datetime) -> None:
        """Record ``now`` (aware UTC); a broker blip only skips a beat."""
        mono = time.monotonic()
        if self._client is None or mono - self._last < EVERY_SECONDS:
            return
        try:
            self._client.set(HEARTBEAT_KEY, now.isoformat(), ex=EXPIRES_SECONDS)
        except redis.RedisError as exc:
            log.debug("heartbeat not written: %s", exc)
            return
        self._last = mono
