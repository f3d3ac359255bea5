"""``/healthz`` for load balancers and compose health checks: the app answers and the DB too."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.common.state import get_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
def healthz():
    try:
        with get_state().db.engine.connect() as conn:
            conn.execute(text("select 1"))
    except SQLAlchemyError:
        log.exception("health check: the database did not answer")
        return jsonify(ok=False, error="database unavailable"), 503
    return jsonify(ok=True)
