"""``/api/v1/kits``: the campaign kits, and starting one (a campaign of drafts)."""

from __future__ import annotations

from flask import jsonify

from content_queue.errors import ValidationFailed
from content_queue.kits import start_kit
from content_queue.models import AUTHOR_ROLES
from content_queue.services import MAX_ACCOUNTS
from web.api.blueprint import bp
from web.api.common import api_actor, json_body, parse_ids
from web.api.shapes import campaign_to_dict, post_to_dict
from web.common.auth import roles_allowed
from web.common.state import get_session, now
from web.kits.catalog import catalog, kit_or_404, kit_post_to_dict, kit_to_dict, \
    parse_start_date


@bp.get("/kits")
def list_kits():
    api_actor()
    return jsonify(kits=[kit_to_dict(k) for k in catalog().kits.values()])


@bp.post("/kits/<kit_id>/start")
@roles_allowed(AUTHOR_ROLES, "Viewers can read kits but cannot start them.")
def start(kit_id: str):
    body = json_body()
    kit = kit_or_404(kit_id)
    year = body.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ValidationFailed("year must be a whole number such as 2027.", code="invalid_year",
                               fields={"year": "A year such as 2027."})
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise ValidationFailed("fields must be an object of field names to values.",
                               code="invalid_fields", fields={"fields": "Must be an object."})
    account_ids = parse_ids(body.get("account_ids"), "account_ids", limit=MAX_ACCOUNTS,
                            code="unknown_account", too_many_code="too_many_accounts",
                            what="an account id", empty_code="no_accounts",
                            empty_message="Choose at least one account to post to.")
    started = start_kit(get_session(), actor=api_actor(), kit=kit, fields=fields,
                        account_ids=account_ids, now=now(), year=year,
                        start_date=parse_start_date(body.get("start_date")))
    posts = []
    for post in started.posts:
        shape = post_to_dict(post)
        shape["kit_post"] = kit_post_to_dict(started.kit_posts.get(post.id))
        posts.append(shape)
    response = jsonify(campaign=campaign_to_dict(started.campaign, post_count=len(posts)),
                       posts=posts)
    response.status_code = 201
    return response
