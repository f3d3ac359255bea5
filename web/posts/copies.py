"""The post page's "Duplicate as a new draft" button, and the compose page's live repeat
warning (issue 8)."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from content_queue.accounts import list_accounts
from content_queue.errors import ServiceError
from content_queue.post_copies import duplicate_post, same_text_warnings
from web.common.auth import current_actor
from web.common.formatting import agency_timezone
from web.common.forms import resolve_when
from web.common.state import discard_changes, get_session, now
from web.posts.compose import bp
from web.posts.compose_extras import flash_warnings, variants_from_form


@bp.route("/posts/<int:post_id>/duplicate", methods=["POST"])
def duplicate(post_id: int):
    if not current_user.can_write:
        abort(403, "Viewers can read the queue but cannot write posts.")
    try:
        copy = duplicate_post(get_session(), actor=current_actor(), post_id=post_id, now=now())
    except ServiceError as exc:
        discard_changes()
        if exc.status == 404:
            abort(404, "There is no such post in your agency's queue.")
        flash(exc.message, "error")
        return redirect(url_for("posts.detail", post_id=post_id))
    flash(f"Copied post {post_id} as a new draft. Check its time, then submit it.", "success")
    flash_warnings(copy)
    return redirect(url_for("posts.detail", post_id=copy.id))


@bp.route("/posts/new/repeats", methods=["POST"])
def repeats():
    """The compose page asks, as the PIO types, whether the same text is already going out on
    a chosen account within a day of the chosen time: warnings only, nothing is refused or
    saved (the same words are flashed again when the post is queued)."""
    if not current_user.can_write:
        abort(403, "Viewers can read the queue but cannot write posts.")
    agency_id = current_actor().agency_id
    chosen = {int(v) for v in request.form.getlist("accounts") if v.isdigit()}
    text = (request.form.get("text") or "").replace("\r\n", "\n")
    try:
        day = date.fromisoformat(request.form.get("date") or "")
        clock = datetime.strptime((request.form.get("time") or "")[:5], "%H:%M").time()
    except ValueError:
        return jsonify(warnings=[])
    when = resolve_when(day, clock, request.form.get("fold"), agency_timezone())
    if when.instant is None or not chosen or not text.strip():
        return jsonify(warnings=[])
    session = get_session()
    accounts = [a for a in list_accounts(session, agency_id) if a.id in chosen]
    variants = variants_from_form(accounts, chosen)
    texts = {a.id: variants.get(a.platform, text) for a in accounts}
    return jsonify(warnings=same_text_warnings(session, agency_id, when=when.instant,
                                               texts=texts, accounts=accounts))
