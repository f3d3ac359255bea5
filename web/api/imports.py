"""``POST /api/v1/posts/import`` (a CSV of posts, all or nothing) and
``GET /api/v1/posts/export.csv`` (the queue as CSV, with the queue's ``status`` filter)."""

from __future__ import annotations

from flask import Response, jsonify, request

from content_queue.errors import Forbidden, ValidationFailed
from content_queue.exporting import export_rows_in_own_session
from content_queue.importing import MAX_IMPORT_BYTES, ImportResult, import_posts
from content_queue.models import AUTHOR_ROLES
from content_queue.reading import list_posts
from web.api.blueprint import bp
from web.api.common import api_actor
from web.common.downloads import csv_response
from web.common.state import get_session, get_state, now


def import_answer(result: ImportResult) -> tuple[dict, int]:
    """The JSON answer: 200 with every row's post, or 422 with every refused row."""
    rows = [r.to_dict() for r in result.rows]
    if result.ok:
        return {"created": result.created, "rows": rows}, 200
    bad = len(result.errors)
    message = (f"Nothing was imported: {bad} of {len(rows)} rows "
               f"{'has a problem' if bad == 1 else 'have problems'}. Fix "
               f"{'it' if bad == 1 else 'them'} and import the whole file again.")
    return {"error": {"code": "import_rejected", "message": message, "fields": {}},
            "created": 0, "rows": rows}, 422


@bp.post("/posts/import")
def import_csv() -> Response:
    actor = api_actor()
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers can read the queue but cannot import posts.")
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Send the CSV as multipart/form-data in a field named file.",
                               code="file_missing", fields={"file": "Required."})
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    body, status = import_answer(import_posts(get_session(), actor=actor, data=data, now=now()))
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/posts/export.csv")
def export_csv() -> Response:
    status = request.args.get("status") or None
    actor = api_actor()
    list_posts(get_session(), actor, status=status, page=1, per_page=1)  # a bad status: 422 now
    return csv_response(export_rows_in_own_session(get_state().db, actor.id, status=status),
                        "tenfour-queue.csv")
