"""A streamed CSV download, the same for a page's export button and the API's."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, stream_with_context


def csv_response(lines: Iterable[str], filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
