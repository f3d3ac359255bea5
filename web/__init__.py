"""Tenfour's Flask app: the admin pages PIOs and supervisors use, and the JSON API.

One package per area, each keeping its views, forms and templates (``<area>/templates/<area>/``)
together; the shared request plumbing is in :mod:`web.common`, which imports no area:

- ``common/``    settings type, per-request state, login, security headers, template filters,
                 error pages, form helpers, ``/healthz``
- ``dashboard/`` the front page
- ``posts/``     the queue, a post's page and its buttons, compose, image bytes
- ``accounts/``  the social accounts: list, check, disable, credentials, connect flows
- ``campaigns/`` campaigns and what their posts will cost
- ``notifications/`` what needs a person (failed, unconfirmed, held posts; accounts to
                 reconnect; a stalled scheduler), and the header's unread count
- ``pauses/``    the incident pause: start and resume it, and the banner every page shows
                 while one is active (the header's "Pause outgoing posts" button)
- ``api/``       JSON API v1, one module per resource

The areas to come get a package of their own beside these: ``calendar/``, ``approvals/``,
``engagement/``, ``feedback/`` (the feedback wall), ``kits/``, ``archive/`` and ``admin/``
(users, API tokens, agency settings). A new area is a package with a blueprint and templates,
listed in :data:`AREAS` below. Shared templates (``base.html``, ``macros.html``, ``error.html``,
``login.html``) and static files stay in ``web/templates/`` and ``web/static/``.

Settings flow down: the composition root (``tenfour``) builds them and hands them to
:func:`create_app`; web only says what it reads (:class:`web.common.settings.WebSettings`).
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.ports import AccountLinker
from web.accounts import connect as accounts_connect
from web.accounts import credentials as accounts_credentials
from web.accounts import views as accounts_views
from web.accounts.blueprint import bp as accounts_bp
from web.api import common as api_common
from web.api import media as api_media
from web.api import notifications as api_notifications
from web.api import openapi as api_openapi
from web.api import pauses as api_pauses
from web.api import posts as api_posts
from web.api import resources as api_resources
from web.api import targets as api_targets
from web.api import compose_openapi as api_compose_openapi
from web.api import imports as api_imports
from web.api import engagement as api_engagement
from web.api import feedback as api_feedback
from web.api import media_library as api_media_library
from web.api import templates as api_templates
from web.api import approvals as api_approvals  # issue 8 approvals
from web.api import calendar as api_calendar  # issue 8 calendar
from web.api import calendar_openapi as api_calendar_openapi  # issue 8 calendar
from web.api import slots as api_slots  # issue 8 calendar
from web.calendar import views as calendar_views  # issue 8 calendar
from web.api import guard as api_guard  # issue 10 guard
from web.guard import views as guard_views  # issue 10 guard
from web.api import archive as api_archive  # issue 10 kits: archive
from web.api import consents as api_consents  # issue 10 kits: consent
from web.api import kits as api_kits  # issue 10 kits
from web.api import kits_openapi as api_kits_openapi  # issue 10 kits
from web.api.blueprint import bp as api_bp
from web.approvals import views as approvals_views  # issue 8 approvals
from web.campaigns import views as campaigns_views
from web.archive import views as archive_views  # issue 10 kits: archive
from web.kits import views as kits_views  # issue 10 kits
from web.admin import views as admin_views  # issue 11 people
from web.me import views as me_views  # issue 11 people
from web.sso import views as sso_views  # issue 11 single sign-on
from web.api import users as api_users  # issue 11 people
from web.api import tokens as api_tokens  # issue 11 people
from web.api import people_openapi as api_people_openapi  # issue 11 people
from web.common import (auth, converters, errors, formatting, health, metrics, security,
                        state)
from web.common.probe import BrokerProbe
from web.common.settings import WebSettings
from web.dashboard import views as dashboard_views
from web.engagement import views as engagement_views
from web.feedback import views as feedback_views
from web.briefing import views as briefing_views
from web.notifications import views as notifications_views
from web.pauses import views as pauses_views
from web.posts import compose as posts_compose
from web.posts import copies as posts_copies
from web.posts import media as posts_media
from web.posts import views as posts_views
from web.review import views as review_views  # issue 8 approvals: public review links
from web.media_library import views as media_library_views
from web.templates_lib import imports as templates_lib_imports
from web.templates_lib import views as templates_lib_views

csrf = CSRFProtect()

#: The pages' blueprints, in the order they are registered (which is also the order Flask
#: searches their template folders after ``web/templates``).
AREAS = (dashboard_views.bp, posts_compose.bp, posts_views.bp, accounts_bp, campaigns_views.bp,
         posts_media.bp, notifications_views.bp, pauses_views.bp, health.bp, metrics.bp,
         templates_lib_views.bp, media_library_views.bp, engagement_views.bp,
         feedback_views.bp, briefing_views.bp, guard_views.bp, approvals_views.bp, review_views.bp,
         kits_views.bp, archive_views.bp, calendar_views.bp, admin_views.bp, me_views.bp,
         sso_views.bp)
#: Modules that only put routes on a blueprint listed elsewhere: importing them above is what
#: registers those routes (named here so the imports read as used).
ROUTE_MODULES = (accounts_views, accounts_credentials, accounts_connect,
                 api_common, api_media, api_notifications, api_openapi, api_pauses, api_posts, api_resources,
                 api_targets, api_imports, api_media_library, api_templates, templates_lib_imports, api_approvals,
                 posts_copies, api_engagement, api_guard, api_feedback,
                 api_kits, api_kits_openapi, api_consents, api_archive, api_calendar, api_slots, api_calendar_openapi,
                 api_users, api_tokens, api_people_openapi)  # issue 11 people


def create_app(settings: WebSettings, *, db: Database | None = None,
               linker: AccountLinker | None = None, probe: BrokerProbe | None = None) -> Flask:
    """Build the app from the ``settings`` the composition root read; ``db`` defaults to
    ``settings.database_url``; ``linker`` (account connection) and ``probe`` (the broker
    side of /readyz and /metrics) are given by ``tenfour.wsgi.build_app``, since web may not
    import the connectors or the broker client itself."""
    db = db or Database(settings.database_url)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # a post's photos (the API: one image a request)
        WTF_CSRF_TIME_LIMIT=None,  # a post drafted over a long shift must still submit
    )
    app.json.sort_keys = False  # keep the documented field order in API answers
    converters.init_app(app)  # before any route is added
    security.configure_cookies(app, settings)
    state.init_app(app, state.TenfourState(settings=settings, db=db,
                                           cipher=CredentialCipher(settings.encryption_keys),
                                           linker=linker, probe=probe))
    csrf.init_app(app)
    auth.init_app(app)
    sso_views.init_app(app, settings)  # issue 11: the OpenID Connect client, if configured
    formatting.init_app(app)
    notifications_views.init_app(app)  # the unread count in every page's header
    errors.init_app(app, api_http_error=api_common.http_error_response,
                    api_server_error=api_common.server_error_response,
                    csrf_recovery={"compose.compose": posts_compose.render_compose_after_csrf})
    app.after_request(security.add_security_headers(settings))
    for bp in AREAS:
        app.register_blueprint(bp)
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    return app
