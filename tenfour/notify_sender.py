"""How the web process hands new notifications to the workers: a producer-only Celery client
that sends ``tenfour.deliver_notification`` by name once the request's transaction committed.

It fails fast (no retries, a one-second connect timeout) so a broker outage never holds a
page: the rows are saved, and the scheduler's watch sends them a couple of minutes later.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from celery import Celery

from workers.app import DEFAULT_QUEUE

log = logging.getLogger("tenfour.web")


def notification_sender(redis_url: str) -> Callable[[Sequence[int]], None]:
    client = Celery("tenfour-web", broker=redis_url, set_as_current=False)
    client.conf.update(task_default_queue=DEFAULT_QUEUE, broker_connection_timeout=1.0,
                       task_serializer="json")

    def send(notification_ids: Sequence[int]) -> None:
        try:
            with client.producer_or_acquire() as producer:
                for notification_id in notification_ids:
                    client.send_task("tenfour.deliver_notification", args=(int(notification_id),),
                                     producer=producer, queue=DEFAULT_QUEUE, retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker error: the watch re-sends
            log.warning("could not hand on %d notifications (%s: %s); they are sent later",
                        len(notification_ids), type(exc).__name__, exc)

    return send
