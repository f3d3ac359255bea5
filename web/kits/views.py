"""The kits pages: every kit (and any kit file with an error), a kit's start form, and the
campaign a kit started with its drafts. Also the consent form on a post's page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from content_queue.accounts import list_accounts
from content_queue.consent import consent_required, consents_for, record_consent
from content_queue.errors import ServiceError, ValidationFailed
from content_queue.kits import Kit, start_kit, usual_posting_time
from content_queue.kits.dates import next_npstw_year
from content_queue.models import Campaign, KitPost, KitRun, Post
from content_queue.services import get_post
from content_queue.timeutil import utc_to_local
from web.common.auth import current_actor
from web.common.forms import Errors, service_errors
from web.common.state import discard_changes, get_session, now
from web.kits.catalog import catalog, parse_start_date

bp = Blueprint("kits", __name__, template_folder="templates")


class CsrfOnly(FlaskForm):
    """The kit's fields are declared by the kit file, so the form only checks the CSRF token."""


@bp.app_template_global()
def consent_panel(post: Post) -> dict:
    """What the post page's consent panel shows (see ``kits/consent_panel.html``)."""
    session = get_session()
    return {"required": consent_required(session, post),
            "consents": consents_for(session, post.id)}


@bp.route("/kits")
def index():
    found = catalog()
    return render_template("kits/index.html", kits=list(found.kits.values()),
                           errors=found.errors)


def _kit(kit_id: str) -> Kit:
    kit = catalog().get(kit_id)
    if kit is None:
        abort(404, "There is no such kit.")
    return kit


def _render_form(kit: Kit, values: dict, errors: Errors, status: int = 200):
    actor = current_actor()
    accounts = [a for a in list_accounts(get_session(), actor.agency_id)
                if a.status != "disabled"]
    today = utc_to_local(now(), actor.agency.timezone).date()
    return render_template(
        "kits/start.html", kit=kit, values=values, errors=errors, accounts=accounts,
        form=CsrfOnly(formdata=None), default_year=next_npstw_year(today),
        posting_time=usual_posting_time(actor.agency, kit), tz_name=actor.agency.timezone,
    ), status


@bp.route("/kits/<kit_id>")
def start_form(kit_id: str):
    kit = _kit(kit_id)
    return _render_form(kit, {}, {})


@bp.route("/kits/<kit_id>", methods=["POST"])
def start(kit_id: str):
    kit = _kit(kit_id)
    if not current_user.can_write:
        abort(403, "Viewers can read kits but cannot start them.")
    form = CsrfOnly()
    if not form.validate():
        abort(400, "The form expired; reload the page and try again.")
    values = {f.name: request.form.get(f"field-{f.name}", "") for f in kit.fields}
    raw = {**values, "year": request.form.get("year", ""),
           "start_date": request.form.get("start_date", ""),
           "account_ids": request.form.getlist("accounts")}
    groups = {f.name: f.name for f in kit.fields}
    groups.update({"year": "year", "start_date": "start_date", "account_ids": "accounts"})
    try:
        year = None
        if kit.anchor == "npstw" and raw["year"].strip():
            text = raw["year"].strip()
            if not (text.isascii() and text.isdigit()):
                raise ValidationFailed("Enter a year such as 2027.", code="invalid_year",
                                       fields={"year": "A year such as 2027."})
            year = int(text)
        start_date = parse_start_date(raw["start_date"]) if kit.anchor == "start_date" else None
        started = start_kit(get_session(), actor=current_actor(), kit=kit, fields=values,
                            account_ids=[a for a in raw["account_ids"] if a], now=now(),
                            year=year, start_date=start_date)
    except ServiceError as exc:
        discard_changes()
        return _render_form(kit, raw, service_errors(exc, groups), 422)
    flash(f"Started “{started.campaign.name}”: {len(started.posts)} draft posts. Read each one, "
          "add its image, then submit it.", "success")
    return redirect(url_for("kits.campaign", campaign_id=started.campaign.id))


@bp.route("/kits/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    session = get_session()
    actor = current_actor()
    found = session.get(Campaign, campaign_id)
    if found is None or found.agency_id != actor.agency_id:
        abort(404, "There is no such campaign in your agency.")
    run = session.scalar(select(KitRun).where(KitRun.campaign_id == campaign_id))
    rows = {r.post_id: r for r in session.scalars(
        select(KitPost).where(KitPost.run_id == run.id))} if run else {}
    posts = list(session.scalars(
        select(Post).where(Post.campaign_id == campaign_id)
        .order_by(Post.first_scheduled_at, Post.id)))
    return render_template("kits/campaign.html", campaign=found, run=run, posts=posts,
                           rows=rows)


@bp.route("/posts/<int:post_id>/consents", methods=["POST"])
def record(post_id: int):
    if not current_user.can_write:
        abort(403, "Viewers cannot record consent.")
    form = CsrfOnly()
    if not form.validate():
        abort(400, "The form expired; reload the page and try again.")
    try:
        get_post(get_session(), current_actor(), post_id)
    except ServiceError:
        abort(404, "There is no such post in your agency's queue.")
    try:
        record_consent(get_session(), actor=current_actor(), post_id=post_id,
                       person_name=request.form.get("person_name", ""),
                       given_by=request.form.get("given_by", ""),
                       given_on=request.form.get("given_on", ""),
                       purpose=request.form.get("purpose", ""),
                       covers_name=bool(request.form.get("covers_name")),
                       covers_photo=bool(request.form.get("covers_photo")), now=now())
    except ServiceError as exc:
        discard_changes()
        flash(exc.message, "error")
    else:
        flash("Consent recorded.", "success")
    return redirect(url_for("posts.detail", post_id=post_id) + "#consent")

