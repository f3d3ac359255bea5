"""``/healthz`` for load balancers and compose health checks (the app answers, and the DB
too), and ``/readyz`` for whoever must know that posts will actually go out: the database, the
broker, and a scheduler that finished a tick in the last few seconds."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.common.state import get_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

#: The scheduler beats about once a second while its ticks succeed.
SCHEDULER_STALE_SECONDS = 15.0


def _database_error() -> str | None:
    try:
        with get_state().db.engine.connect() as conn:
            conn.execute(text("select 1"))
    except SQLAlchemyError as exc:
        log.warning("readiness: the database did not answer: %s", exc)
        return f"unavailable: {type(exc).__name__}"
    return None


@bp.route("/healthz")
def healthz():
    if _database_error():
        return jsonify(ok=False, error="database unavailable"), 503
    return jsonify(ok=True)


def scheduler_status(last_tick_at: datetime | None, now: datetime) -> dict:
    age = (now - last_tick_at).total_seconds() if last_tick_at else None
    return {"last_tick_at": last_tick_at.isoformat().replace("+00:00", "Z") if last_tick_at
            else None,
            "age_seconds": round(age, 3) if age is not None else None,
            "ok": age is not None and age <= SCHEDULER_STALE_SECONDS}


@bp.route("/readyz")
def readyz():
    state = get_state()
    database = _database_error() or "ok"
    broker = "ok"
    heartbeat: datetime | None = None
    if state.probe is None:
        broker = "not configured: no REDIS_URL"
    else:
        try:
            state.probe.ping()
            heartbeat = state.probe.scheduler_heartbeat()
        except Exception as exc:  # noqa: BLE001 - any broker client error means "not ready"
            log.warning("readiness: the broker did not answer: %s", exc)
            broker = f"unavailable: {type(exc).__name__}: {exc}"
    scheduler = scheduler_status(heartbeat, datetime.now(timezone.utc))
    ready = database == "ok" and broker == "ok" and scheduler["ok"]
    response = jsonify(database=database, broker=broker, scheduler=scheduler)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
