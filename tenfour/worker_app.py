"""The composition root for the worker and the scheduler: the Celery app with its runtime.

``tenfour worker`` and ``tenfour scheduler`` call :func:`build_celery`; for Celery's own tools,
``celery -A tenfour.worker_app inspect ping`` builds the app from the environment on first access.
"""

from __future__ import annotations

from celery import Celery

from tenfour.config import Settings, load_settings
from workers.app import create_celery
from workers.runtime import Runtime


def build_celery(settings: Settings | None = None) -> Celery:
    return create_celery(Runtime(settings or load_settings()))


def __getattr__(name: str):
    # ``celery_app`` (and ``app``, Celery's default lookup) are built on first access, so
    # importing this module has no side effects.
    if name in {"celery_app", "app"}:
        return build_celery()
    raise AttributeError(name)
