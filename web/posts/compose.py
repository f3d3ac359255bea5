"""The compose page: write a post, add images with alt text, pick accounts and a local time,
see each platform's preview and X's charge, then queue it or save a draft.

Images travel with the form (multipart) and are stored as soon as they arrive, even when the
post itself is refused (a missing time, too long for X): the page comes back with their
thumbnails and keeps their ids in hidden fields, so a PIO never uploads a photo twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from content_queue.accounts import list_accounts
from content_queue.errors import NotFound, ServiceError, ValidationFailed
from content_queue.media import MAX_ALT, MAX_UPLOAD, FORMATS, get_media, store_media
from content_queue.models import MediaAsset
from content_queue.platforms import RULES
from content_queue.campaigns import list_campaigns
from web.calendar.compose_options import queue_from_form, when_from_options  # issue 8 calendar
from content_queue.states import Status
from web.campaigns.costs import price_table
from web.common.auth import current_actor
from web.guard.views import note_refusal as note_guard_refusal  # issue 10 guard
from web.common.formatting import agency_timezone, localtime
from web.common.forms import (
    Errors,
    When,
    add_error,
    default_local_time,
    form_errors,
    resolve_when,
    service_errors,
)
from web.common.state import discard_changes, get_session, now
from web.posts.compose_extras import (
    flash_warnings,
    page_extras,
    prefill_from_post,
    replace_draft,
    variant_errors,
    variants_from_form,
)
from web.posts.forms import (
    MAX_IMAGES,
    SHOWN_IMAGE_SLOTS,
    ComposeForm,
    ImageSlot,
    image_slots,
    kept_media_ids,
)

bp = Blueprint("compose", __name__, template_folder="templates")

#: Form field → page group, and service field → page group.
FIELD_GROUPS = {"text": "text", "accounts": "accounts", "date": "when", "time": "when",
                "fold": "when", "campaign": "campaign"}
SERVICE_GROUPS = {"text": "text", "account_ids": "accounts", "scheduled_at": "when",
                  "campaign_id": "campaign", "media_ids": "images"}
MB = 1024 * 1024


@dataclass
class Images:
    """The images of one compose form: ``stored`` ones (thumbnails, ids kept in hidden fields)
    and the ``retry`` slots whose file was refused or missing (alt text and message kept)."""

    stored: list[MediaAsset] = field(default_factory=list)
    retry: list[ImageSlot] = field(default_factory=list)


def _build_form() -> tuple[ComposeForm, list, list]:
    actor = current_actor()
    session = get_session()
    accounts = [a for a in list_accounts(session, actor.agency_id) if a.status != "disabled"]
    campaigns = list_campaigns(session, actor.agency_id)
    form = ComposeForm()
    form.accounts.choices = [(a.id, a.handle) for a in accounts]
    form.campaign.choices = [("", "No campaign")] + [(str(c.id), c.name) for c in campaigns]
    return form, accounts, campaigns


def _stored_media(ids: list[int]) -> list[MediaAsset]:
    """The agency's images among ``ids`` (hidden fields can be edited: others are dropped)."""
    found = []
    for media_id in ids:
        try:
            found.append(get_media(get_session(), current_actor(), media_id))
        except NotFound:
            continue
    return found


def _images_as_sent() -> Images:
    """What the form carried, without storing anything (the form is being refused whole)."""
    return Images(stored=_stored_media(kept_media_ids(request.form)),
                  retry=[ImageSlot(alt_text=s.alt_text) for s in image_slots({}, request.form)
                         if s.alt_text.strip()])


def _store_uploads(errors: Errors) -> Images:
    """Store every attached file with its alt text; refusals become messages on their slot."""
    images = Images(stored=_stored_media(kept_media_ids(request.form)))
    problems: list[tuple[ImageSlot, str]] = []
    uploaded = 0
    for slot in image_slots(request.files, request.form):
        if not slot.has_file:
            if slot.alt_text.strip():
                problems.append((slot, "choose the image file again, or clear its alt text."))
            continue
        if len(images.stored) >= MAX_IMAGES:
            problems.append((slot, f"a post can carry at most {MAX_IMAGES} images."))
            continue
        try:
            images.stored.append(store_media(
                get_session(), actor=current_actor(), data=slot.file.read(),
                filename=slot.file.filename or "image", alt_text=slot.alt_text, now=now()))
            uploaded += 1
        except ValidationFailed as exc:
            problems.append((slot, f"{slot.file.filename}: {exc.message} Choose the file again."))
    for number, (slot, message) in enumerate(problems, start=len(images.stored) + 1):
        slot.error = f"Image {number}: {message}"
        slot.file = None
        images.retry.append(slot)
        add_error(errors, "images", slot.error)
    if uploaded:
        # Keep the new uploads whatever happens to the post: the page shows them again.
        get_session().commit()
    return images


def _page_limits() -> dict:
    """What the page's script needs to count and warn as the PIO types."""
    return {
        name: {"label": r.label, "max_chars": r.max_chars, "counting": r.counting_note,
               "max_images": r.max_images, "max_alt_text": r.max_alt_text,
               "requires_media": r.requires_media}
        for name, r in RULES.items()
    }


def _upload_limits() -> dict:
    body = request.max_content_length or 64 * MB
    return {"max_file_bytes": MAX_UPLOAD, "max_total_bytes": body - MB, "max_alt": MAX_ALT,
            "types": sorted(FORMATS.values())}


def render_compose(form: ComposeForm, accounts: list, campaigns: list, errors: Errors,
                   when: When | None = None, status: int = 200, images: Images | None = None,
                   variants: dict | None = None, continue_draft: int | None = None):
    if images is None:
        images = _images_as_sent() if request.method == "POST" else Images()
    free = MAX_IMAGES - len(images.stored)
    slots = (images.retry + [ImageSlot() for _ in range(free)])[:free]
    # Show SHOWN_IMAGE_SLOTS images in all (at least one empty slot), every slot to retry.
    shown = max(len(images.retry), min(free, max(1, SHOWN_IMAGE_SLOTS - len(images.stored))))
    return render_template(
        "posts/compose.html", form=form, accounts=accounts, campaigns=campaigns, errors=errors,
        fold_choices=when.fold_choices if when else [], limits=_page_limits(),
        tz_name=agency_timezone(), stored_media=images.stored, slots=slots,
        visible_slots=shown,
        max_alt=MAX_ALT, upload_limits=_upload_limits(), prices=price_table(),
        continue_draft=continue_draft or request.form.get("continue_draft", type=int),
        **page_extras(accounts, variants),
    ), status


@bp.route("/posts/new", methods=["GET", "POST"])
def compose():
    if not current_user.can_write:
        abort(403, "Viewers can read the queue but cannot write posts.")
    form, accounts, campaigns = _build_form()
    if request.method == "GET":
        suggested = default_local_time(now(), agency_timezone())
        form.date.data, form.time.data = suggested.date(), suggested.time()
        wanted = request.args.get("account", type=int)
        form.accounts.data = [wanted] if wanted in {a.id for a in accounts} else []
        source = request.args.get("from", type=int)
        filled = prefill_from_post(form, source) if source else None
        if filled is not None:  # issue 8: continue a draft, or start from a copy
            variants, media_ids = filled
            draft = request.args.get("continue") == "1"
            return render_compose(form, accounts, campaigns, {}, variants=variants,
                                  images=Images(stored=_stored_media(media_ids)),
                                  continue_draft=source if draft else None)
        return render_compose(form, accounts, campaigns, {})

    form.validate()
    errors = form_errors(form, FIELD_GROUPS)
    images = _store_uploads(errors)
    when = resolve_when(form.date.data, form.time.data, form.fold.data, agency_timezone())
    when = when_from_options(when, form.accounts.data or [])  # issue 8 calendar: next free slot
    if when.error:
        add_error(errors, "when", when.error)
    if errors:
        return render_compose(form, accounts, campaigns, errors, when, 422, images)

    submit = request.form.get("action", "queue") != "draft"
    try:
        post = queue_from_form(get_session(), actor=current_actor(), text=form.text.data or "",  # issue 8 calendar: repeat
                          account_ids=form.accounts.data or [], scheduled_at=when.instant,
                          now=now(), campaign_id=form.campaign.data or None,
                          media_ids=[m.id for m in images.stored], submit=submit,
                          variants=variants_from_form(accounts, form.accounts.data or []),
                          guard_override=request.form.get("guard_override") or None)  # issue 10
        replace_draft(post)
    except ServiceError as exc:
        discard_changes()
        note_guard_refusal(exc)  # issue 10 guard: the page marks the refused words
        return render_compose(form, accounts, campaigns,
                              variant_errors(service_errors(exc, SERVICE_GROUPS), exc),
                              when, 422, images)
    flash_warnings(post)
    status = post.targets[0].status
    if status == Status.SCHEDULED.value:
        flash(f"Scheduled for {localtime(when.instant)}.", "success")
    elif status == Status.AWAITING_APPROVAL.value:
        flash("Queued. It is awaiting approval by a supervisor.", "success")
    else:
        flash("Saved as a draft. Submit it when it is ready.", "success")
    return redirect(url_for("posts.detail", post_id=post.id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge):
    limit = (request.max_content_length or 0) // MB
    message = (f"The images attached to this post add up to more than {limit} MB, so nothing "
               f"was saved. Go back, attach fewer or smaller images (each at most "
               f"{MAX_UPLOAD // MB} MB), and press the button again.")
    return render_template("error.html", status=413, title="Images too large",
                           message=message), 413


def render_compose_after_csrf():
    """The form's CSRF token was refused (expired session): nothing was saved, text kept."""
    form, accounts, campaigns = _build_form()
    errors = {"form": ["For your security this form had expired, so nothing was saved. Your "
                       "post is still below: check it, choose any new images again, and press "
                       "the button again."]}
    return render_compose(form, accounts, campaigns, errors, None, 400)
