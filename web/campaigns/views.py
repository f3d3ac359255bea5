"""The campaigns page: a name and dates that group related posts (fire-safety week, 911
awareness…), each with its post count and what the platforms will charge for the posts not yet
sent (:mod:`.costs`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from content_queue.campaigns import CampaignInput, create_campaign, list_campaigns
from content_queue.costs import estimate_campaign_costs, format_usd, unit_price
from content_queue.errors import ServiceError
from web.campaigns.costs import count_campaign_posts, price_table
from web.campaigns.forms import CampaignForm
from web.common.auth import current_actor
from web.common.forms import Errors, form_errors, service_errors
from web.common.state import discard_changes, get_session, now

bp = Blueprint("campaigns", __name__, template_folder="templates")

GROUPS = {"name": "name", "description": "description", "starts_on": "starts_on",
          "ends_on": "ends_on"}


def _render(form: CampaignForm, errors: Errors, status: int = 200):
    session = get_session()
    campaigns = list_campaigns(session, current_actor().agency_id)
    ids = [c.id for c in campaigns]
    prices = price_table()
    return render_template(
        "campaigns/index.html", campaigns=campaigns, form=form, errors=errors,
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
