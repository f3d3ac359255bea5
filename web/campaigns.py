"""Campaigns: a name and dates that group related posts (fire-safety week, 911 awareness…),
each with its post count and what the platforms will charge for the posts not yet sent."""

from __future__ import annotations

from typing import Iterable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.costs import estimate_campaign_costs, format_usd, unit_price
from content_queue.errors import ServiceError
from content_queue.models import Post
from content_queue.campaigns import CampaignInput, create_campaign, list_campaigns
from web.auth import current_actor
from web.forms import CampaignForm, Errors, form_errors, service_errors
from web.state import discard_changes, get_session, get_state, now

bp = Blueprint("campaigns", __name__)

GROUPS = {"name": "name", "description": "description", "starts_on": "starts_on",
          "ends_on": "ends_on"}


def price_table() -> dict[str, float]:
    """The configured per-post prices, as the mapping ``content_queue.costs`` takes."""
    settings = get_state().settings
    return {"x_price_per_post": settings.x_price_per_post,
            "x_price_per_link_post": settings.x_price_per_link_post}


def count_campaign_posts(session: Session, campaign_ids: Iterable[int]) -> dict[int, int]:
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = session.execute(select(Post.campaign_id, func.count()).where(Post.campaign_id.in_(ids))
                           .group_by(Post.campaign_id))
    return {campaign_id: n for campaign_id, n in rows}


def _render(form: CampaignForm, errors: Errors, status: int = 200):
    session = get_session()
    campaigns = list_campaigns(session, current_actor().agency_id)
    ids = [c.id for c in campaigns]
    prices = price_table()
    return render_template(
        "campaigns.html", campaigns=campaigns, form=form, errors=errors,
        estimates=estimate_campaign_costs(session, ids, prices),
        post_counts=count_campaign_posts(session, ids), usd=format_usd,
        x_prices={"per_post": unit_price(prices, "x_price_per_post"),
                  "per_link_post": unit_price(prices, "x_price_per_link_post")},
    ), status


@bp.route("/campaigns")
def index():
    return _render(CampaignForm(formdata=None), {})


@bp.route("/campaigns", methods=["POST"])
def create():
    if not current_user.can_write:
        abort(403, "Viewers can read campaigns but cannot create them.")
    form = CampaignForm()
    form.validate()
    errors = form_errors(form, GROUPS)
    if errors:
        return _render(form, errors, 422)
    data = CampaignInput(name=form.name.data or "", description=form.description.data or "",
                         starts_on=form.starts_on.data, ends_on=form.ends_on.data)
    try:
        campaign = create_campaign(get_session(), actor=current_actor(), data=data, now=now())
    except ServiceError as exc:
        discard_changes()
        return _render(form, service_errors(exc, GROUPS), 422)
    flash(f"Created the campaign “{campaign.name}”.", "success")
    return redirect(url_for("campaigns.index"))
