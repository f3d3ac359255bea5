"""The Celery queues: publishing on its own, everything else on the default one."""

PUBLISH_QUEUE = "publish"
DEFAULT_QUEUE = "default"
