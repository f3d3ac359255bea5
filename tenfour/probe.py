"""The broker side of ``/readyz`` and ``/metrics`` (the web app's ``BrokerProbe`` port), on
Redis: a ping, the scheduler's heartbeat key, and the length of each Celery queue list."""

from __future__ import annotations

from datetime import datetime

import redis

from workers.queues import DEFAULT_QUEUE, PUBLISH_QUEUE
from workers.heartbeat import HEARTBEAT_KEY


class RedisProbe:
    def __init__(self, redis_url: str) -> None:
        self._client = redis.Redis.from_url(redis_url, socket_timeout=2.0,
                                            socket_connect_timeout=2.0)

    def ping(self) -> None:
        self._client.ping()

    def scheduler_heartbeat(self) -> datetime | None:
        raw = self._client.get(HEARTBEAT_KEY)
        if not raw:
            return None
        try:
            return datetime.fromisoformat(raw.decode())
        except ValueError:
            return None

    def queue_depths(self) -> dict[str, int]:
        """Celery on Redis keeps each queue as a list named after it."""
        with self._client.pipeline(transaction=False) as pipe:
            for queue in (PUBLISH_QUEUE, DEFAULT_QUEUE):
                pipe.llen(queue)
            publish, default = pipe.execute()
        return {PUBLISH_QUEUE: int(publish), DEFAULT_QUEUE: int(default)}
