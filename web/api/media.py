"""``/api/v1/media``: upload an image (multipart ``file`` + ``alt_text``), then attach it to a
post by listing its id in ``media_ids``.

An API request carries at most one image, so its body is limited to the largest image plus
room for the form fields; the app-wide limit is higher for the compose page's several photos.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from content_queue.errors import Forbidden, ValidationFailed
from content_queue.media import MAX_UPLOAD, get_media, store_media
from content_queue.models import AUTHOR_ROLES
from web.api.blueprint import bp
from web.api.common import api_actor, error_response
from web.api.shapes import media_to_dict
from web.common.state import get_session, now

#: One image (16 MB) plus its alt text and the multipart framing.
API_MAX_BODY = MAX_UPLOAD + 256 * 1024


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = API_MAX_BODY


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> Response:
    limit = MAX_UPLOAD // (1024 * 1024)
    return error_response(413, "too_large",
                          f"The request is larger than Tenfour accepts: an image can be at most "
                          f"{limit} MB.", {"file": f"At most {limit} MB."})


@bp.post("/media")
def upload_media() -> Response:
    actor = api_actor()
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers can read the queue but cannot upload images.")
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(
            "Send the image as multipart/form-data, in a field named file, with its "
            "description in alt_text.", code="file_missing", fields={"file": "Required."})
    asset = store_media(get_session(), actor=actor, data=upload.read(),
                        filename=upload.filename or "image", alt_text=request.form.get("alt_text"),
                        now=now())
    response = jsonify(media_to_dict(asset))
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_media", media_id=asset.id)
    return response


@bp.get("/media/<int:media_id>")
def read_media(media_id: int) -> Response:
    return jsonify(media_to_dict(get_media(get_session(), api_actor(), media_id)))
