"""Tenfour's Flask app: the admin pages PIOs and supervisors use, and the JSON API."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.ports import AccountLinker
from tenfour.config import Settings, load_settings
from web import auth, errors, formatting, security, state

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, *, db: Database | None = None,
               linker: AccountLinker | None = None) -> Flask:
    """Build the app. ``settings`` default to the environment; ``db`` to ``settings.database_url``;
    ``linker`` (account connection) is given by ``tenfour.wsgi.build_app``."""
    settings = settings or load_settings()
    db = db or Database(settings.database_url)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # a post's photos (the API: one image a request)
        WTF_CSRF_TIME_LIMIT=None,  # a post drafted over a long shift must still submit
    )
    app.json.sort_keys = False  # keep the documented field order in API answers
    security.configure_cookies(app, settings)
    state.init_app(app, state.TenfourState(settings=settings, db=db,
                                           cipher=CredentialCipher(settings.encryption_keys),
                                           linker=linker))
    csrf.init_app(app)
    auth.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    app.after_request(security.add_security_headers(settings))
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from web import accounts, campaigns, compose, dashboard, health, media, posts
    from web.api import bp as api_bp

    for module in (dashboard, compose, posts, accounts, campaigns, media, health):
        app.register_blueprint(module.bp)
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
