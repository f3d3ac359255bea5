"""Thin Celery tasks: take an id, call one function, let it decide.

Declared with ``shared_task`` so they bind to the app :func:`workers.app.create_celery` built in
this process; importing this module reads no settings.
"""

from __future__ import annotations

from celery import current_app, shared_task

from workers.jobs import (
    accounts_to_check,
    check_account,
    poll_account,
    poll_engagement_batches,
    publish_one,
    reap_stuck_targets,
)
from workers.runtime import get_runtime


@shared_task(name="tenfour.publish_target")
def publish_target(target_id: int) -> str:
    return publish_one(get_runtime(), target_id)


@shared_task(name="tenfour.poll_engagement")
def poll_engagement() -> int:
    accounts = poll_engagement_batches(get_runtime())
    for account_id in accounts:
        poll_account_engagement.delay(account_id)
    return len(accounts)


@shared_task(name="tenfour.poll_account_engagement")
def poll_account_engagement(account_id: int) -> int:
    return poll_account(get_runtime(), account_id)


@shared_task(name="tenfour.reap_stuck")
def reap_stuck() -> list[int]:
    return reap_stuck_targets(get_runtime(), enqueue_publish)


@shared_task(name="tenfour.check_accounts")
def check_accounts() -> int:
    ids = accounts_to_check(get_runtime())
    for account_id in ids:
        check_one_account.delay(account_id)
    return len(ids)


@shared_task(name="tenfour.check_account")
def check_one_account(account_id: int) -> str:
    return check_account(get_runtime(), account_id)


def enqueue_publish(target_ids) -> None:
    """Send one publish task per target over a single broker connection."""
    with current_app.producer_or_acquire() as producer:
        for target_id in target_ids:
            publish_target.apply_async((target_id,), producer=producer)
