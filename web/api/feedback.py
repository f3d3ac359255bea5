"""``GET /api/v1/feedback?from=&to=&flag=&highlighted=`` (the wall, newest first; ``page``,
``per_page``) and ``POST /api/v1/feedback/<id>/hide``, ``/unhide``, ``/highlight``,
``/unhighlight`` (approvers and admins; audited).

Viewers and PIOs never receive hidden replies (personal information, or hidden by an
approver); approvers receive them with ``hidden_reason``. ``sentiment`` is the label
(positive, neutral, negative), ``sentiment_score`` VADER's compound score.
"""

from __future__ import annotations

from flask import jsonify, request

from content_queue import feedback
from content_queue.sentiment import LABELS
from content_queue.models import APPROVER_ROLES, User
from web.api.blueprint import bp
from web.api.common import ApiError, api_actor, parse_int_param
from web.api.openapi import PAGE, document, op, per_page
from web.api.openapi_schemas import NULLABLE_TEXT, TIME, obj, page_of
from web.common.auth import roles_allowed
from web.common.state import get_session, now
from web.feedback.filters import parse_wall_filter

MAX_PER_PAGE = 200
MODERATORS_ONLY = "Only an approver or an admin can hide or highlight replies."


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def reply_to_dict(entry: feedback.WallEntry) -> dict:
    reply = entry.reply
    return {
        "id": reply.id,
        "target_id": reply.target_id,
        "post_id": entry.post.id,
        "platform": entry.account.platform,
        "author": reply.author,
        "text": reply.text,
        "created_at": _iso(reply.created_at),
        "url": reply.url,
        "sentiment": entry.sentiment_label,
        "flags": list(reply.flags or []),
        "hidden": reply.hidden,
        "highlighted": reply.highlighted,
        "sentiment_score": reply.sentiment,
        "hidden_reason": reply.hidden_reason,
        "deleted_on_platform_at": _iso(reply.deleted_on_platform_at),
    }


@bp.get("/feedback")
def list_feedback():
    actor = api_actor()
    page = parse_int_param("page", 1, maximum=100_000)
    per_page = parse_int_param("per_page", 50, maximum=MAX_PER_PAGE)
    wall = parse_wall_filter(request.args, actor.agency.timezone,
                             include_hidden=actor.is_approver, view_default="newest")
    entries, total = feedback.list_wall(get_session(), actor.agency_id, wall, page=page,
                                        per_page=per_page)
    return jsonify(replies=[reply_to_dict(e) for e in entries], page=page, per_page=per_page,
                   total=total)


def _moderate(reply_id: int, action: str):
    actor: User = api_actor()
    session = get_session()
    reply = feedback.get_reply(session, actor.agency_id, reply_id)
    if reply is None:
        raise ApiError(404, "not_found", f"There is no reply with id {reply_id}.")
    if action in ("hide", "unhide"):
        feedback.set_hidden(session, reply, action == "hide", actor=actor, now=now())
    else:
        feedback.set_highlighted(session, reply, action == "highlight", actor=actor, now=now())
    session.flush()
    return jsonify(reply_to_dict(feedback.entry_for(session, reply)))


@bp.post("/feedback/<int:reply_id>/hide")
@roles_allowed(APPROVER_ROLES, MODERATORS_ONLY)
def hide_reply(reply_id: int):
    return _moderate(reply_id, "hide")


@bp.post("/feedback/<int:reply_id>/unhide")
@roles_allowed(APPROVER_ROLES, MODERATORS_ONLY)
def unhide_reply(reply_id: int):
    return _moderate(reply_id, "unhide")


@bp.post("/feedback/<int:reply_id>/highlight")
@roles_allowed(APPROVER_ROLES, MODERATORS_ONLY)
def highlight_reply(reply_id: int):
    return _moderate(reply_id, "highlight")


@bp.post("/feedback/<int:reply_id>/unhighlight")
@roles_allowed(APPROVER_ROLES, MODERATORS_ONLY)
def unhighlight_reply(reply_id: int):
    return _moderate(reply_id, "unhighlight")


# --- the OpenAPI description ----------------------------------------------------------------

_BOUND = ("A day such as 2027-04-11 (the agency's time; `to` includes it) or a time with its "
          "UTC offset.")
SCHEMAS = {
    "FeedbackReply": obj({
        "id": {"type": "integer"}, "target_id": {"type": "integer"},
        "post_id": {"type": "integer"}, "platform": {"type": "string"},
        "author": {"type": "string"}, "text": {"type": "string"}, "created_at": TIME,
        "url": NULLABLE_TEXT,
        "sentiment": {"type": "string", "enum": list(LABELS)},
        "flags": {"type": "array", "items": {"type": "string", "enum": list(
            feedback.FLAG_NAMES)}},
        "hidden": {"type": "boolean"}, "highlighted": {"type": "boolean"},
        "sentiment_score": {"type": ["number", "null"]}, "hidden_reason": NULLABLE_TEXT,
        "deleted_on_platform_at": TIME,
    }),
    "FeedbackPage": page_of("FeedbackReply", "replies"),
}
document("/feedback", "GET", op(
    "The community feedback wall: replies to the agency's posts, emergencies first", "feedback",
    (200, "FeedbackPage", "A page of replies (hidden ones only for approvers)."),
    errors=("422",),
    query=[("from", {"type": "string"}, "Replies from. " + _BOUND),
           ("to", {"type": "string"}, "Replies up to. " + _BOUND),
           ("flag", {"type": "string", "enum": list(feedback.FLAG_NAMES)},
            "Only replies with this flag."),
           ("highlighted", {"type": "string", "enum": ["true", "false"]},
            "Only replies on (or off) the shift briefing."),
           PAGE, per_page(MAX_PER_PAGE)]), SCHEMAS)
for _verb, _summary in (("hide", "Hide a reply from the wall"),
                        ("unhide", "Show a hidden reply on the wall again"),
                        ("highlight", "Put a reply on the shift briefing"),
                        ("unhighlight", "Take a reply off the shift briefing")):
    document(f"/feedback/<int:reply_id>/{_verb}", "POST", op(
        f"{_summary} (approvers, admins)", "feedback",
        (200, "FeedbackReply", "The reply."), errors=("403", "404")), SCHEMAS)
