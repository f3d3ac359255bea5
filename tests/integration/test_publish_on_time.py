"""Claimed ahead, published on time: a target the scheduler claimed before its instant reaches
the platform at or after it, never before (lateness = the platform's stamp - scheduled_at)."""

from __future__ import annotations

from datetime import timedelta


from content_queue.models import PostTarget, User
from content_queue.services import queue_post
from scheduler import tick
from tests.integration.helpers import utcnow
from workers.jobs import publish_one


def test_targets_claimed_ahead_are_never_published_before_their_time(db, factory, sim, rt):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    author = factory.user("admin")
    start = utcnow() + timedelta(seconds=2)
    with db.session_scope() as s:
        for i in range(4):  # sub-millisecond instants too: platforms stamp to the millisecond
            queue_post(s, actor=s.get(User, author.id), text=f"On time {i}",
                       account_ids=[account.id], now=utcnow(),
                       scheduled_at=start + timedelta(milliseconds=150 * i, microseconds=321))
    handed_on: list = []
    while len(handed_on) < 4:  # the scheduler, claiming a second ahead
        tick(rt.db, utcnow(), handed_on.extend, lookahead=timedelta(seconds=1))

    for target in handed_on:
        assert publish_one(rt, int(target), due_at=target.due_at) == "published"

    with db.session_scope(write=False) as s:
        rows = [s.get(PostTarget, int(t)) for t in handed_on]
        lateness = [(r.published_at - r.scheduled_at).total_seconds() for r in rows]
    assert len(sim.posts()) == 4
    assert min(lateness) >= 0, lateness
