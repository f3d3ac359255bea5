"""issue 8 approvals in the JSON API: the approval queue, a post's comments and versions,
editing a post (``POST /posts/<id>/edit``; not PATCH on the post's own path, where
Werkzeug would answer a too-large id with 405 instead of 404), review links, and the agency's approval rules.

``POST /posts/<id>/approve`` and ``/reject`` stay in :mod:`web.api.posts` (same paths and
answers as before); they now take ``{"comment"}`` (``/reject`` also the older ``{"reason"}``),
which goes to the post's thread, and the author is told.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, url_for

from content_queue.approvals import (MAX_COMMENT, add_comment, approval_queue, list_comments,
                                     update_rules)
from content_queue.bidi import bidi_controls
from content_queue.errors import Forbidden, ValidationFailed
from content_queue.models import APPROVER_ROLES, AUTHOR_ROLES
from content_queue.post_edits import edit_post
from content_queue.review_links import create_link, revoke_link
from content_queue.services import MAX_ACCOUNTS, MAX_TEXT, get_post
from content_queue.timeutil import LocalTimeError, parse_iso_instant
from content_queue.versions import list_versions, previous_of, unified_diff
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body, parse_ids, parse_int_param
from web.api.openapi import PAGE, document, op, per_page
from web.api.openapi_schemas import NULLABLE_INT, NULLABLE_TEXT, TIME, obj, page_of, ref
from web.api.shapes import (comment_to_dict, post_to_dict, preview_to_dict,
                            review_link_to_dict, version_to_dict)
from web.approvals.previews import previews_for
from web.common.auth import roles_allowed
from web.common.state import get_session, now

MAX_PER_PAGE = 100


def decision_comment(body: dict[str, Any]) -> str:
    """``comment`` (or the older ``reason``) of an approve/reject body, as text."""
    value = body.get("comment")
    field = "comment"
    if value is None:
        value, field = body.get("reason"), "reason"
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be text.", code="invalid_comment",
                               fields={field: "Text."})
    return clean_text(value, field, max_length=MAX_COMMENT, too_long_code="comment_too_long")


def _queue_item(post) -> dict[str, Any]:
    controls = bidi_controls(post.text)
    return {**post_to_dict(post),
            "previews": [preview_to_dict(p) for p in previews_for(post)],
            "direction_controls": [{"position": i, "code": code, "name": name}
                                   for i, code, name in controls]}


@bp.get("/approvals")
def approvals_queue() -> Response:
    page = parse_int_param("page", 1)
    size = parse_int_param("per_page", 20, maximum=MAX_PER_PAGE)
    actor = api_actor()
    if not actor.is_approver:
        raise Forbidden("Only approvers and admins see the approval queue.")
    posts, total = approval_queue(get_session(), actor, page=page, per_page=size)
    return jsonify(posts=[_queue_item(p) for p in posts], page=page, per_page=size,
                   total=total)


@bp.get("/posts/<int:post_id>/comments")
def post_comments(post_id: int) -> Response:
    page = parse_int_param("page", 1)
    size = parse_int_param("per_page", 50, maximum=MAX_PER_PAGE)
    rows, total = list_comments(get_session(), api_actor(), post_id, page=page, per_page=size)
    return jsonify(comments=[comment_to_dict(c) for c in rows], page=page, per_page=size,
                   total=total)


@bp.post("/posts/<int:post_id>/comments")
@roles_allowed(AUTHOR_ROLES, "Only approvers, admins and the post's author can comment on it.")
def new_comment(post_id: int) -> Response:
    body = json_body()
    text = clean_text(body.get("comment"), "comment", max_length=MAX_COMMENT,
                      required=True, code="comment_empty", too_long_code="comment_too_long")
    row = add_comment(get_session(), actor=api_actor(), post_id=post_id, body=text, now=now())
    response = jsonify(comment_to_dict(row))
    response.status_code = 201
    return response


@bp.get("/posts/<int:post_id>/versions")
def post_versions(post_id: int) -> Response:
    page = parse_int_param("page", 1)
    size = parse_int_param("per_page", 20, maximum=MAX_PER_PAGE)
    session = get_session()
    post = get_post(session, api_actor(), post_id)
    rows, total = list_versions(session, post.id, page=page, per_page=size)
    out = []
    for version in rows:
        before = previous_of(session, version)
        diff = (unified_diff(before.text, version.text, old_name=f"version {before.number}",
                             new_name=f"version {version.number}")
                if before is not None and "text" in version.changed else None)
        out.append(version_to_dict(version, diff))
    return jsonify(versions=out, page=page, per_page=size, total=total)


@bp.post("/posts/<int:post_id>/edit")
def change_post(post_id: int) -> Response:
    """Edit text, accounts and/or time; kept as a version; may return it to approval."""
    body = json_body()
    text = None
    if "text" in body:
        text = clean_text(body.get("text"), "text", max_length=MAX_TEXT, required=True,
                          code="text_empty")
    account_ids = None
    if "account_ids" in body:
        account_ids = parse_ids(body.get("account_ids"), "account_ids", limit=MAX_ACCOUNTS,
                                code="unknown_account", too_many_code="too_many_accounts",
                                what="an account id", empty_code="no_accounts",
                                empty_message="Choose at least one account to post to.")
    when = None
    if "scheduled_at" in body:
        raw = body.get("scheduled_at")
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationFailed("scheduled_at must be an ISO 8601 time with its UTC offset.",
                                   code="invalid_time", fields={"scheduled_at": "Invalid."})
        try:
            when = parse_iso_instant(raw.strip())
        except LocalTimeError as exc:
            raise ValidationFailed(str(exc), code=exc.code,
                                   fields={"scheduled_at": str(exc)}) from None
    post = edit_post(get_session(), actor=api_actor(), post_id=post_id, now=now(), text=text,
                     account_ids=account_ids, scheduled_at=when)
    return jsonify(post_to_dict(post))


@bp.post("/posts/<int:post_id>/review-links")
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can make or revoke a review link.")
def new_review_link(post_id: int) -> Response:
    body = json_body()
    name = clean_text(body.get("name"), "name", max_length=200, required=True,
                      code="name_required")
    link, token = create_link(get_session(), actor=api_actor(), post_id=post_id, name=name,
                              now=now(), secret_key=current_app.secret_key,
                              expires_in_hours=body.get("expires_in_hours"))
    response = jsonify(review_link_to_dict(
        link, url=url_for("review.page", token=token, _external=True)))
    response.status_code = 201
    return response


@bp.post("/review-links/<int:link_id>/revoke")
@roles_allowed(APPROVER_ROLES, "Only an approver or an admin can make or revoke a review link.")
def revoke_review_link(link_id: int) -> Response:
    json_body(required=False)
    link = revoke_link(get_session(), actor=api_actor(), link_id=link_id, now=now())
    return jsonify(review_link_to_dict(link))


def _rules(agency) -> dict[str, Any]:
    return {"pio_posts_need_approval": agency.pio_posts_need_approval,
            "second_person_required": agency.second_person_required}


@bp.get("/approvals/rules")
def read_rules() -> Response:
    return jsonify(_rules(api_actor().agency))


@bp.put("/approvals/rules")
def change_rules() -> Response:
    body = json_body()
    agency = api_actor().agency
    agency = update_rules(
        get_session(), actor=api_actor(),
        pio_posts_need_approval=body.get("pio_posts_need_approval",
                                         agency.pio_posts_need_approval),
        second_person_required=body.get("second_person_required",
                                        agency.second_person_required),
        now=now())
    return jsonify(_rules(agency))


# --- the OpenAPI description ------------------------------------------------------------------

_COMMENT = obj({"id": {"type": "integer"}, "post_id": {"type": "integer"},
                "author_id": NULLABLE_INT, "author_name": {"type": "string"},
                "kind": {"type": "string", "enum": ["comment", "approved", "rejected"]},
                "body": {"type": "string"}, "review_link_id": NULLABLE_INT,
                "created_at": TIME})
_VERSION = obj({"number": {"type": "integer"}, "text": {"type": "string"},
                "targets": {"type": "array", "items": {"type": "object"}},
                "scheduled_at": TIME,
                "changed": {"type": "array", "items": {"type": "string",
                                                       "enum": ["text", "targets",
                                                                "scheduled_at"]}},
                "edited_by_id": NULLABLE_INT, "created_at": TIME, "diff": NULLABLE_TEXT})
_LINK = obj({"id": {"type": "integer"}, "post_id": {"type": "integer"},
             "name": {"type": "string"}, "created_by_id": {"type": "integer"},
             "created_at": TIME, "expires_at": TIME, "revoked_at": TIME, "used_at": TIME,
             "decision": {"type": ["string", "null"]},
             "url": {"type": "string", "description": "Only when the link is made."}},
            required=["id", "post_id", "name", "created_by_id", "created_at", "expires_at",
                      "revoked_at", "used_at", "decision"])
_QUEUE_ITEM = {"allOf": [ref("Post"), obj({
    "previews": {"type": "array", "items": obj({
        "target_id": {"type": "integer"}, "platform": {"type": "string"},
        "handle": {"type": "string"}, "text": {"type": "string"},
        "length": {"type": "integer"}, "max_characters": {"type": "integer"}})},
    "direction_controls": {"type": "array", "items": obj({
        "position": {"type": "integer"}, "code": {"type": "string"},
        "name": {"type": "string"}})}})]}
_RULES = obj({"pio_posts_need_approval": {"type": "boolean"},
              "second_person_required": {"type": "boolean"}})
SCHEMAS = {
    "Comment": _COMMENT,
    "CommentPage": page_of("Comment", "comments"),
    "NewComment": obj({"comment": {"type": "string", "minLength": 1,
                                   "maxLength": MAX_COMMENT}}),
    "Version": _VERSION,
    "VersionPage": page_of("Version", "versions"),
    "ReviewLink": _LINK,
    "NewReviewLink": obj({"name": {"type": "string", "minLength": 1, "maxLength": 200},
                          "expires_in_hours": {"type": "integer", "minimum": 1,
                                               "maximum": 720}}, required=["name"]),
    "ApprovalQueueItem": _QUEUE_ITEM,
    "ApprovalQueue": obj({"posts": {"type": "array", "items": ref("ApprovalQueueItem")},
                          "page": {"type": "integer"}, "per_page": {"type": "integer"},
                          "total": {"type": "integer"}}),
    "Decision": obj({"comment": {"type": "string", "maxLength": MAX_COMMENT},
                     "reason": {"type": "string", "maxLength": MAX_COMMENT,
                                "description": "The older name of comment (reject)."},
                     "guard_override": {"type": "string"}}, required=[]),
    "PostChange": obj({"text": {"type": "string"},
                       "account_ids": {"type": "array", "items": {"type": "integer"}},
                       "scheduled_at": {"type": "string", "format": "date-time"}},
                      required=[]),
    "ApprovalRules": _RULES,
    "ApprovalRulesChange": obj(_RULES["properties"], required=[]),
}
_WRITE = ("403", "404", "409", "422")
for _rule, _method, _operation in (
    ("/approvals", "GET", op(
        "Posts waiting for approval, oldest first, with each account's preview (approvers)",
        "approvals", (200, "ApprovalQueue", "A page of the queue."),
        query=[PAGE, per_page(MAX_PER_PAGE, 20)], errors=("403",))),
    ("/posts/<int:post_id>/approve", "POST", op(
        "Approve a post awaiting approval; comment goes to its thread, the author is told",
        "posts", (200, "Post", "The approved post."), body="Decision", body_required=False,
        errors=_WRITE)),
    ("/posts/<int:post_id>/reject", "POST", op(
        "Send a post back to its author with a comment", "posts",
        (200, "Post", "The post, back to draft."), body="Decision", body_required=False,
        errors=_WRITE)),
    ("/posts/<int:post_id>/comments", "GET", op(
        "The post's comment thread, oldest first", "approvals",
        (200, "CommentPage", "A page of comments."), query=[PAGE, per_page(MAX_PER_PAGE)],
        errors=("404",))),
    ("/posts/<int:post_id>/comments", "POST", op(
        "Comment on a post (approvers, admins, its author)", "approvals",
        (201, "Comment", "The comment."), body="NewComment", errors=_WRITE)),
    ("/posts/<int:post_id>/versions", "GET", op(
        "The post's versions, newest first, each with its text diff", "approvals",
        (200, "VersionPage", "A page of versions."), query=[PAGE, per_page(MAX_PER_PAGE, 20)],
        errors=("404",))),
    ("/posts/<int:post_id>/edit", "POST", op(
        "Edit a post's text, accounts or time (kept as a version; may need approval again)",
        "posts", (200, "Post", "The edited post."), body="PostChange", errors=_WRITE)),
    ("/posts/<int:post_id>/review-links", "POST", op(
        "Make a review link for a named person without an account (approvers)", "approvals",
        (201, "ReviewLink", "The link, with its URL (shown once)."), body="NewReviewLink",
        errors=_WRITE)),
    ("/review-links/<int:link_id>/revoke", "POST", op(
        "Revoke a review link", "approvals", (200, "ReviewLink", "The revoked link."),
        body="Empty", body_required=False, errors=_WRITE)),
    ("/approvals/rules", "GET", op(
        "The agency's approval rules", "approvals", (200, "ApprovalRules", "The rules."))),
    ("/approvals/rules", "PUT", op(
        "Change the agency's approval rules (admins)", "approvals",
        (200, "ApprovalRules", "The rules."), body="ApprovalRulesChange",
        errors=("403", "422"))),
):
    document(_rule, _method, _operation, SCHEMAS)
