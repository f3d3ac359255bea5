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
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

HOUR = 3600.0

COMMUNITY_MESSAGES: tuple[tuple[str, str], ...] = (
    ("maria.g", "Thank you to the dispatcher who talked me through CPR on my dad last spring. He is here today because of you."),
    ("westside_neighbors", "Happy Telecommunicators Week to the calm voices on the other end of the line!"),
    ("coach_dan", "Our team toured the center last week. The kids still talk about the big screens and how calm everyone was."),
    ("j_okafor", "I called when my grandmother fell and the call taker stayed on the line until the medics arrived. Thank you."),
    ("lakeview_pta", "Sharing this with our families: if you can't call, you can text 911 in our county."),
    ("sam_rivera", "How do I apply? Is the dispatcher academy still open for the fall class?"),
    ("retired_medic_72", "Thirty years on the street and the dispatchers always had our backs. Proud of this team."),
    ("elena_p", "Didn't know you could give your location with what3words or a mile marker. Great tip."),
    ("mike_h", "Unsung heroes. Thank you for everything you do on the worst day of someone's life."),
    ("north_fire_dist", "Appreciate our partners at the 911 center, every single shift."),
    ("taylor_b", "Is this account monitored? Just want to make sure people know to call 911, not message here."),
    ("grace.chen", "My son practiced his address and calling 911 after your school visit. Thank you for coming."),
    ("deputy_ray", "Best team in the state. Thanks for always getting us there safe."),
    ("hannah_w", "The open house was wonderful, thank you for answering all our questions!"),
    ("old_town_council", "Proud to recognize our telecommunicators at tonight's council meeting."),
    ("chris_m", "Thank you for keeping me calm while I waited for help after the crash. You were amazing."),
    ("priya_s", "Great reminder about keeping the porch light on so crews can find your house at night."),
    ("neighbor_bill", "Bring back the coffee-with-a-dispatcher event, that was great!"),
)


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


def _reply_schedule(post_id: str) -> list[tuple[float, tuple[str, str]]]:
    """When each of this post's replies appears (seconds after posting), and what it says."""
    rng = random.Random(_seed(post_id, "replies"))
    count = rng.randint(2, 6)
    messages = rng.sample(COMMUNITY_MESSAGES, count)
    schedule: list[tuple[float, tuple[str, str]]] = []
    at = 0.0
    for index, message in enumerate(messages):
        at += rng.uniform(5 * 60, 30 * 60) * (1 + index)
        schedule.append((at, message))
    return schedule


def visible_replies(post_id: str, created_at: datetime, age_seconds: float) -> list[Reply]:
    """Replies that have "arrived" by ``age_seconds``, oldest first."""
    replies: list[Reply] = []
    for index, (offset, (author, text)) in enumerate(_reply_schedule(post_id)):
        if offset > age_seconds:
            break
        replies.append(Reply(f"{post_id}{index + 1:02d}", author, text, created_at + timedelta(seconds=offset)))
    return replies


def metrics_for(post_id: str, age_seconds: float) -> Metrics:
    """Counts that rise quickly in the first hours and level off after about a day."""
    age = max(0.0, age_seconds)
    peak_views = 300 + int(_unit(post_id, "views") * 4700)
    curve = 1.0 - math.exp(-age / (6 * HOUR))
    views = int(peak_views * curve)
    likes = int(views * (0.02 + 0.06 * _unit(post_id, "likes")))
    reposts = int(likes * (0.1 + 0.3 * _unit(post_id, "reposts")))
    quotes = int(reposts * 0.2)
    bookmarks = int(likes * 0.15)
    replies = sum(1 for offset, _ in _reply_schedule(post_id) if offset <= age)
    return Metrics(likes=likes, reposts=reposts, replies=replies, views=views, quotes=quotes, bookmarks=bookmarks)
