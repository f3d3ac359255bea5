"""JSON API v1: Bearer tokens only (no cookies, so no CSRF), one error shape everywhere.

Every refusal is ``{"error": {"code", "message", "fields"}}`` with a 4xx status; the codes are
the services' own, so a client can act on them without parsing messages.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import common, media, posts, resources  # noqa: E402,F401  (registers the routes)
