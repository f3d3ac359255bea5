"""Unknown outcomes: deciding whether a post reached the platform, and asking a person when we
cannot tell.

A call can end without an answer (the connection dropped after the platform accepted it, or the
worker died mid-call). The worker then looks the post up among the account's recent posts. That
look-up proves something only if it covered everything posted since the attempt began: a full
page of newer posts, a failed look-up, or a platform with no look-up at all leaves the question
open. Posting again would risk a 911 center's post going out twice, so the target becomes
``unconfirmed`` and a person checks the account and says "it is there" (with its link) or "post
it again". Both answers are audited.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import APPROVER_ROLES, PostTarget, User
from content_queue.platforms import RULES
from content_queue.ports import PublishResult, RecentPost
from content_queue.states import Status
from content_queue.transitions import transition

#: How far before the attempt the look-up starts, for clock skew between us and the platform.
LOOKUP_MARGIN = timedelta(minutes=10)
#: How many recent posts one look-up reads (100 is the most any platform's page returns).
LOOKUP_LIMIT = 100
#: A look-up reaching back to this far before the attempt covers it, whatever the clocks say.
CLOCK_SKEW = timedelta(minutes=1)
MAX_URL = 1000
UNCONFIRMED_CODE = "unconfirmed"


class Verdict(str, enum.Enum):
    FOUND = "found"  # the post is there: record it as published
    ABSENT = "absent"  # the look-up saw every post since the attempt: safe to post again
    INCONCLUSIVE = "inconclusive"  # too many newer posts to be sure: ask a person


@dataclass(frozen=True)
class Lookup:
    verdict: Verdict
    result: PublishResult | None = None


def lookup_since(attempt_started_at: datetime) -> datetime:
    return attempt_started_at - LOOKUP_MARGIN


def judge_lookup(posts: Sequence[RecentPost], *, text: str, attempt_started_at: datetime,
                 limit: int = LOOKUP_LIMIT) -> Lookup:
    """What the account's recent posts (newest first, at most ``limit``) say about ``text``.

    Absence proves nothing unless the page reached back past the attempt: a full page whose
    oldest post is newer than the attempt may have cut off the one we look for.
    """
    wanted = text.strip()
    for post in posts:
        if post.text.strip() == wanted:
            return Lookup(Verdict.FOUND,
                          PublishResult(post.platform_post_id, post.permalink, post.created_at))
    if len(posts) < limit:
        return Lookup(Verdict.ABSENT)
    oldest = min(p.created_at for p in posts)
    if oldest <= attempt_started_at - CLOCK_SKEW:
        return Lookup(Verdict.ABSENT)
    return Lookup(Verdict.INCONCLUSIVE)


def unconfirmed_message(platform: str, handle: str, cause: str) -> str:
    """What a PIO reads on the post page and in the API: what happened, what to check, what to
    click. ``cause`` ends with a full stop."""
    label = RULES[platform].label if platform in RULES else platform
    return (f"We could not confirm whether this post reached {label}: {cause} "
            f"Check @{handle}'s recent posts on {label}; then mark it 'It is there' with its "
            "link, or 'Post it again'.")


def mark_unconfirmed(session: Session, target_id: int, *, cause: str, now: datetime) -> bool:
    """``publishing → unconfirmed``; False if the target was no longer publishing."""
    target = session.get(PostTarget, target_id)
    if target is None or target.status != Status.PUBLISHING.value:
        return False
    message = unconfirmed_message(target.account.platform, target.account.handle, cause)
    transition(session, target, Status.UNCONFIRMED, actor_id=None, now=now,
               reason=UNCONFIRMED_CODE,
               values={"last_error": message, "error_code": UNCONFIRMED_CODE,
                       "attempt_started_at": None},
               details={"error_code": UNCONFIRMED_CODE})
    return True


def _unconfirmed_target(session: Session, actor: User, target_id: int) -> PostTarget:
    target = session.get(PostTarget, target_id)
    if target is None or target.post.agency_id != actor.agency_id:
        raise NotFound(f"No target with id {target_id}.")
    if actor.role not in APPROVER_ROLES and target.post.author_id != actor.id:
        raise Forbidden("Only the post's author, an approver or an admin can say what happened "
                        "to this post.")
    if target.status != Status.UNCONFIRMED.value:
        raise Conflict("Only a post whose outcome is unconfirmed can be marked this way; this "
                       f"one is {target.status.replace('_', ' ')}.", code="not_unconfirmed")
    return target


def _check_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed("Paste the link to the post as it appears on the platform.",
                               code="url_required", fields={"url": "Required."})
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed("That is not a web link; paste the post's address, starting "
                               "with https://.", code="invalid_url",
                               fields={"url": "A link starting with https://."})
    return url


def confirm_target(session: Session, *, actor: User, target_id: int, url: object,
                   now: datetime) -> PostTarget:
    """A person saw the post on the platform: record it as published, with its link."""
    url = _check_url(url)
    target = _unconfirmed_target(session, actor, target_id)
    transition(session, target, Status.PUBLISHED, actor_id=actor.id, now=now,
               reason="confirmed by a person",
               values={"permalink": url, "published_at": target.updated_at or now,
                       "last_error": None, "error_code": None},
               details={"permalink": url})
    return target


def repost_target(session: Session, *, actor: User, target_id: int,
                  now: datetime) -> PostTarget:
    """A person checked and the post is not there: publish it again, now."""
    target = _unconfirmed_target(session, actor, target_id)
    transition(session, target, Status.SCHEDULED, actor_id=actor.id, now=now,
               reason="post it again",
               values={"next_attempt_at": now, "attempt_started_at": None,
                       "last_error": None, "error_code": None})
    return target
