"""``GET /api/v1/media?q=``: the media library (every uploaded image with its alt text),
newest first, searched by filename and alt text, paginated. Attach one to a new post by its id
in ``media_ids``: no second upload."""

from __future__ import annotations

from flask import Response, jsonify, request

from content_queue.media_library import MAX_QUERY, search_media
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, parse_int_param
from web.api.shapes import media_to_dict
from web.common.state import get_session

MAX_PER_PAGE = 100


@bp.get("/media")
def list_media() -> Response:
    q = clean_text(request.args.get("q"), "q", max_length=MAX_QUERY)
    page = parse_int_param("page", 1)
    per_page = parse_int_param("per_page", 24, maximum=MAX_PER_PAGE)
    rows, total = search_media(get_session(), api_actor().agency_id, q=q, page=page,
                               per_page=per_page)
    return jsonify(media=[media_to_dict(m) for m in rows], q=q, page=page, per_page=per_page,
                   total=total)
