"""What the web app asks the broker side, as a port: ``/readyz`` and ``/metrics`` need Redis'
reachability, the scheduler's heartbeat and the queue lengths, but web imports neither Celery
nor the workers. The composition root (``tenfour.wsgi``) plugs in the Redis implementation
(``tenfour.probe.RedisProbe``); tests plug in their own."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping, Protocol


class BrokerProbe(Protocol):
    def ping(self) -> None:
        """Return if the broker answers; raise (any exception) if not."""

    def scheduler_heartbeat(self) -> datetime | None:
        """When the scheduler last finished a tick (aware UTC), or None if it never did."""

    def queue_depths(self) -> Mapping[str, int]:
        """Messages waiting per queue (publish, default)."""
