"""``POST /api/v1/posts/import`` (a CSV of posts, all or nothing) and
``GET /api/v1/posts/export.csv`` (the queue as CSV, with the queue's ``status`` filter)."""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from content_queue.errors import Forbidden, ValidationFailed
from content_queue.exporting import export_rows
from content_queue.importing import MAX_IMPORT_BYTES, ImportResult, import_posts
from content_queue.models import AUTHOR_ROLES, User
from content_queue.reading import list_posts
from web.api.blueprint import bp
from web.api.common import api_actor
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


def csv_response(lines, filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def export_lines(db, user_id: int, status: str | None):
    """The CSV, read in a session of its own: the request's is closed before streaming."""
    session = db.session(write=False)  # (outside the request by the time it streams)
    try:
        yield from export_rows(session, session.get(User, user_id), status=status)
    finally:
        session.rollback()
        session.close()


@bp.get("/posts/export.csv")
def export_csv() -> Response:
    status = request.args.get("status") or None
    actor = api_actor()
    list_posts(get_session(), actor, status=status, page=1, per_page=1)  # a bad status: 422 now
    return csv_response(export_lines(get_state().db, actor.id, status), "tenfour-queue.csv")
