"""``/api/v1/targets/<id>``: a person's answer for a target whose outcome is unconfirmed.

``confirm`` {"url"}: "it is there" (with its link) → published; ``repost``: "post it again" →
scheduled, due now. Both answer with the target's JSON; refusals use the API's error shape.
"""

from __future__ import annotations

from flask import jsonify

from content_queue.models import AUTHOR_ROLES
from content_queue.outcomes import confirm_target, repost_target
from web.api.blueprint import bp
from web.api.common import api_actor, json_body
from web.api.shapes import target_to_dict
from web.common.auth import roles_allowed
from web.common.state import get_session, now


@bp.post("/targets/<int:target_id>/confirm")
@roles_allowed(AUTHOR_ROLES, "Only the post's author, an approver or an admin can say what "
               "happened to a post.")
def confirm(target_id: int):
    url = json_body().get("url")
    target = confirm_target(get_session(), actor=api_actor(), target_id=target_id, url=url,
                            now=now())
    return jsonify(target_to_dict(target))


@bp.post("/targets/<int:target_id>/repost")
@roles_allowed(AUTHOR_ROLES, "Only the post's author, an approver or an admin can say what "
               "happened to a post.")
def repost(target_id: int):
    json_body(required=False)
    target = repost_target(get_session(), actor=api_actor(), target_id=target_id, now=now())
    return jsonify(target_to_dict(target))
