"""The queue lists posts newest-first by their first target's time, kept on the post by the
verbs that set target times (an index serves the page instead of a min() over every post)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from content_queue.models import Post, PostTarget
from content_queue.post_times import sync_post_times
from content_queue.reading import list_posts
from content_queue.services import queue_post, reschedule_post
from tests.unit.conftest import NOW

HOUR = timedelta(hours=1)


def test_a_rescheduled_post_moves_in_the_queue(session, make) -> None:
    admin, account = make.user("admin"), make.account()
    early = queue_post(session, actor=admin, text="Early", account_ids=[account.id],
                       scheduled_at=NOW + HOUR, now=NOW)
    late = queue_post(session, actor=admin, text="Late", account_ids=[account.id],
                      scheduled_at=NOW + 2 * HOUR, now=NOW)
    assert [p.id for p in list_posts(session, admin)[0]] == [late.id, early.id]

    reschedule_post(session, actor=admin, post_id=early.id, scheduled_at=NOW + 3 * HOUR, now=NOW)

    posts, total = list_posts(session, admin)
    assert [p.id for p in posts] == [early.id, late.id] and total == 2
    assert early.first_scheduled_at == NOW + 3 * HOUR


def test_a_bulk_move_of_target_times_is_reflected_after_sync(session, make) -> None:
    admin, a, b = make.user("admin"), make.account(), make.account()
    post = queue_post(session, actor=admin, text="Two accounts", account_ids=[a.id, b.id],
                      scheduled_at=NOW + HOUR, now=NOW)
    session.execute(update(PostTarget).where(PostTarget.post_id == post.id,
                                             PostTarget.account_id == a.id)
                    .values(scheduled_at=NOW + 5 * HOUR))

    sync_post_times(session, [post.id])

    assert session.get(Post, post.id).first_scheduled_at == NOW + HOUR
    session.execute(update(PostTarget).where(PostTarget.post_id == post.id)
                    .values(scheduled_at=NOW + 6 * HOUR))
    sync_post_times(session, [post.id])
    assert session.get(Post, post.id).first_scheduled_at == NOW + 6 * HOUR


def test_the_status_filter_and_count_still_apply(session, make) -> None:
    admin, account = make.user("admin"), make.account()
    make.post(author=admin, accounts=[account], status="published", at=NOW - HOUR)
    scheduled = make.post(author=admin, accounts=[account], status="scheduled", at=NOW + HOUR)

    posts, total = list_posts(session, admin, status="scheduled")

    assert [p.id for p in posts] == [scheduled.id] and total == 1
