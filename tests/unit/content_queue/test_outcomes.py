"""Unknown outcomes: when a look-up proves a post is (or is not) on the platform, the words a
PIO reads when it cannot tell, and the two answers a person gives ("it is there", "post it
again"), who may give them, and that each is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import AuditEvent
from content_queue.outcomes import (
    Verdict,
    confirm_target,
    judge_lookup,
    mark_unconfirmed,
    repost_target,
)
from content_queue.ports import RecentPost
from content_queue.states import Status
from tests.unit.conftest import NOW

TEXT = "Thank you, telecommunicators! #NPSTW"


def _posts(n: int, *, newest=NOW + timedelta(minutes=5), step=timedelta(seconds=1),
           text: str = "another post") -> list[RecentPost]:
    return [RecentPost(str(i), f"{text} {i}", f"https://sandbox.example/{i}", newest - i * step)
            for i in range(n)]


def test_a_look_up_that_finds_the_text_gives_its_id_and_link() -> None:
    posts = _posts(3) + [RecentPost("77", TEXT + "\n", "https://sandbox.example/77", NOW)]
    lookup = judge_lookup(posts, text=TEXT, attempt_started_at=NOW)
    assert lookup.verdict is Verdict.FOUND
    assert (lookup.result.platform_post_id, lookup.result.permalink) == \
        ("77", "https://sandbox.example/77")


def test_a_short_page_without_the_text_proves_it_is_not_there() -> None:
    assert judge_lookup(_posts(10), text=TEXT, attempt_started_at=NOW,
                        limit=100).verdict is Verdict.ABSENT


def test_a_full_page_of_newer_posts_cannot_tell() -> None:
    posts = _posts(100, newest=NOW + timedelta(minutes=5), step=timedelta(seconds=1))
    assert judge_lookup(posts, text=TEXT, attempt_started_at=NOW,
                        limit=100).verdict is Verdict.INCONCLUSIVE


def test_a_full_page_reaching_back_past_the_attempt_proves_it_is_not_there() -> None:
    posts = _posts(100, newest=NOW + timedelta(minutes=1), step=timedelta(seconds=10))
    assert judge_lookup(posts, text=TEXT, attempt_started_at=NOW,
                        limit=100).verdict is Verdict.ABSENT


@pytest.fixture
def publishing(make):
    author = make.user("pio")
    post = make.post(author=author, accounts=[make.account("x")], status="publishing",
                     attempts=1, claimed_at=NOW, attempt_started_at=NOW, text=TEXT)
    return post.targets[0]


@pytest.fixture
def unconfirmed(session, publishing):
    assert mark_unconfirmed(session, publishing.id, now=NOW,
                            cause="the connection dropped after X accepted it.")
    return publishing


def test_an_unconfirmed_target_says_what_to_check_and_what_to_click(unconfirmed) -> None:
    handle = unconfirmed.account.handle
    assert unconfirmed.status == "unconfirmed"
    assert unconfirmed.error_code == "unconfirmed"
    assert unconfirmed.last_error == (
        "We could not confirm whether this post reached X: the connection dropped after X "
        f"accepted it. Check @{handle}'s recent posts on X; then mark it 'It is there' with "
        "its link, or 'Post it again'.")


def test_only_a_target_still_publishing_becomes_unconfirmed(session, make) -> None:
    post = make.post(author=make.user("pio"), accounts=[make.account()], status="published")
    assert not mark_unconfirmed(session, post.targets[0].id, now=NOW, cause="x.")
    assert post.targets[0].status == "published"


def test_it_is_there_records_the_link_as_published_and_audits_who_said_so(
        session, make, unconfirmed) -> None:
    approver = make.user("approver")
    url = "https://x.com/metro911/status/1234"
    confirm_target(session, actor=approver, target_id=unconfirmed.id, url=f"  {url} ",
                   now=NOW + timedelta(minutes=3))
    assert unconfirmed.status == "published"
    assert unconfirmed.permalink == url
    assert unconfirmed.published_at == NOW
    assert unconfirmed.last_error is None and unconfirmed.error_code is None
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "target.published", AuditEvent.entity_id == unconfirmed.id)).one()
    assert event.actor_id == approver.id
    assert event.details["permalink"] == url
    assert event.details["from"] == "unconfirmed"


def test_post_it_again_makes_it_due_now_without_reconciling(session, unconfirmed) -> None:
    author = unconfirmed.post.author
    later = NOW + timedelta(minutes=3)
    repost_target(session, actor=author, target_id=unconfirmed.id, now=later)
    assert unconfirmed.status == "scheduled"
    assert unconfirmed.next_attempt_at == later
    assert unconfirmed.attempt_started_at is None
    assert unconfirmed.error_code is None  # the next claim publishes, it does not look up
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "target.scheduled", AuditEvent.entity_id == unconfirmed.id)).one()
    assert event.actor_id == author.id
    assert event.details["reason"] == "post it again"


@pytest.mark.parametrize("role", ["viewer", "pio"])
def test_someone_else_s_pio_or_a_viewer_cannot_answer(session, make, unconfirmed, role) -> None:
    with pytest.raises(Forbidden):
        repost_target(session, actor=make.user(role), target_id=unconfirmed.id, now=NOW)
    with pytest.raises(Forbidden):
        confirm_target(session, actor=make.user(role), target_id=unconfirmed.id,
                       url="https://x.com/a/status/1", now=NOW)
    assert unconfirmed.status == "unconfirmed"


def test_another_agency_s_target_is_not_found(session, make, unconfirmed) -> None:
    stranger = make.user("admin", agency=make.agency(new=True))
    with pytest.raises(NotFound):
        repost_target(session, actor=stranger, target_id=unconfirmed.id, now=NOW)


@pytest.mark.parametrize("url", [None, "", "   ", "x.com/metro911/status/1",
                                 "javascript:alert(1)", "https://" + "a" * 1000])
def test_it_is_there_needs_a_web_link(session, make, unconfirmed, url) -> None:
    with pytest.raises(ValidationFailed) as refused:
        confirm_target(session, actor=make.user("admin"), target_id=unconfirmed.id, url=url,
                       now=NOW)
    assert refused.value.code in {"url_required", "invalid_url"}
    assert unconfirmed.status == "unconfirmed"


def test_a_target_that_is_not_unconfirmed_cannot_be_answered(session, make, publishing) -> None:
    with pytest.raises(Conflict) as refused:
        repost_target(session, actor=make.user("admin"), target_id=publishing.id, now=NOW)
    assert refused.value.code == "not_unconfirmed"
    assert publishing.status == Status.PUBLISHING.value
