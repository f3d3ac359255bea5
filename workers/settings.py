"""The settings the workers and the scheduler loop read, as a structural type.

The composition root (``tenfour``) reads the environment once and hands an object with these
attributes down; nothing under ``workers/`` reads the environment or imports ``tenfour``.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence


class WorkerSettings(Protocol):
    database_url: str
    #: processes or threads of this worker (`tenfour worker -c`): sizes its database pool
    worker_concurrency: int
    redis_url: str | None
    encryption_keys: tuple[str, ...]
    secret_key: str
    public_base_url: str
    scheduler_tick_seconds: float
    engagement_poll_seconds: float
    #: issue 9: how often replies on posts younger than 48 h are read (FEEDBACK_POLL_SECONDS)
    feedback_poll_seconds: float
    #: issue 9: when each published target's metrics are read (ENGAGEMENT_POLL_AFTER), ascending
    #: timedeltas after publishing.
    engagement_poll_after: Sequence[Any]
    claim_batch_size: int
    claim_ahead_seconds: float
    publish_max_attempts: int
    stuck_after_seconds: float
    stuck_running_after_seconds: float
    reap_every_seconds: float
    retry_backoff_seconds: float
    visibility_timeout_seconds: int
    #: platform -> content_queue.budgets.Budget (the claim-time posting budget)
    posting_budgets: Mapping[str, Any]
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_from: str
    smtp_starttls: bool
    webhook_url: str
    webhook_secret: str
    #: addresses inside the network an agency's own SMTP server or webhook may use
    agency_delivery_allowed_hosts: Sequence[str]
    scheduler_stall_seconds: float

    @property
    def default_base_urls(self) -> Mapping[str, str]: ...

    @property
    def allowed_hosts(self) -> Mapping[str, Sequence[str]]:
        """Per platform, the only hosts requests (and the account's token) may go to."""
