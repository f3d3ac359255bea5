"""Worker jobs in-process against the simulator over HTTP: renewed tokens are kept, a redelivered
task reconciles instead of posting twice, engagement is stored, accounts are health-checked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

import requests
from markupsafe import escape

from content_queue.models import (
    CommunityReply,
    EngagementPoll,
    EngagementSnapshot,
    PostTarget,
    SocialAccount,
    User,
)
from content_queue.services import queue_post
from tests.integration.harnesses.x import oauth2_credentials
from tests.integration.helpers import date_back_publication, utcnow
from tests.integration.web_client import login_client
from workers.engagement import poll_account, poll_engagement_batches
from workers.jobs import check_account, engagement_offsets, publish_one


def _claimed_target(db, factory, account, text: str) -> int:
    author = factory.user("admin")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text=text, account_ids=[account.id],
                          scheduled_at=utcnow() + timedelta(hours=1), now=utcnow())
        target_id = post.targets[0].id
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(status="publishing", claimed_at=utcnow(), attempts=1))
    return target_id


def test_renewed_x_tokens_are_stored_encrypted_after_publishing(db, factory, cipher, sim, rt):
    old = {**oauth2_credentials(), "expires_at": (utcnow() - timedelta(minutes=1)).isoformat()}
    account = factory.account("x", handle="metro911", credentials=old,
                              api_base_url=f"{sim.url}/x")
    target_id = _claimed_target(db, factory, account, "Token refresh post")

    assert publish_one(rt, target_id) == "published"

    with db.session_scope(write=False) as s:
        row = s.get(SocialAccount, account.id)
        stored = cipher.decrypt(row.credentials_encrypted)
        assert "Token refresh" not in row.credentials_encrypted
    assert stored["access_token"] != old["access_token"]
    assert stored["refresh_token"] != old["refresh_token"]
    assert row.token_expires_at > utcnow() + timedelta(minutes=30)


def test_a_redelivered_task_after_a_lost_worker_reconciles_instead_of_reposting(
        db, factory, sim, rt):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id = _claimed_target(db, factory, account, "Lost worker post")
    assert publish_one(rt, target_id) == "published"
    # Pretend the worker died after the platform accepted the post but before recording it, long
    # enough ago that the redelivery presumes it dead (a fresh stamp means "still in flight").
    died = utcnow() - timedelta(seconds=rt.settings.stuck_running_after_seconds + 60)
    with db.session_scope() as s:
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(status="publishing", platform_post_id=None, permalink=None,
                          attempt_started_at=died))

    assert publish_one(rt, target_id) == "reconciled"

    assert len(sim.posts()) == 1
    with db.session_scope(write=False) as s:
        target = s.get(PostTarget, target_id)
        assert target.status == "published"
        assert target.platform_post_id == sim.posts()[0]["id"]


def test_a_published_target_has_its_engagement_polls_scheduled_when_recorded(db, factory, sim,
                                                                             rt):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id = _claimed_target(db, factory, account, "Scheduled with its result")
    assert publish_one(rt, target_id) == "published"
    with db.session_scope(write=False) as s:
        row = s.get(EngagementPoll, target_id)
        target = s.get(PostTarget, target_id)
        assert row is not None, "the worker's result write schedules the first poll"
        assert (row.account_id, row.published_at) == (account.id, target.published_at)
        assert row.next_poll_at == target.published_at + engagement_offsets(rt)[0]
        assert row.agency_id == target.post.agency_id


def test_engagement_is_polled_in_one_batch_and_stored(db, factory, sim, rt):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    ids = [_claimed_target(db, factory, account, f"Engagement post {i}") for i in range(3)]
    other = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    other_target = _claimed_target(db, factory, other, "Another account's post")
    for target_id in [*ids, other_target]:
        publish_one(rt, target_id)
    sim.advance(12 * 3600)
    _published_ago(db, [*ids, other_target], timedelta(hours=12))  # past its +1 h poll
    assert poll_engagement_batches(rt) == sorted([account.id, other.id])

    assert poll_account(rt, account.id) == 3  # only this account's posts

    metric_calls = [r for r in sim.requests() if r["method"] == "GET" and r["path"].endswith("/posts")
                    and "ids" in (r.get("query") or "")]
    assert len(metric_calls) == 1
    with db.session_scope(write=False) as s:
        snaps = s.scalars(select(EngagementSnapshot)).all()
    assert {s.target_id for s in snaps} == set(ids)
    assert all(s.likes > 0 for s in snaps)


def test_community_replies_are_stored_once_and_shown_on_the_post(db, factory, sim, rt, client):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id = _claimed_target(db, factory, account, "Replies post <b>for the floor</b>")
    publish_one(rt, target_id)
    sim.advance(48 * 3600)
    _published_ago(db, [target_id], timedelta(hours=48))
    poll_engagement_batches(rt)

    poll_account(rt, account.id)
    with db.session_scope() as s:  # due again at once (the schedule would wait for +7 d)
        s.execute(update(EngagementPoll).values(next_poll_at=utcnow()))
    poll_account(rt, account.id)  # a second poll must not duplicate what it already stored

    with db.session_scope(write=False) as s:
        stored = s.scalars(select(CommunityReply).where(CommunityReply.target_id == target_id)).all()
        post_id = s.get(PostTarget, target_id).post_id
    platform_id = _target_platform_id(db, target_id)
    on_platform = requests.get(f"{sim.url}/sandbox/api/v1/posts/{platform_id}/replies",
                               headers={"Authorization": "Bearer t"}, timeout=5).json()["replies"]
    assert on_platform and len(stored) == len(on_platform)
    assert len({r.platform_reply_id for r in stored}) == len(stored)

    admin = factory.user("admin")
    login_client(client, admin.email, factory.password)
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "What the community said" in page
    assert all(str(escape(r.text)) in page for r in stored)


def _published_ago(db, target_ids: list[int], ago: timedelta) -> None:
    """As if the targets had gone out ``ago`` (engagement is polled on a schedule after
    publishing: +1 h, +24 h, +7 d, +30 d)."""
    date_back_publication(db, target_ids, ago)


def _target_platform_id(db, target_id: int) -> str:
    with db.session_scope(write=False) as s:
        return s.get(PostTarget, target_id).platform_post_id


def test_a_revoked_account_is_flagged_by_the_health_check_before_any_post_fails(
        db, factory, sim, rt):
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox",
                              credentials={"access_token": "soon-revoked"})
    assert check_account(rt, account.id) == "ok"
    requests.post(f"{sim.url}/_sim/revoke", json={"platform": "sandbox", "token": "soon-revoked"},
                  timeout=5).raise_for_status()

    assert check_account(rt, account.id) == "reconnect_needed"
    with db.session_scope(write=False) as s:
        row = s.get(SocialAccount, account.id)
    assert row.status == "reconnect_needed"
    assert "token" in row.status_detail.lower()
