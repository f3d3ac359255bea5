"""``/review/<token>``: a named person without an account approves or sends back one post.

No login: the signed token in the URL is the permission (:mod:`content_queue.review_links`).
A forged or altered token is a 404; a used, expired or revoked one answers a page that says so
(410). The form is CSRF-protected like every other form of the app.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request

from content_queue.errors import NotFound, ServiceError
from content_queue.review_links import decide_by_link, find_link, link_state
from content_queue.states import TransitionConflict
from web.approvals.previews import previews_for
from web.common.state import discard_changes, get_session, now

bp = Blueprint("review", __name__, template_folder="templates")


def _link(token: str):
    try:
        link = find_link(get_session(), token, current_app.secret_key)
    except NotFound:
        abort(404, "There is no such review link.")
    g._tenfour_tz = link.post.author.agency.timezone  # times in the agency's zone
    return link


def _page(link, *, error: str | None = None, done: str | None = None, status: int = 200):
    post = link.post
    state = link_state(link, post, now())
    if done is None and not state.usable and error is None:
        status = 410
    response = render_template("review/page.html", link=link, post=post, state=state,
                               previews=previews_for(post), error=error, done=done,
                               agency=post.author.agency)
    return response, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                              "X-Robots-Tag": "noindex"}


@bp.route("/review/<token>", methods=["GET"])
def page(token: str):
    return _page(_link(token))


@bp.route("/review/<token>", methods=["POST"])
def decide(token: str):
    link = _link(token)
    decision = request.form.get("decision", "")
    try:
        decide_by_link(get_session(), link=link, decision=decision,
                       comment=request.form.get("comment", ""), now=now())
    except ServiceError as exc:
        discard_changes()
        return _page(link, error=exc.message, status=exc.status if exc.status < 500 else 409)
    except TransitionConflict:
        discard_changes()
        return _page(link, error="The post changed at the same moment; reload the page.",
                     status=409)
    word = "approved" if decision == "approve" else "sent back to its author"
    return _page(link, done=f"Thank you, {link.name}: the post is {word}, and your decision "
                            "is recorded under your name.")
