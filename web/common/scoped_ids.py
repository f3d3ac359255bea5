"""One check before every view: a row named in the URL (``/posts/<post_id>``,
``/api/v1/templates/<template_id>`` …) must be visible in the request's session, which is
scoped to the user's agency (:mod:`content_queue.agencies`); otherwise the answer is 404,
before the view reads its form or body. So another agency's id is a 404 on every route (never a
422 for a bad form, a redirect or a 403 that would confirm the id exists), without each view
having to order its checks for it."""

from __future__ import annotations

from flask import abort, g, request

from content_queue.agencies import row_in_scope
from web.common.state import get_session


def check_ids_in_scope() -> None:
    """404 unless every id in the URL names a row of the request's agency. Runs only once the
    request's agency is known (a signed-in user or an API token)."""
    if g.get("_tenfour_agency_id") is None or not request.view_args:
        return
    session = get_session()
    for name, value in request.view_args.items():
        if row_in_scope(session, name, value) is False:
            abort(404)
