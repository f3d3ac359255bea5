"""The reply poll (``FEEDBACK_POLL_SECONDS``, default 300 s): replies on posts younger than
48 hours, so an emergency-looking reply reaches the wall and the on-duty contact within one
poll.

Per account, one batched metrics read says which young posts' reply counts moved since what
is stored (new replies, or deleted ones); only those posts cost a reply read, at most
``MAX_POSTS_PER_POLL`` of them. A failed read is skipped until the next poll and records
nothing, so a platform outage never marks replies deleted.
"""

from __future__ import annotations

import logging

from content_queue.accounts import mark_reconnect_needed
from content_queue.feedback import accounts_due_for_replies, record_replies, replies_due
from content_queue.models import SocialAccount
from content_queue.ports import AuthExpired, ConnectorError
from workers.jobs import save_refreshed_credentials, utcnow
from workers.runtime import Runtime

log = logging.getLogger("tenfour.worker")


def reply_poll_accounts(rt: Runtime) -> list[int]:
    with rt.db.session_scope(write=False) as session:
        return accounts_due_for_replies(session, now=utcnow())


def poll_account_replies(rt: Runtime, account_id: int) -> int:
    """Fetch and record one account's young posts' replies; returns how many were new."""
    with rt.db.session_scope(write=False) as session:
        poll = replies_due(session, account_id, now=utcnow())
    if poll is None:
        return 0
    fields = {"account_id": account_id, "platform": poll.platform}
    try:
        connector = rt.connector(poll.platform, poll.handle, poll.credentials_encrypted,
                                 poll.api_base_url)
        changed = poll.changed(connector.fetch_metrics(list(poll.targets)))
    except ConnectorError as error:
        log.warning("reply poll failed (tried again next poll): %s", error.message, extra=fields)
        if isinstance(error, AuthExpired):
            with rt.db.session_scope() as session:
                mark_reconnect_needed(session, session.get(SocialAccount, account_id),
                                      error.message, now=utcnow())
        return 0
    fetched = {}
    for post_id in changed:
        try:
            fetched[poll.targets[post_id]] = connector.fetch_replies(post_id)
        except ConnectorError as error:
            log.warning("replies not fetched: %s", error.message,
                        extra={**fields, "target_id": poll.targets[post_id]})
    new = 0
    with rt.db.session_scope() as session:
        save_refreshed_credentials(rt, session, account_id, connector)
        for target_id, replies in fetched.items():
            outcome = record_replies(session, target_id, replies, now=utcnow())
            new += len(outcome.new)
            if outcome.emergencies:
                log.warning("emergency-looking reply on the wall",
                            extra={**fields, "target_id": target_id,
                                   "reply_ids": outcome.emergencies})
    return new
