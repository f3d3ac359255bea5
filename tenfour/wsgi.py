"""The composition root for the web process: the Flask app with its ports plugged in.

``gunicorn tenfour.wsgi:app`` — or ``tenfour web``, which serves :func:`build_app`.
"""

from __future__ import annotations

from connectors.linking import Linker
from content_queue.db import Database
from tenfour.config import Settings, load_settings
from web import create_app


def build_app(settings: Settings | None = None, *, db: Database | None = None):
    settings = settings or load_settings()
    linker = Linker(settings.oauth_clients, settings.default_base_urls)
    return create_app(settings, db=db, linker=linker)


def __getattr__(name: str):
    # ``app`` is built on first access so importing this module has no side effects.
    if name == "app":
        return build_app()
    raise AttributeError(name)
