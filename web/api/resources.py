"""``/api/v1/accounts`` and ``/api/v1/campaigns``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify, url_for

from content_queue.accounts import add_account, list_accounts
from content_queue.costs import estimate_campaign_costs
from content_queue.errors import Forbidden, NotFound, ValidationFailed
from content_queue.models import Campaign
from content_queue.campaigns import CampaignInput, create_campaign, list_campaigns
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body
from web.api.shapes import account_to_dict, campaign_to_dict
from web.campaigns.costs import count_campaign_posts, price_table
from web.common.state import get_session, get_state, now


@bp.get("/accounts")
def accounts():
    rows = list_accounts(get_session(), api_actor().agency_id)
    return jsonify(accounts=[account_to_dict(a) for a in rows])


#: No name, handle, address or description here is anywhere near this long.
MAX_FIELD = 5000


def _text(body: dict[str, Any], name: str) -> str:
    return clean_text(body.get(name, ""), name, max_length=MAX_FIELD,
                      too_long_code="validation_failed")


@bp.post("/accounts")
def create_account():
    actor = api_actor()
    if actor.role != "admin":
        raise Forbidden("Only an admin can connect social accounts.")
    body = json_body()
    account = add_account(
        get_session(), get_state().cipher, actor=actor, platform=_text(body, "platform"),
        handle=_text(body, "handle"), credentials=body.get("credentials"), now=now(),
        display_name=_text(body, "display_name"),
        api_base_url=_text(body, "api_base_url") or None,
        allowed_hosts=get_state().settings.allowed_hosts,
        default_base_url=get_state().settings.default_base_urls.get(str(body.get("platform") or "").strip().lower()),
    )
    return jsonify(account_to_dict(account)), 201


def _campaign_dicts(rows: list[Campaign]) -> list[dict[str, Any]]:
    ids = [c.id for c in rows]
    estimates = estimate_campaign_costs(get_session(), ids, price_table())
    posts = count_campaign_posts(get_session(), ids)
    return [campaign_to_dict(c, post_count=posts.get(c.id, 0), estimate=estimates[c.id])
            for c in rows]


def _date(body: dict[str, Any], name: str) -> date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a date such as 2027-04-11.",
                               fields={name: "Use YYYY-MM-DD."}) from None


@bp.get("/campaigns")
def campaigns():
    rows = list_campaigns(get_session(), api_actor().agency_id)
    return jsonify(campaigns=_campaign_dicts(rows))


@bp.get("/campaigns/<int:campaign_id>")
def read_campaign(campaign_id: int):
    campaign = get_session().get(Campaign, campaign_id)
    if campaign is None or campaign.agency_id != api_actor().agency_id:
        raise NotFound(f"No campaign with id {campaign_id}.")
    return jsonify(_campaign_dicts([campaign])[0])


@bp.post("/campaigns")
def create_campaign_route():
    body = json_body()
    data = CampaignInput(name=_text(body, "name"), description=_text(body, "description"),
                         starts_on=_date(body, "starts_on"), ends_on=_date(body, "ends_on"))
    campaign = create_campaign(get_session(), actor=api_actor(), data=data, now=now())
    response = jsonify(campaign_to_dict(campaign))
    response.headers["Location"] = url_for("api.read_campaign", campaign_id=campaign.id)
    return response, 201
