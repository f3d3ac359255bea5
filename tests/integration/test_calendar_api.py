"""issue 8 calendar over HTTP: /api/v1/calendar, posting slots and "slot": "next", recurring
posts and their series, the calendar pages (move with the form; past and DST-gap refusals),
and the ICS feed (secret URL, 404 once revoked)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from content_queue.timeutil import utc_to_local
from tests.integration.helpers import assert_api_error
from tests.integration.web_client import FormClient

CHICAGO = "America/Chicago"


@pytest.fixture
def world(factory):
    users = {role: factory.user(role) for role in ("approver", "pio", "viewer")}
    return {"users": users, "tokens": {n: factory.token(u) for n, u in users.items()},
            "a": factory.account("sandbox"), "b": factory.account("sandbox")}


def auth(world, who: str = "approver") -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def local_days(delta_days: int) -> str:
    return utc_to_local(datetime.now(timezone.utc) + timedelta(days=delta_days), CHICAGO) \
        .date().isoformat()


def queue(client, world, who="approver", **extra):
    body = {"text": "Know your location when you call 911.", "account_ids": [world["a"].id],
            **extra}
    if "slot" not in body and "scheduled_at" not in body:
        body["scheduled_at"] = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    response = client.post("/api/v1/posts", json=body, headers=auth(world, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_calendar_lists_events_with_the_documented_fields(client, world) -> None:
    post = queue(client, world, account_ids=[world["a"].id, world["b"].id])
    response = client.get(f"/api/v1/calendar?from={local_days(0)}&to={local_days(7)}",
                          headers=auth(world, "viewer"))
    assert response.status_code == 200
    events = response.get_json()["events"]
    assert len(events) == 2
    assert set(events[0]) == {"post_id", "target_id", "account_id", "scheduled_at", "status",
                              "campaign_id", "title"}
    assert {e["post_id"] for e in events} == {post["id"]}
    assert {e["account_id"] for e in events} == {world["a"].id, world["b"].id}


@pytest.mark.parametrize("query,code", [("from=2027-13-01&to=2027-12-31", "invalid_date"),
                                        ("to=2027-01-01", "invalid_date"),
                                        ("from=2027-01-01&to=2027-12-31", "range_too_long"),
                                        ("from=2027-02-01&to=2027-01-01", "invalid_range"),
                                        ("from=20270101&to=2027-01-02", "invalid_date")])
def test_bad_calendar_dates_are_422_in_the_error_shape(client, world, query, code) -> None:
    assert_api_error(client.get(f"/api/v1/calendar?{query}", headers=auth(world)), 422, code)


def test_slots_round_trip_and_next_free_slot(client, world) -> None:
    account = world["a"].id
    slots = [{"weekday": d, "time": "09:00"} for d in range(7)]
    put = client.put(f"/api/v1/accounts/{account}/slots", json={"slots": slots},
                     headers=auth(world, "pio"))
    assert put.status_code == 200 and put.get_json()["slots"] == slots
    assert client.get(f"/api/v1/accounts/{account}/slots",
                      headers=auth(world, "viewer")).get_json() == {"slots": slots}
    first = queue(client, world, who="pio", slot="next")
    second = queue(client, world, who="pio", slot="next")
    times = [datetime.fromisoformat(p["targets"][0]["scheduled_at"]) for p in (first, second)]
    assert [utc_to_local(t, CHICAGO).strftime("%H:%M") for t in times] == ["09:00", "09:00"]
    assert times[1] - times[0] == timedelta(days=1)


def test_bad_slots_and_slot_values_are_refused(client, world) -> None:
    account = world["a"].id
    assert_api_error(client.put(f"/api/v1/accounts/{account}/slots",
                                json={"slots": [{"weekday": 8, "time": "09:00"}]},
                                headers=auth(world)), 422, "invalid_slots")
    assert_api_error(client.put(f"/api/v1/accounts/{account}/slots", json={"slots": []},
                                headers=auth(world, "viewer")), 403, "forbidden")
    assert_api_error(client.get("/api/v1/accounts/999999/slots", headers=auth(world)), 404,
                     "not_found")
    body = {"text": "Hi", "account_ids": [account]}
    assert_api_error(client.post("/api/v1/posts", json={**body, "slot": "soon"},
                                 headers=auth(world)), 422, "invalid_slot")
    assert_api_error(client.post("/api/v1/posts", json={**body, "slot": "next"},
                                 headers=auth(world)), 422, "no_slots")


def test_a_recurring_post_becomes_a_series_that_can_be_edited_and_canceled(client, world) -> None:
    start = datetime.now(timezone.utc) + timedelta(days=1)
    created = queue(client, world, scheduled_at=start.isoformat(),
                    recurrence="FREQ=WEEKLY;COUNT=8")
    series = created["series"]
    assert series["occurrences"] == 8 and len(series["post_ids"]) == 8
    read = client.get(f"/api/v1/series/{series['id']}", headers=auth(world)).get_json()
    hours = {utc_to_local(datetime.fromisoformat(p["targets"][0]["scheduled_at"]),
                          CHICAGO).strftime("%H:%M") for p in read["posts"]}
    assert len(hours) == 1  # the same wall-clock time every week, DST or not
    changed = client.patch(f"/api/v1/series/{series['id']}", json={"text": "New tip",
                                                                   "time": "10:15"},
                           headers=auth(world))
    assert changed.status_code == 200, changed.get_json()
    assert {p["text"] for p in changed.get_json()["posts"]} == {"New tip"}
    canceled = client.post(f"/api/v1/series/{series['id']}/cancel", headers=auth(world))
    assert len(canceled.get_json()["canceled_post_ids"]) == 8
    assert_api_error(client.post("/api/v1/posts", json={
        "text": "x", "account_ids": [world["a"].id], "scheduled_at": start.isoformat(),
        "recurrence": "FREQ=MINUTELY"}, headers=auth(world)), 422, "invalid_recurrence")


def test_calendar_pages_move_a_post_and_refuse_past_and_dst_gap(app, client, world, factory):
    web = FormClient(client, factory.password)
    web.login(world["users"]["pio"])
    post = queue(client, world, who="pio")
    page = web.text(f"/calendar?view=week&day={local_days(2)}")
    assert f'data-post-id="{post["id"]}"' in page and "Move post" in page
    target_day = local_days(3)
    moved = web.submit("/calendar/move", {"post_id": post["id"], "date": target_day,
                                          "time": "11:45"}, token_from="/calendar")
    assert moved.status_code == 302
    read = client.get(f"/api/v1/posts/{post['id']}", headers=auth(world)).get_json()
    when = utc_to_local(datetime.fromisoformat(read["targets"][0]["scheduled_at"]), CHICAGO)
    assert when.strftime("%Y-%m-%d %H:%M") == f"{target_day} 11:45"

    past = web.client.post("/calendar/move", data={
        "post_id": post["id"], "date": local_days(-2), "time": "09:00",
        "csrf_token": web.token("/calendar")}, headers={"X-Requested-With": "fetch"})
    assert past.status_code == 422 and "already passed" in past.get_json()["message"]
    gap = web.client.post("/calendar/move", data={
        "post_id": post["id"], "date": "2030-03-10", "time": "02:30",
        "csrf_token": web.token("/calendar")}, headers={"X-Requested-With": "fetch"})
    assert gap.status_code == 422 and "does not exist" in gap.get_json()["message"]


def test_the_ics_feed_is_secret_and_revocable(client, world, factory) -> None:
    queue(client, world, text="On the feed")
    web = FormClient(client, factory.password)
    web.login(world["users"]["approver"])
    assert web.submit("/calendar/feed", {"action": "regenerate"},
                      token_from="/calendar").status_code == 302
    page = web.text("/calendar")
    url = re.search(r'id="feed-url"[^>]*value="http://[^/]+([^"]+)"', page).group(1)
    anonymous = client.application.test_client()
    feed = anonymous.get(url)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert any("On the feed" in str(e["SUMMARY"]) for e in events)
    assert anonymous.get(url.replace(".ics", "x.ics")).status_code == 404
    web.submit("/calendar/feed", {"action": "revoke"}, token_from="/calendar")
    assert anonymous.get(url).status_code == 404


def test_a_pio_cannot_manage_the_feed(client, world, factory) -> None:
    web = FormClient(client, factory.password)
    web.login(world["users"]["pio"])
    assert web.submit("/calendar/feed", {"action": "regenerate"},
                      token_from="/calendar").status_code == 403


@pytest.mark.parametrize("query", ["from=0001-01-01&to=0001-01-02", "from=9999-12-30&to=9999-12-31"])
def test_calendar_dates_at_the_ends_of_time_are_422(client, world, query) -> None:
    assert_api_error(client.get(f"/api/v1/calendar?{query}", headers=auth(world)), 422,
                     "invalid_date")


def test_moving_an_approved_pio_post_sends_it_back_and_an_approvers_stays(client, world,
                                                                          factory) -> None:
    pio_post = queue(client, world, who="pio")
    approved = client.post(f"/api/v1/posts/{pio_post['id']}/approve", headers=auth(world))
    assert approved.status_code == 200 and approved.get_json()["targets"][0]["status"] == \
        "scheduled"
    own = queue(client, world, who="approver")
    for who, post, expected in (("pio", pio_post, "awaiting_approval"),
                                ("approver", own, "scheduled")):
        web = FormClient(client.application.test_client(), factory.password)
        web.login(world["users"][who])
        moved = web.submit("/calendar/move", {"post_id": post["id"], "date": local_days(4),
                                              "time": "08:15"}, token_from="/calendar")
        assert moved.status_code == 302
        read = client.get(f"/api/v1/posts/{post['id']}", headers=auth(world)).get_json()
        assert read["targets"][0]["status"] == expected, who


def _compose_form(account_id: int, **extra) -> dict:
    local = utc_to_local(datetime.now(timezone.utc) + timedelta(days=2), CHICAGO)
    return {"text": "Storm shelters open tonight.", "accounts": [str(account_id)],
            "date": local.strftime("%Y-%m-%d"), "time": "10:15", "campaign": "",
            "action": "queue", **extra}


def test_compose_page_next_free_slot_and_weekly_repeat(client, world, factory, db) -> None:
    from sqlalchemy import select
    from content_queue.models import Post
    account = world["a"].id
    client.put(f"/api/v1/accounts/{account}/slots", json={"slots": [
        {"weekday": d, "time": "07:45"} for d in range(7)]}, headers=auth(world))
    web = FormClient(client.application.test_client(), factory.password)
    web.login(world["users"]["approver"])
    page = web.text("/posts/new")
    assert 'name="next_slot"' in page and 'name="repeat"' in page
    made = web.submit("/posts/new", _compose_form(account, next_slot="on"),
                      token_from="/posts/new")
    assert made.status_code == 302, made.get_data(as_text=True)[:300]
    repeated = web.submit("/posts/new", _compose_form(account, repeat="weekly",
                                                      repeat_end="count", repeat_count="3"),
                          token_from="/posts/new")
    assert repeated.status_code == 302
    with db.session_scope(write=False) as s:
        posts = s.scalars(select(Post).order_by(Post.id)).all()
        assert utc_to_local(posts[0].first_scheduled_at, CHICAGO).strftime("%H:%M") == "07:45"
        series = [p for p in posts if p.series_id]
        assert len(series) == 3 and len({p.series_id for p in series}) == 1
        assert {utc_to_local(p.first_scheduled_at, CHICAGO).strftime("%a %H:%M")
                for p in series} == {utc_to_local(series[0].first_scheduled_at, CHICAGO)
                                     .strftime("%a %H:%M")}
    bad = web.submit("/posts/new", _compose_form(account, repeat="weekly", repeat_end="count",
                                                 repeat_count="500"), token_from="/posts/new")
    assert bad.status_code == 422 and "repeats (1 to 52)" in bad.get_data(as_text=True)
