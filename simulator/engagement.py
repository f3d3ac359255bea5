"""Deterministic engagement: counts and community replies that grow with a post's age.

Tenfour polls engagement and shows it to PIOs, so the numbers must move over
time yet be reproducible in tests. Everything here is a pure function of the
post id and its engagement age (see ``SimState.age_seconds``): the same post at
the same age always has the same numbers, counts never decrease as age grows,
views are never below likes, and the reply count equals the replies visible.
Every platform can reuse these functions and rename the fields.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from simulator.replies import THANK_YOUS, count_visible, visible

HOUR = 3600.0

#: The thank-yous and the rest of the reply mix live in simulator.replies (issue 9).
COMMUNITY_MESSAGES = THANK_YOUS


@dataclass(frozen=True)
class Metrics:
    likes: int
    reposts: int
    replies: int
    views: int
    quotes: int
    bookmarks: int


@dataclass(frozen=True)
class Reply:
    id: str
    author: str
    text: str
    created_at: datetime


def _seed(post_id: str, salt: str) -> int:
    digest = hashlib.sha256(f"{salt}:{post_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _unit(post_id: str, salt: str) -> float:
    """A stable number in [0, 1) per post and purpose."""
    return _seed(post_id, salt) / 2**64


def visible_replies(post_id: str, created_at: datetime, age_seconds: float) -> list[Reply]:
    """Replies that have "arrived" by ``age_seconds``, oldest first (issue 9: the mix of
    thank-yous, questions, Spanish, phone numbers and emergencies is simulator.replies')."""
    return [Reply(r.id, r.author, r.text, r.created_at)
            for r in visible(post_id, created_at, age_seconds)]


def metrics_for(post_id: str, age_seconds: float) -> Metrics:
    """Counts that rise quickly in the first hours and level off after about a day."""
    age = max(0.0, age_seconds)
    peak_views = 300 + int(_unit(post_id, "views") * 4700)
    # A quick first burst (a quarter of it within ~20 minutes), then the long tail of a day, so
    # a post's growth shows in `tenfour run`'s first polls (+2 min, +15 min) as well as later.
    curve = (0.25 * (1.0 - math.exp(-age / (10 * 60.0)))
             + 0.75 * (1.0 - math.exp(-age / (6 * HOUR))))
    views = int(peak_views * curve)
    likes = int(views * (0.02 + 0.06 * _unit(post_id, "likes")))
    reposts = int(likes * (0.1 + 0.3 * _unit(post_id, "reposts")))
    quotes = int(reposts * 0.2)
    bookmarks = int(likes * 0.15)
    replies = count_visible(post_id, age)
    return Metrics(likes=likes, reposts=reposts, replies=replies, views=views, quotes=quotes, bookmarks=bookmarks)
