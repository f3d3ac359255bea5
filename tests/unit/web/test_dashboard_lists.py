"""The dashboard's "Next scheduled" and "Recently published" lists (web.dashboard.queries):
one line per post with its targets of that status, in time order, at most ``limit`` posts,
and only the agency's own."""

from __future__ import annotations

from datetime import timedelta

from content_queue.agencies import scope_session
from content_queue.models import PostTarget
from content_queue.states import Status
from tests.unit.conftest import NOW
from web.dashboard.queries import next_scheduled, recently_published


def test_next_scheduled_is_one_line_per_post_soonest_first(session, make):
    pio = make.user()
    a, b, c = make.account(), make.account(), make.account()
    posts = [make.post(author=pio, accounts=[a], status=Status.SCHEDULED,
                       at=NOW + timedelta(hours=10 - i), text=f"Post {i}") for i in range(8)]
    # the soonest post goes to three accounts; one of its targets is already published
    soonest = make.post(author=pio, accounts=[a, b], status=Status.SCHEDULED,
                        at=NOW + timedelta(minutes=5), text="Soonest")
    session.add(PostTarget(post_id=soonest.id, account_id=c.id, status=Status.PUBLISHED.value,
                           scheduled_at=NOW + timedelta(minutes=5), next_attempt_at=NOW,
                           published_at=NOW, attempts=1, created_at=NOW, updated_at=NOW))
    session.flush()
    make.post(author=pio, accounts=[c], status=Status.PUBLISHED, at=NOW + timedelta(minutes=1))
    other_agency = make.agency(new=True)
    make.post(author=make.user(agency=other_agency), accounts=[make.account(agency=other_agency)],
              status=Status.SCHEDULED, at=NOW + timedelta(minutes=2), text="Not ours")
    scope_session(session, pio.agency_id)

    groups = next_scheduled(session, pio.agency_id, limit=6)

    assert [g.post.text for g in groups] == ["Soonest"] + [f"Post {i}" for i in (7, 6, 5, 4, 3)]
    assert groups[0].post.id == soonest.id
    assert sorted(t.account_id for t in groups[0].targets) == sorted([a.id, b.id])
    assert all(t.status == Status.SCHEDULED.value for g in groups for t in g.targets)
    assert groups[0].when == NOW + timedelta(minutes=5)
    assert [g.when for g in groups] == sorted(g.when for g in groups)
    assert posts[0].id not in {g.post.id for g in groups}


def test_recently_published_is_newest_first_and_limited(session, make):
    pio = make.user()
    a, b = make.account(), make.account()
    for i in range(5):
        make.post(author=pio, accounts=[a, b] if i == 4 else [a], status=Status.PUBLISHED,
                  at=NOW - timedelta(hours=5 - i), published_at=NOW - timedelta(hours=5 - i),
                  text=f"Went out {i}")
    make.post(author=pio, accounts=[a], status=Status.FAILED, at=NOW, text="Failed")
    scope_session(session, pio.agency_id)

    groups = recently_published(session, pio.agency_id, limit=3)

    assert [g.post.text for g in groups] == ["Went out 4", "Went out 3", "Went out 2"]
    assert len(groups[0].targets) == 2
    assert {t.account.handle for t in groups[0].targets} == {a.handle, b.handle}
    assert recently_published(session, pio.agency_id, limit=6)[-1].post.text == "Went out 0"
