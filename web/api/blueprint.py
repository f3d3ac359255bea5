"""The API's blueprint (``api.*``, under ``/api/v1``), in a module of its own so each resource
module (:mod:`.posts`, :mod:`.media`, :mod:`.resources`) and the plumbing (:mod:`.common`) can
put routes and handlers on it without importing the package that lists them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
