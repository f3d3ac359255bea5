"""Campaigns: a name and dates that group related posts (fire-safety week, 911 awareness…)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from content_queue.errors import ServiceError
from content_queue.services import CampaignInput, create_campaign, list_campaigns
from web.auth import current_actor
from web.forms import CampaignForm, Errors, form_errors, service_errors
from web.state import discard_changes, get_session, now

bp = Blueprint("campaigns", __name__)

GROUPS = {"name": "name", "description": "description", "starts_on": "starts_on",
          "ends_on": "ends_on"}


def _render(form: CampaignForm, errors: Errors, status: int = 200):
    campaigns = list_campaigns(get_session(), current_actor().agency_id)
    return render_template("campaigns.html", campaigns=campaigns, form=form,
                           errors=errors), status


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
