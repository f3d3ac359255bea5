"""The media library: every image the agency uploaded, with its alt text, searchable by
filename or alt text, a page at a time; alt text can be improved (never emptied). Images are
reused from the New post page (``search.json`` feeds its picker) without uploading again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from content_queue.errors import ServiceError
from content_queue.models import AUTHOR_ROLES
from content_queue.media import MAX_ALT
from content_queue.media_library import MAX_QUERY, search_media, update_alt_text, usage_counts
from web.common.auth import current_actor, roles_allowed
from web.common.state import discard_changes, get_session, now

bp = Blueprint("media_library", __name__, template_folder="templates")

PER_PAGE = 24
PICKER_PAGE = 12


class AltTextForm(FlaskForm):
    alt_text = TextAreaField("Alt text")


def _query() -> str:
    return (request.args.get("q") or "").strip()[:MAX_QUERY]


def _render(errors: dict | None = None, status: int = 200):
    q = _query()
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = search_media(get_session(), current_actor().agency_id, q=q, page=page,
                               per_page=PER_PAGE)
    return render_template(
        "media_library/index.html", media=rows, total=total, q=q, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), uses=usage_counts(
            get_session(), [m.id for m in rows]), form=AltTextForm(formdata=None),
        errors=errors or {}, max_alt=MAX_ALT,
    ), status


@bp.route("/media-library")
def index():
    return _render()


@bp.route("/media-library/<int:media_id>/alt-text", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, "Viewers cannot change images.")
def change_alt_text(media_id: int):
    form = AltTextForm()
    try:
        update_alt_text(get_session(), actor=current_actor(), media_id=media_id,
                        alt_text=form.alt_text.data, now=now())
    except ServiceError as exc:
        discard_changes()
        if exc.status == 404:
            abort(404, "There is no such image in your agency's library.")
        return _render({media_id: exc.message}, 422)
    flash("Alt text saved. Posts already published keep the text they went out with.",
          "success")
    return redirect(url_for("media_library.index", q=_query() or None) + f"#media-{media_id}")


@bp.route("/media-library/search.json")
def search_json():
    """The compose page's picker: the newest matching images (signed-in staff only)."""
    rows, total = search_media(get_session(), current_actor().agency_id, q=_query(),
                               page=max(request.args.get("page", 1, type=int), 1),
                               per_page=PICKER_PAGE)
    return jsonify(total=total, media=[{
        "id": m.id, "filename": m.filename, "alt_text": m.alt_text, "width": m.width,
        "height": m.height, "url": url_for("media.file", media_id=m.id)} for m in rows])
