"""What issue 8 adds to the compose page, kept beside it: per-platform variants, each
account's own limit, templates, the media library picker, the repeat warning, and opening the
page from an existing post (a draft to continue, or a copy)."""

from __future__ import annotations

from typing import Any, Iterable

from flask import flash, request

from content_queue.errors import ServiceError
from content_queue.media_library import search_media
from content_queue.models import SocialAccount
from content_queue.post_copies import warnings_for_post
from content_queue.post_templates import default_values, list_templates, template_fields
from content_queue.services import get_post
from content_queue.states import Status
from content_queue.timeutil import utc_to_local
from content_queue.transitions import transition
from content_queue.variants import limit_of, variants_of
from web.common.auth import current_actor
from web.common.forms import Errors, add_error
from web.common.state import get_session, now

#: Library images offered on the page before the PIO searches.
PICKER_SIZE = 12
#: Templates offered in the picker (the templates page lists them all).
TEMPLATE_CHOICES = 200


def variants_from_form(accounts: Iterable[SocialAccount], chosen_ids: Iterable[int]) -> dict:
    """``variant-<platform>`` fields, for the platforms of the chosen accounts only."""
    chosen = set(chosen_ids or [])
    platforms = {a.platform for a in accounts if a.id in chosen}
    return {p: request.form.get(f"variant-{p}", "") for p in sorted(platforms)
            if request.form.get(f"variant-{p}", "").strip()}


def variant_errors(errors: Errors, exc: ServiceError) -> Errors:
    """Put a refused variant's messages beside its own text box (``variant-<platform>``)."""
    for platform, messages in (exc.fields.get("variants") or {}).items() \
            if isinstance(exc.fields.get("variants"), dict) else ():
        for message in messages if isinstance(messages, list) else [messages]:
            add_error(errors, f"variant-{platform}", str(message))
    return errors


def page_extras(accounts: list[SocialAccount], variants: dict[str, str] | None = None) -> dict:
    """Template context for the compose page's issue 8 parts."""
    actor = current_actor()
    session = get_session()
    templates, _ = list_templates(session, actor.agency_id, per_page=TEMPLATE_CHOICES)
    library, library_total = search_media(session, actor.agency_id, per_page=PICKER_SIZE)
    if variants is None:
        variants = {key[len("variant-"):]: value for key, value in request.form.items()
                    if key.startswith("variant-")}
    return {
        "variants": variants,
        "variant_platforms": sorted({a.platform for a in accounts}),
        "account_limits": {a.id: limit_of(a) for a in accounts},
        "post_templates": [{"id": t.id, "name": t.name, "text": t.text,
                            "fields": template_fields(t.text)} for t in templates],
        "template_defaults": default_values(actor.agency),
        "library": library,
        "library_total": library_total,
        "library_chosen": {int(v) for v in request.form.getlist("media_ids") if v.isdigit()},
    }


def prefill_from_post(form: Any, post_id: int) -> tuple[dict[str, str], list[int]] | None:
    """Fill the form from one of the agency's posts (``/posts/new?from=<id>``): its text,
    accounts, campaign and time. Returns its variants and image ids, or None if not found."""
    try:
        post = get_post(get_session(), current_actor(), post_id)
    except ServiceError:
        return None
    form.text.data = post.text
    form.accounts.data = [t.account_id for t in post.targets]
    form.campaign.data = str(post.campaign_id) if post.campaign_id else ""
    if post.first_scheduled_at is not None:
        local = utc_to_local(post.first_scheduled_at, current_actor().agency.timezone)
        form.date.data, form.time.data = local.date(), local.time().replace(second=0,
                                                                            microsecond=0)
    return variants_of(post), [m.id for m in post.media]


def flash_warnings(post) -> None:
    for warning in warnings_for_post(get_session(), post):
        flash(warning, "warning")


def replace_draft(post) -> None:
    """Coming back to a draft: the page was opened from it (``continue_draft``), so the saved
    post takes its place and the old draft is canceled (kept on record, not deleted)."""
    old = request.form.get("continue_draft", type=int)
    if not old or old == post.id:
        return
    try:
        source = get_post(get_session(), current_actor(), old)
    except ServiceError:
        return
    if source.author_id != current_actor().id and not current_actor().is_approver:
        return
    if any(t.status != "draft" for t in source.targets):
        return
    for target in source.targets:
        transition(get_session(), target, Status.CANCELED, actor_id=current_actor().id,
                   now=now(), reason=f"replaced by post {post.id}")
    flash(f"The earlier draft (post {old}) was replaced by this one.", "info")
