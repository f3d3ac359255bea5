"""The Celery application. Redis is the broker; the database is the source of truth.

Delivery on Redis is at least once, so: late acknowledgement, requeue when a worker dies, a
prefetch of one for publishing, and a visibility timeout far longer than any task (tasks are
hard-limited well below it). No task carries an ETA: the scheduler sends work when it is due.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from workers.runtime import get_runtime


def make_celery() -> Celery:
    settings = get_runtime().settings
    if not settings.redis_url:
        raise SystemExit(
            "REDIS_URL is not set. Use `tenfour run` (it starts an embedded Redis) or set "
            "REDIS_URL=redis://host:6379/0."
        )
    app = Celery("tenfour", broker=settings.redis_url, include=["workers.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="default",
        task_routes={"tenfour.publish_target": {"queue": "publish"}},
        task_time_limit=300,
        task_soft_time_limit=240,
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
    )
    return app


celery_app = make_celery()


@worker_process_init.connect
def _dispose_inherited_connections(**_kwargs) -> None:
    get_runtime().db.dispose()
