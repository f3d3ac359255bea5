"""``/api/v1/posts``: create (images by ``media_ids`` from ``/api/v1/media``), read, list, and
the approval and scheduling verbs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request, url_for

from content_queue.errors import ValidationFailed
from content_queue.media import MAX_MEDIA
from content_queue.models import AUTHOR_ROLES
from content_queue.reading import list_posts
from content_queue.services import (
    cancel_post,
    get_post,
    queue_post,
    reschedule_post,
)
from content_queue.services import MAX_ACCOUNTS, MAX_TEXT
from content_queue.post_copies import duplicate_post, warnings_for_post
from content_queue.timeutil import LocalTimeError, parse_iso_instant
from content_queue.variants import clean_variants
from web.api.blueprint import bp
from web.api.guard import override_from_body  # issue 10 guard
from web.api.common import (
    api_actor,
    clean_text,
    json_body,
    parse_ids,
    parse_int_param,
    parse_optional_id,
)
from web.api.shapes import post_to_dict
from web.api.calendar import create_series  # issue 8 calendar: recurring posts
from web.api.slots import scheduled_at_or_slot  # issue 8 calendar: next free slot
from web.api.approvals import decision_comment  # issue 8 approvals
from content_queue.approvals import decide  # issue 8 approvals
from web.common.auth import roles_allowed
from web.common.state import get_session, now

MAX_PER_PAGE = 200


def _instant(body: dict[str, Any], name: str = "scheduled_at") -> datetime:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(
            f"{name} is required: an ISO 8601 time with its UTC offset "
            "(example: 2027-04-11T09:00:00-05:00).",
            code="invalid_time", fields={name: "Required, with a UTC offset."})
    try:
        return parse_iso_instant(value.strip())
    except LocalTimeError as exc:
        raise ValidationFailed(str(exc), code=exc.code, fields={name: str(exc)}) from None


@bp.post("/posts")
@roles_allowed(AUTHOR_ROLES, "Viewers can read the queue but cannot write or change posts.")
def create_post():
    # Everything is checked and bounded before the first query: the write lock is taken only
    # once the input is known to be sane (a 100,000-id list once held it for 38 s).
    body = json_body()
    submit = body.get("submit", True)
    if not isinstance(submit, bool):
        raise ValidationFailed("submit must be true or false.", fields={"submit": "Boolean."})
    text = clean_text(body.get("text"), "text", max_length=MAX_TEXT, code="text_empty")
    account_ids = parse_ids(body.get("account_ids"), "account_ids", limit=MAX_ACCOUNTS,
                            code="unknown_account", too_many_code="too_many_accounts",
                            what="an account id", empty_code="no_accounts",
                            empty_message="Choose at least one account to post to.")
    media_ids = parse_ids(body.get("media_ids"), "media_ids", limit=MAX_MEDIA,
                          code="unknown_media", too_many_code="too_many_media", what="a media id")
    campaign_id = parse_optional_id(body.get("campaign_id"), "campaign_id",
                                    what="a campaign id")
    scheduled_at = scheduled_at_or_slot(body, account_ids, _instant)  # issue 8 calendar: "slot"
    variants = clean_variants(body.get("variants"))
    if body.get("recurrence") is not None:  # issue 8 calendar: a recurring series
        return create_series(body["recurrence"], scheduled_at, dict(
            text=text, account_ids=account_ids, campaign_id=campaign_id, media_ids=media_ids,
            submit=submit, variants=variants, guard_override=body.get("guard_override")))
    post = queue_post(get_session(), actor=api_actor(), text=text, account_ids=account_ids,
                      scheduled_at=scheduled_at, now=now(), campaign_id=campaign_id,
                      media_ids=media_ids, submit=submit, variants=variants,
                      guard_override=body.get("guard_override"))  # issue 10 guard
    # issue 8: "warnings" (not refusals), e.g. the same text already scheduled within 24 h
    response = jsonify({**post_to_dict(post), "warnings": warnings_for_post(get_session(), post)})
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_post", post_id=post.id)
    return response


@bp.get("/posts")
def list_all_posts():
    page = parse_int_param("page", 1)
    per_page = parse_int_param("per_page", 50, maximum=MAX_PER_PAGE)
    posts, total = list_posts(get_session(), api_actor(), status=request.args.get("status") or None,
                              page=page, per_page=per_page)
    return jsonify(posts=[post_to_dict(p) for p in posts], page=page, per_page=per_page,
                   total=total)


@bp.get("/posts/<int:post_id>")
def read_post(post_id: int):
    return jsonify(post_to_dict(get_post(get_session(), api_actor(), post_id)))


@bp.post("/posts/<int:post_id>/approve")
def approve(post_id: int):
    body = json_body(required=False)
    override_from_body(body, post_id)  # issue 10 guard: approver's override
    # issue 8 approvals: {"comment"} (optional) goes to the post's thread; the author is told
    post = decide(get_session(), actor=api_actor(), post_id=post_id, decision="approve",
                  comment=decision_comment(body), now=now())
    return jsonify(post_to_dict(post))


@bp.post("/posts/<int:post_id>/reject")
def reject(post_id: int):
    # issue 8 approvals: {"comment"}, or the older {"reason"}, goes to the thread
    comment = decision_comment(json_body(required=False))
    post = decide(get_session(), actor=api_actor(), post_id=post_id, decision="reject",
                  comment=comment, now=now())
    return jsonify(post_to_dict(post))


@bp.post("/posts/<int:post_id>/cancel")
def cancel(post_id: int):
    json_body(required=False)
    post = cancel_post(get_session(), actor=api_actor(), post_id=post_id, now=now())
    return jsonify(post_to_dict(post))


@bp.post("/posts/<int:post_id>/reschedule")
@roles_allowed(AUTHOR_ROLES, "Viewers can read the queue but cannot write or change posts.")
def reschedule(post_id: int):
    when = _instant(json_body())
    post = reschedule_post(get_session(), actor=api_actor(), post_id=post_id,
                           scheduled_at=when, now=now())
    return jsonify(post_to_dict(post))


@bp.post("/posts/<int:post_id>/duplicate")
def duplicate(post_id: int):
    """A new draft with the post's text, variants, images, accounts and campaign (issue 8)."""
    json_body(required=False)
    post = duplicate_post(get_session(), actor=api_actor(), post_id=post_id, now=now())
    response = jsonify({**post_to_dict(post), "warnings": warnings_for_post(get_session(), post)})
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_post", post_id=post.id)
    return response
