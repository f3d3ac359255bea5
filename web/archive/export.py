"""Building the archive zip for a request and sending it without holding it in memory.

The zip is written entry by entry into a spooled temporary file (memory up to
:data:`SPOOL_BYTES`, then disk) and sent from there in chunks. The export is recorded in the
audit log once the file is complete: in a write session of its own for a GET (whose request
session only reads), in the request's own session for the page's form post (which already holds
the write lock and commits before the response leaves).
"""

from __future__ import annotations

import tempfile
from typing import Any, Iterator

from flask import Response, request

from content_queue.archive import parse_range, record_export, require_archivist, write_archive
from content_queue.models import User
from web.common.state import SAFE_METHODS, get_session, get_state, now

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


def archive_response(actor: User, start: Any, end: Any, *, via: str) -> Response:
    require_archivist(actor)
    span = parse_range(start, end, actor.agency.timezone)
    moment = now()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        summary = write_archive(get_session(), spool, agency=actor.agency, span=span,
                                exported_by=actor, now=moment)
        if request.method in SAFE_METHODS:  # a read session: the record gets its own
            with get_state().db.session_scope() as session:
                record_export(session, summary, agency_id=actor.agency_id,
                              actor=session.get(User, actor.id), now=moment, via=via)
        else:  # the form's write session holds the write lock; it commits with the response
            record_export(get_session(), summary, agency_id=actor.agency_id, actor=actor,
                          now=moment, via=via)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                data = spool.read(CHUNK_BYTES)
                if not data:
                    break
                yield data
        finally:
            spool.close()

    name = f"tenfour-archive-{span.start.isoformat()}-to-{span.end.isoformat()}.zip"
    response = Response(chunks(), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Length"] = str(size)
    response.headers["Cache-Control"] = "no-store"
    return response
