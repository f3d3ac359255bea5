"""The settings the workers and the scheduler loop read, as a structural type.

The composition root (``tenfour``) reads the environment once and hands an object with these
attributes down; nothing under ``workers/`` reads the environment or imports ``tenfour``.
"""

from __future__ import annotations

from typing import Mapping, Protocol


class WorkerSettings(Protocol):
    database_url: str
    redis_url: str | None
    encryption_keys: tuple[str, ...]
    secret_key: str
    public_base_url: str
    scheduler_tick_seconds: float
    engagement_poll_seconds: float
    claim_batch_size: int
    publish_max_attempts: int
    stuck_after_seconds: float
    visibility_timeout_seconds: int

    @property
    def default_base_urls(self) -> Mapping[str, str]: ...
