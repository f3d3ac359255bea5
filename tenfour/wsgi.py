"""The composition root for the web process: the Flask app with its ports plugged in.

``gunicorn tenfour.wsgi:app`` — or ``tenfour web``, which serves :func:`build_app`.
"""

from __future__ import annotations

from connectors.linking import Linker
from content_queue.db import Database
from content_queue.notifications import deliver_after_commit
from tenfour.config import Settings, load_settings
from tenfour.notify_sender import notification_sender
from tenfour.probe import RedisProbe
from web import create_app


def build_app(settings: Settings | None = None, *, db: Database | None = None):
    settings = settings or load_settings()
    linker = Linker(settings.oauth_clients, settings.default_base_urls, settings.allowed_hosts)
    probe = RedisProbe(settings.redis_url) if settings.redis_url else None
    db = db or Database(settings.database_url)
    if settings.redis_url:  # notifications recorded by a request go out after its commit
        deliver_after_commit(db, notification_sender(settings.redis_url))
    return create_app(settings, db=db, linker=linker, probe=probe)


def __getattr__(name: str):
    # ``app`` is built on first access so importing this module has no side effects.
    if name == "app":
        return build_app()
    raise AttributeError(name)
