"""The engagement poll for real: a `tenfour worker` process takes the poll task from Redis,
reads the simulator's metrics over HTTP (one batched call per account), stores a snapshot per
target (Mastodon's views NULL: not reported), and moves each target to its next checkpoint; a
failing read is retried later and leaves the post published. Then the API reads it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from content_queue.models import EngagementPoll, EngagementSnapshot, PostTarget, User
from content_queue.services import queue_post
from tests.integration.helpers import assert_api_error, date_back_publication, utcnow, wait_until
from workers.jobs import publish_one

MASTODON_CREDENTIALS = {"instance_url": "https://mastodon.example",
                        "access_token": "engagement-token"}


def _published(db, factory, rt, account, text: str, *, ago: timedelta) -> int:
    """A post published through the simulator, then dated back ``ago`` in our database."""
    author = factory.user("admin")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text=text, account_ids=[account.id],
                          scheduled_at=utcnow() + timedelta(hours=1), now=utcnow())
        target_id = post.targets[0].id
        s.execute(update(PostTarget).where(PostTarget.id == target_id)
                  .values(status="publishing", claimed_at=utcnow(), attempts=1))
    assert publish_one(rt, target_id) == "published"
    date_back_publication(db, [target_id], ago)
    return target_id


def _snapshots(db, target_id: int) -> list[EngagementSnapshot]:
    with db.session_scope(write=False) as s:
        return list(s.scalars(select(EngagementSnapshot)
                              .where(EngagementSnapshot.target_id == target_id)))


def _poll_row(db, target_id: int) -> EngagementPoll | None:
    with db.session_scope(write=False) as s:
        return s.get(EngagementPoll, target_id)


def test_a_worker_polls_due_targets_in_one_batch_per_account_and_schedules_the_next(
        db, factory, sim, rt, worker, celery_client) -> None:
    sandbox = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    mastodon = factory.account("mastodon", handle="metro911", credentials=MASTODON_CREDENTIALS,
                               api_base_url=f"{sim.url}/mastodon")
    first = _published(db, factory, rt, sandbox, "Know your location, tell the call taker.",
                       ago=timedelta(hours=2))
    second = _published(db, factory, rt, sandbox, "Text 911 if you cannot call.",
                        ago=timedelta(hours=2))
    toot = _published(db, factory, rt, mastodon, "Meet the night shift.", ago=timedelta(hours=2))
    fresh = _published(db, factory, rt, sandbox, "Just out: not due before +1 h.",
                       ago=timedelta(minutes=5))
    sim.advance(2 * 3600)

    celery_client.send_task("tenfour.poll_engagement", queue="default")

    assert wait_until(lambda: all(_snapshots(db, t) for t in (first, second, toot)), timeout=60)
    metric_calls = [r for r in sim.requests() if r["method"] == "GET"
                    and r["path"].endswith("/posts") and "ids" in (r.get("query") or "")]
    assert len(metric_calls) == 1  # both due sandbox posts in one read, the fresh one not
    assert len(metric_calls[0]["query"]["ids"].split(",")) == 2
    (sandbox_snap,) = _snapshots(db, first)
    (toot_snap,) = _snapshots(db, toot)
    assert sandbox_snap.likes > 0 and sandbox_snap.impressions is not None
    assert toot_snap.impressions is None  # Mastodon does not report views: NULL, not 0
    assert _snapshots(db, fresh) == []
    for target_id in (first, second, toot):
        row = _poll_row(db, target_id)
        assert (row.polls_done, row.failures) == (1, 0)
        assert row.next_poll_at == row.published_at + timedelta(hours=24)
    assert _poll_row(db, fresh).next_poll_at == _poll_row(db, fresh).published_at + \
        timedelta(hours=1)


def test_a_failed_poll_is_retried_later_and_the_post_stays_published(
        db, factory, sim, rt, worker, celery_client) -> None:
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    target_id = _published(db, factory, rt, account, "Porch lights on, please.",
                           ago=timedelta(hours=2))
    sim.fault("server_error", request_kind="metrics")

    celery_client.send_task("tenfour.poll_engagement", queue="default")

    assert wait_until(lambda: (_poll_row(db, target_id) or EngagementPoll()).failures == 1,
                      timeout=60)
    row = _poll_row(db, target_id)
    assert row.next_poll_at > utcnow() + timedelta(minutes=3)  # backed off, not hammered
    assert "503" in row.last_error or "unavailable" in row.last_error.lower()
    with db.session_scope(write=False) as s:
        target = s.get(PostTarget, target_id)
        assert (target.status, target.error_code) == ("published", None)
    assert _snapshots(db, target_id) == []

    with db.session_scope() as s:  # the retry comes due
        s.execute(update(EngagementPoll).values(next_poll_at=utcnow()))
    celery_client.send_task("tenfour.poll_engagement", queue="default")
    assert wait_until(lambda: _snapshots(db, target_id), timeout=60)
    assert _poll_row(db, target_id).failures == 0


def test_the_api_reads_snapshots_back_with_views_not_reported_as_null(
        db, factory, sim, rt, app) -> None:
    from workers.engagement import poll_account, poll_engagement_batches

    sandbox = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    mastodon = factory.account("mastodon", handle="metro911", credentials=MASTODON_CREDENTIALS,
                               api_base_url=f"{sim.url}/mastodon")
    loud = _published(db, factory, rt, sandbox, "Thank you, dispatchers!", ago=timedelta(hours=2))
    quiet = _published(db, factory, rt, mastodon, "Only on Mastodon.", ago=timedelta(hours=2))
    sim.advance(2 * 3600)
    for account_id in poll_engagement_batches(rt):
        poll_account(rt, account_id)
    viewer = factory.user("viewer")
    auth = {"Authorization": f"Bearer {factory.token(viewer)}"}
    client = app.test_client()

    summary = client.get("/api/v1/engagement", headers=auth)
    assert summary.status_code == 200, summary.get_json()
    body = summary.get_json()
    assert set(body) >= {"totals", "by_platform", "by_campaign", "top_posts"}
    assert set(body["totals"]) == {"likes", "reposts", "replies", "views"}
    platforms = {p["platform"]: p for p in body["by_platform"]}
    assert platforms["mastodon"]["views"] is None and platforms["sandbox"]["views"] > 0
    assert body["totals"]["views"] == platforms["sandbox"]["views"]
    assert {p["text"] for p in body["top_posts"]} == {"Thank you, dispatchers!",
                                                     "Only on Mastodon."}
    only = client.get(f"/api/v1/engagement?platform=mastodon&account_id={mastodon.id}",
                      headers=auth).get_json()
    assert [p["platform"] for p in only["by_platform"]] == ["mastodon"]

    with db.session_scope(write=False) as s:
        quiet_post = s.get(PostTarget, quiet).post_id
        loud_post = s.get(PostTarget, loud).post_id
    series = client.get(f"/api/v1/posts/{quiet_post}/engagement", headers=auth).get_json()
    (target,) = series["targets"]
    assert target["target_id"] == quiet
    (snap,) = target["snapshots"]
    assert set(snap) == {"at", "likes", "reposts", "replies", "views"}
    assert snap["views"] is None
    loud_series = client.get(f"/api/v1/posts/{loud_post}/engagement", headers=auth).get_json()
    assert loud_series["targets"][0]["snapshots"][0]["views"] > 0

    # The answers are what the OpenAPI document says they are.
    import jsonschema_rs

    doc = client.get("/api/v1/openapi.json").get_json()
    for name, answer in (("EngagementSummary", body), ("PostEngagement", series),
                         ("PostEngagement", loud_series)):
        validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}",
                                                 "components": doc["components"]})
        assert not [str(e) for e in validator.iter_errors(answer)], name


@pytest.mark.parametrize("query, field", [
    ("from=yesterday", "from"),
    ("to=2027-02-30", "to"),
    ("from=2027-04-10&to=2027-04-01", "to"),
    ("campaign_id=abc", "campaign_id"),
    ("campaign_id=999999", "campaign_id"),
    ("account_id=-1", "account_id"),
    ("platform=myspace", "platform"),
    ("limit=0", "limit"),
])
def test_bad_filters_are_refused_with_the_field_named(db, factory, app, query, field) -> None:
    auth = {"Authorization": f"Bearer {factory.token(factory.user('viewer'))}"}
    response = app.test_client().get(f"/api/v1/engagement?{query}", headers=auth)
    error = assert_api_error(response, 422, response.get_json()["error"]["code"])
    assert field in error["fields"]


def test_another_agency_s_post_engagement_is_not_found(db, factory, app) -> None:
    auth = {"Authorization": f"Bearer {factory.token(factory.user('viewer'))}"}
    response = app.test_client().get("/api/v1/posts/987654/engagement", headers=auth)
    assert_api_error(response, 404, "not_found")


def test_a_bad_poll_schedule_stops_the_start_with_one_line_saying_why(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "TENFOUR_INSTANCE_DIR": str(tmp_path), "ENGAGEMENT_POLL_AFTER": "1h,soon"}
    done = subprocess.run([sys.executable, "-m", "tenfour", "db", "upgrade"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "ENGAGEMENT_POLL_AFTER='1h,soon': 'soon' is not a time after publishing" in done.stderr
    assert "Traceback" not in done.stderr
