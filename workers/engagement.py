"""The engagement poll, as plain functions of a :class:`Runtime` (the tasks in
:mod:`workers.tasks` call them): schedule new targets, hand each account with due targets on as
one task, and poll one account's due targets in the platform's own batches (X ``GET /2/tweets``
by up to 100 ids, Graph ``?ids=`` up to 50, Mastodon and Bluesky as their connectors read).

See :mod:`content_queue.engagement_schedule` for the schedule and why a failed poll never
touches a target's status.
"""

from __future__ import annotations

import logging

from content_queue.accounts import mark_reconnect_needed
from content_queue.engagement import PollBatch
from content_queue.feedback import record_replies  # issue 9: classified, emergencies alerted
from content_queue.engagement_schedule import (
    accounts_due,
    claim_due,
    has_unscheduled_targets,
    record_failed_poll,
    record_polled,
    schedule_some_targets,
)
from content_queue.models import SocialAccount
from content_queue.ports import AuthExpired, ConnectorError, PlatformConnector, RateLimited
from workers.jobs import engagement_offsets, save_refreshed_credentials, utcnow
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


def poll_engagement_batches(rt: Runtime) -> list[int]:
    """Schedule newly published targets, then list the accounts with targets due."""
    now, offsets = utcnow(), engagement_offsets(rt)
    with rt.db.session_scope(write=False) as session:
        new = has_unscheduled_targets(session, now=now, offsets=offsets)
    after_id: int | None = 0
    while new and after_id is not None:  # short write transactions, a batch each
        with rt.db.session_scope() as session:
            _made, after_id = schedule_some_targets(session, now=now, offsets=offsets,
                                                    after_id=after_id)
    with rt.db.session_scope(write=False) as session:
        return accounts_due(session, now=now)


def poll_account(rt: Runtime, account_id: int) -> int:
    """Poll one account's due targets; returns how many snapshots were stored."""
    with rt.db.session_scope() as session:
        batch = claim_due(session, account_id, now=utcnow())
        account = session.get(SocialAccount, account_id)
        handle = account.handle if account else ""
    if batch is None:
        return 0
    fields = {"account_id": account_id, "platform": batch.platform}
    connector = None
    try:
        connector = rt.connector(batch.platform, handle, batch.credentials_encrypted,
                                 batch.api_base_url)
        metrics = connector.fetch_metrics(list(batch.targets))
    except ConnectorError as error:
        log.warning("engagement poll failed (retried later): %s", error.message,
                    extra={**fields, "target_ids": list(batch.targets.values())})
        with rt.db.session_scope() as session:
            record_failed_poll(session, batch.targets.values(), error.message, now=utcnow(),
                               retry_at=error.retry_at if isinstance(error, RateLimited) else None,
                               offsets=engagement_offsets(rt))
            if isinstance(error, AuthExpired):
                mark_reconnect_needed(session, session.get(SocialAccount, account_id),
                                      error.message, now=utcnow())
        return 0
    batch = batch.with_reply_counts(metrics)
    replies = fetch_recent_replies(connector, batch)
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, account_id, connector)
        for target_id, found in replies.items():
            record_replies(session, target_id, found, now=utcnow())
        outcome = record_polled(session, batch, metrics, now=utcnow(),
                                offsets=engagement_offsets(rt))
    if outcome.missing:
        log.warning("engagement poll: %d posts not returned by the platform",
                    len(outcome.missing), extra={**fields, "target_ids": list(outcome.missing)})
    return outcome.stored


def fetch_recent_replies(connector: PlatformConnector, batch: PollBatch) -> dict[int, list]:
    """Replies to the account's posts that had any (one call per such post; a failure on one
    post skips it until the next poll instead of losing the metrics already fetched)."""
    found: dict[int, list] = {}
    for post_id in batch.with_replies:
        try:
            found[batch.targets[post_id]] = connector.fetch_replies(post_id)
        except ConnectorError as error:
            log.warning("replies not fetched: %s", error.message,
                        extra={"target_id": batch.targets[post_id]})
    return found
