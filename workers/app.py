"""The Celery application factory. Redis is the broker; the database is the source of truth.

Delivery on Redis is at least once, so: late acknowledgement, requeue when a worker dies, a
prefetch of one for publishing, and a visibility timeout far longer than any task (tasks are
hard-limited well below it). No task carries an ETA: the scheduler sends work when it is due.

Nothing happens at import: the composition root calls :func:`create_celery` with the runtime it
built from its settings. Tasks are declared with ``shared_task`` in :mod:`workers.tasks`, so they
bind to whichever app the process created.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from content_queue.notifications import deliver_after_commit
from workers.queues import DEFAULT_QUEUE, PUBLISH_QUEUE
from workers.runtime import Runtime, set_runtime


class BrokerNotConfigured(ValueError):
    """No broker URL: the worker and the scheduler cannot run without Redis."""


def create_celery(runtime: Runtime) -> Celery:
    """Build the app for this process and make ``runtime`` the one its tasks use."""
    settings = runtime.settings
    if not settings.redis_url:
        raise BrokerNotConfigured(
            "REDIS_URL is not set. Use `tenfour run` (it starts an embedded Redis) or set "
            "REDIS_URL=redis://host:6379/0.")
    set_runtime(runtime)
    app = Celery("tenfour", broker=settings.redis_url, include=["workers.tasks"],
                 set_as_current=True)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=DEFAULT_QUEUE,
        task_routes={"tenfour.publish_target": {"queue": PUBLISH_QUEUE},
                     "tenfour.publish_targets": {"queue": PUBLISH_QUEUE}},
        task_time_limit=300,
        task_soft_time_limit=240,
        # A publish call must be over before its stamp counts as abandoned
        # (STUCK_RUNNING_AFTER_SECONDS): only then may another delivery look it up and re-post.
        task_annotations={"tenfour.publish_target": publish_time_limits(settings),
                          "tenfour.publish_targets": publish_time_limits(settings)},
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        # A task running when the broker connection drops can never be acknowledged on the new
        # connection; left alone it keeps its prefetch slot and the worker stops consuming after
        # a Redis restart (seen in the chaos test; a long-known Celery/kombu behaviour). Cancel
        # it instead: the message is redelivered, and the attempt stamp makes the redelivery
        # skip or reconcile, never post twice.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
    )
    app.set_default()
    worker_process_init.connect(_dispose_inherited_connections, weak=False)
    import workers.tasks  # noqa: F401  (registers the shared tasks on this app)

    # Notifications recorded in this process go to a worker once their transaction commits.
    deliver_after_commit(runtime.db, workers.tasks.enqueue_notifications)

    app.finalize()
    return app


def publish_time_limits(settings) -> dict[str, float]:
    """Hard and soft limits for one publish task: at most 300 s, and always well inside the
    time after which the reaper presumes an attempt dead (5/6 of it)."""
    hard = max(1.0, min(300.0, settings.stuck_running_after_seconds * 5 / 6))
    return {"time_limit": hard, "soft_time_limit": hard * 0.8}


def _dispose_inherited_connections(**_kwargs) -> None:
    from workers.runtime import get_runtime

    get_runtime().db.dispose()
