"""A streamed CSV download, the same for a page's export button and the API's."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response


def csv_response(lines: Iterable[str], filename: str) -> Response:
    """``lines`` must not need the request: it is read after the request's context is gone
    (content_queue.exporting.export_rows_in_own_session opens its own session). Not
    ``stream_with_context``: a download the client never reads would keep that context pushed,
    and every later request in the same thread would see the stale one (its user, its
    database session)."""
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
