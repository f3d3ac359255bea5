"""The request log: what each connector actually sent, for tests to assert on.

Tests check wire details (headers, JSON body, multipart fields) instead of only
outcomes, so the log keeps them verbatim, Authorization included — the
simulator never sees real credentials.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from werkzeug.exceptions import HTTPException

from simulator.context import sim_state
from simulator.state import iso_z, utc_now


def _query() -> dict[str, Any]:
    """Single values stay strings; repeated parameters become lists."""
    return {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}


def _body() -> dict[str, Any]:
    try:
        return _parsed_body()
    except HTTPException as error:  # e.g. 413: the body was never readable; log that instead
        return {"json": None, "body_error": error.name}


def _parsed_body() -> dict[str, Any]:
    if request.is_json:
        return {"json": request.get_json(silent=True)}
    if request.form or request.files:
        return {
            "form": {key: values[0] if len(values) == 1 else values for key, values in request.form.lists()},
            "files": [
                {
                    "field": name,
                    "filename": storage.filename,
                    "content_type": storage.mimetype,
                }
                for name, storage in request.files.items(multi=True)
            ],
        }
    return {"json": None}


def record_request(platform: str, response: Response, *, dropped: bool = False) -> dict[str, Any]:
    """Append one entry for this request, in arrival-of-answer order."""
    entry: dict[str, Any] = {
        "platform": platform,
        "method": request.method,
        "path": request.path,
        "query": _query(),
        "headers": dict(request.headers.items()),
        **_body(),
        "status": response.status_code,
        "time": iso_z(utc_now()),
        "fault": g.get("sim_fault"),
        "dropped": dropped,
    }
    sim_state().log_request(entry)
    return entry
