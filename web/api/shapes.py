"""The JSON shapes of the API's resources: posts and their targets, images, accounts, campaigns.

These field names and their order are the API's contract (users' scripts read them), so they
live here with the API and nowhere else; the domain hands over model objects and dataclasses.
Times are ISO 8601 in UTC with a ``Z`` (accounts keep their ``+00:00`` offset, as they always
have).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from content_queue.costs import Estimate
from content_queue.models import (Campaign, MediaAsset, Pause, Post, PostTarget, PostTemplate,
                                   SocialAccount)
from content_queue.post_templates import template_fields
from content_queue.platforms import RULES
from content_queue.reading import post_status
from content_queue.variants import limit_of


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def media_to_dict(asset: MediaAsset) -> dict[str, Any]:
    return {"id": asset.id, "filename": asset.filename, "mime_type": asset.mime_type,
            "size": asset.size, "width": asset.width, "height": asset.height,
            "alt_text": asset.alt_text, "sha256": asset.sha256,
            "created_at": asset.created_at.isoformat().replace("+00:00", "Z")}


def target_to_dict(target: PostTarget) -> dict[str, Any]:
    return {
        "id": target.id,
        "account_id": target.account_id,
        "platform": target.account.platform,
        "handle": target.account.handle,
        "status": target.status,
        "scheduled_at": _iso(target.scheduled_at),
        "next_attempt_at": _iso(target.next_attempt_at),
        "attempts": target.attempts,
        "published_at": _iso(target.published_at),
        "platform_post_id": target.platform_post_id,
        "permalink": target.permalink,
        "error": target.last_error,
        "error_code": target.error_code,
    }


def post_to_dict(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "text": post.text,
        "status": post_status(post),
        "author_id": post.author_id,
        "campaign_id": post.campaign_id,
        "approved_by_id": post.approved_by_id,
        "media": [media_to_dict(m) for m in post.media],
        "created_at": _iso(post.created_at),
        "updated_at": _iso(post.updated_at),
        "targets": [target_to_dict(t) for t in post.targets],
        # issue 8 compose: the text a platform gets instead of "text" ({} when none)
        "variants": {v.platform: v.text for v in post.variants},
    }


def account_to_dict(account: SocialAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "platform": account.platform,
        "handle": account.handle,
        "display_name": account.display_name,
        "status": account.status,
        "status_detail": account.status_detail,
        "api_base_url": account.api_base_url,
        "token_expires_at": account.token_expires_at.isoformat() if account.token_expires_at else None,
        "created_at": account.created_at.isoformat(),
        # issue 8 compose: the account's own text limit (a Mastodon instance's), else the platform's
        "max_characters": limit_of(account) if account.platform in RULES else None,
    }


def campaign_to_dict(campaign: Campaign, *, post_count: int = 0,
                     estimate: Estimate | None = None) -> dict[str, Any]:
    """``estimated_cost`` is what the platforms will charge for the posts not yet sent."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "description": campaign.description,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "created_by_id": campaign.created_by_id,
        "created_at": campaign.created_at.isoformat().replace("+00:00", "Z"),
        "post_count": post_count,
        "estimated_cost": (estimate or Estimate()).to_dict(),
    }


def pause_to_dict(pause: Pause) -> dict[str, Any]:
    """An incident pause. ``account_ids`` null: the whole agency; ``created_by`` is the user's
    id (null when paused from the server's command line)."""
    return {
        "id": pause.id,
        "reason": pause.reason,
        "account_ids": pause.account_ids or None,
        "created_by": pause.created_by_id,
        "created_at": _iso(pause.created_at),
        "resume_at": _iso(pause.resume_at),
        "resumed_at": _iso(pause.resumed_at),
        "resumed_by": pause.resumed_by_id,
        "held": pause.held_mode,
    }


def template_to_dict(template: PostTemplate) -> dict[str, Any]:
    """A reusable text; ``fields`` are its ``{names}`` in order of appearance."""
    return {
        "id": template.id,
        "name": template.name,
        "text": template.text,
        "fields": template_fields(template.text),
        "created_by_id": template.created_by_id,
        "created_at": _iso(template.created_at),
        "updated_at": _iso(template.updated_at),
    }


# --- issue 8 approvals: the thread, versions, review links, the queue's previews -------------

def comment_to_dict(comment: Any) -> dict[str, Any]:
    """A message of a post's thread; ``kind`` is comment, approved or rejected; ``author_id``
    is null for the named person of a review link."""
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "author_id": comment.author_id,
        "author_name": comment.author_name,
        "kind": comment.kind,
        "body": comment.body,
        "review_link_id": comment.review_link_id,
        "created_at": _iso(comment.created_at),
    }


def version_to_dict(version: Any, diff: str | None = None) -> dict[str, Any]:
    """One kept version; ``diff`` is the text's unified diff from the version before."""
    return {
        "number": version.number,
        "text": version.text,
        "targets": version.targets,
        "scheduled_at": _iso(version.scheduled_at),
        "changed": version.changed,
        "edited_by_id": version.edited_by_id,
        "created_at": _iso(version.created_at),
        "diff": diff,
    }


def review_link_to_dict(link: Any, url: str | None = None) -> dict[str, Any]:
    """A review link; ``url`` (with its token) only in the answer that made it."""
    out = {
        "id": link.id,
        "post_id": link.post_id,
        "name": link.name,
        "created_by_id": link.created_by_id,
        "created_at": _iso(link.created_at),
        "expires_at": _iso(link.expires_at),
        "revoked_at": _iso(link.revoked_at),
        "used_at": _iso(link.used_at),
        "decision": link.decision,
    }
    if url is not None:
        out["url"] = url
    return out


def preview_to_dict(preview: Any) -> dict[str, Any]:
    return {"target_id": preview.target_id, "platform": preview.platform,
            "handle": preview.handle, "text": preview.text, "length": preview.length,
            "max_characters": preview.limit}
