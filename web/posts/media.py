"""Image bytes: for signed-in staff (compose thumbnails), and at a signed public URL for the
platforms that fetch images themselves (Instagram's Graph API takes a URL, not bytes).

The public URL is a contract with the workers, which build it as
``{PUBLIC_BASE_URL}/media/public/{id}/{media_signature(id, sha256, SECRET_KEY)}``. Without the
signature nothing is served (404, the same answer as for an id that does not exist), so image
ids cannot be enumerated; the signature changes with the image's content hash.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

from content_queue.errors import NotFound
from content_queue.media import get_media, media_signature
from content_queue.models import MediaAsset
from web.common.auth import current_actor
from web.common.state import get_session, get_state

bp = Blueprint("media", __name__)

PUBLIC_ENDPOINT = "media.public_file"
#: Stored images never change (a new upload gets a new id), so caches may keep them.
PRIVATE_CACHE = "private, max-age=86400"
PUBLIC_CACHE = "public, max-age=86400"
#: An image opened on its own runs nothing, even in a browser that would sniff it as HTML.
IMAGE_CSP = "default-src 'none'; sandbox"


def image_response(asset: MediaAsset, cache_control: str) -> Response:
    response = Response(asset.data, mimetype=asset.mime_type)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["Content-Disposition"] = "inline"
    response.set_etag(asset.sha256)
    return response.make_conditional(request)


@bp.get("/media/<int:media_id>")
def file(media_id: int) -> Response:
    """An image of the signed-in user's agency (login is required by ``web.common.auth``)."""
    try:
        asset = get_media(get_session(), current_actor(), media_id)
    except NotFound:
        abort(404)
    return image_response(asset, PRIVATE_CACHE)


@bp.get("/media/public/<int:media_id>/<sig>")
def public_file(media_id: int, sig: str) -> Response:
    asset = get_session().get(MediaAsset, media_id)
    if asset is None:
        abort(404)
    expected = media_signature(asset.id, asset.sha256, get_state().settings.secret_key)
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        abort(404)
    return image_response(asset, PUBLIC_CACHE)
