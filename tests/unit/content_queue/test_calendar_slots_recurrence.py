"""issue 8 calendar: next free posting slot, recurring series expanded on the wall clock across
DST, the calendar's range query, and the ICS feed's secret."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from content_queue.calendar import (agency_for_secret, build_feed, list_events,
                                    regenerate_feed_secret, revoke_feed_secret)
from content_queue.errors import Forbidden, NotFound, ValidationFailed
from content_queue.recurrence import MAX_OCCURRENCES, edit_series, expand, queue_series
from content_queue.services import queue_post
from content_queue.slots import next_free_slot, replace_slots
from content_queue.timeutil import utc_to_local
from tests.unit.conftest import NOW  # Sunday 2027-04-11 14:00 UTC = 09:00 in Chicago

CHICAGO = "America/Chicago"


def local(instant: datetime) -> str:
    return utc_to_local(instant, CHICAGO).strftime("%a %Y-%m-%d %H:%M")


# --- slots ----------------------------------------------------------------------------------

def test_next_free_slot_is_the_first_future_slot_of_the_week(session, make) -> None:
    pio, account = make.user("pio"), make.account()
    replace_slots(session, pio, account.id, [{"weekday": 0, "time": "09:00"},
                                             {"weekday": 0, "time": "15:00"}])
    assert local(next_free_slot(session, pio, [account.id], now=NOW)) == "Mon 2027-04-12 09:00"


def test_next_free_slot_skips_a_slot_already_taken(session, make) -> None:
    admin, account = make.user("admin"), make.account()
    replace_slots(session, admin, account.id, [{"weekday": 0, "time": "09:00"},
                                               {"weekday": 0, "time": "15:00"}])
    first = next_free_slot(session, admin, [account.id], now=NOW)
    queue_post(session, actor=admin, text="Slot one", account_ids=[account.id],
               scheduled_at=first, now=NOW)
    second = next_free_slot(session, admin, [account.id], now=NOW)
    assert local(second) == "Mon 2027-04-12 15:00"


def test_a_slot_later_today_counts_and_one_earlier_does_not(session, make) -> None:
    pio, account = make.user("pio"), make.account()
    replace_slots(session, pio, account.id, [{"weekday": 6, "time": "08:00"},
                                             {"weekday": 6, "time": "17:30"}])
    assert local(next_free_slot(session, pio, [account.id], now=NOW)) == "Sun 2027-04-11 17:30"


def test_no_slots_is_a_plain_refusal(session, make) -> None:
    pio, account = make.user("pio"), make.account()
    with pytest.raises(ValidationFailed) as caught:
        next_free_slot(session, pio, [account.id], now=NOW)
    assert caught.value.code == "no_slots"


@pytest.mark.parametrize("bad", [[{"weekday": 7, "time": "09:00"}], [{"weekday": 1, "time": "9am"}],
                                 [{"weekday": True, "time": "09:00"}], "09:00"])
def test_bad_slots_are_refused(session, make, bad) -> None:
    pio, account = make.user("pio"), make.account()
    with pytest.raises(ValidationFailed):
        replace_slots(session, pio, account.id, bad)


def test_a_viewer_cannot_change_slots(session, make) -> None:
    with pytest.raises(Forbidden):
        replace_slots(session, make.user("viewer"), make.account().id, [])


def test_a_slot_in_the_spring_gap_is_skipped_that_day(session, make) -> None:
    pio, account = make.user("pio"), make.account()
    replace_slots(session, pio, account.id, [{"weekday": 6, "time": "02:30"}])
    before_change = datetime(2027, 3, 13, 12, 0, tzinfo=timezone.utc)  # Sat 13 Mar
    # Sun 14 Mar 02:30 does not exist in Chicago; the next real one is a week later.
    assert local(next_free_slot(session, pio, [account.id], now=before_change)) == \
        "Sun 2027-03-21 02:30"


# --- recurrence -----------------------------------------------------------------------------

def test_weekly_nine_oclock_stays_nine_oclock_across_march_dst() -> None:
    instants = expand("FREQ=WEEKLY;BYDAY=MO;COUNT=4", datetime(2027, 3, 1, 9, 0), CHICAGO)
    assert [local(i) for i in instants] == ["Mon 2027-03-01 09:00", "Mon 2027-03-08 09:00",
                                            "Mon 2027-03-15 09:00", "Mon 2027-03-22 09:00"]
    assert {i.hour for i in instants} == {15, 14}  # CST then CDT: the UTC hour moves


def test_daily_nine_oclock_stays_nine_oclock_across_november_dst() -> None:
    instants = expand("FREQ=DAILY;COUNT=4", datetime(2027, 11, 5, 9, 0), CHICAGO)
    assert [local(i)[-5:] for i in instants] == ["09:00"] * 4
    assert [i.hour for i in instants] == [14, 14, 15, 15]  # 7 Nov: clocks fall back


def test_an_open_ended_rule_is_bounded() -> None:
    assert len(expand("FREQ=DAILY", datetime(2027, 5, 1, 9, 0), CHICAGO)) == MAX_OCCURRENCES
    monthly = expand("FREQ=MONTHLY", datetime(2027, 5, 1, 9, 0), CHICAGO)
    assert len(monthly) == 13  # a year ahead, not more


@pytest.mark.parametrize("rule", ["", "FREQ=HOURLY;COUNT=3", "FREQ=SOMETIMES", "BYDAY=MO",
                                  "DTSTART:20270101T000000\nRRULE:FREQ=DAILY", 42])
def test_bad_rules_are_refused_in_plain_words(rule) -> None:
    with pytest.raises(ValidationFailed) as caught:
        expand(rule, datetime(2027, 5, 1, 9, 0), CHICAGO)
    assert caught.value.fields.get("recurrence")


def test_a_series_makes_one_post_per_occurrence_linked_by_its_id(session, make) -> None:
    admin, a, b = make.user("admin"), make.account(), make.account()
    series, posts = queue_series(session, actor=admin, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
                                 scheduled_at=datetime(2027, 4, 12, 14, 0, tzinfo=timezone.utc),
                                 now=NOW, text="Monday safety tip", account_ids=[a.id, b.id])
    assert len(posts) == 3 and {p.series_id for p in posts} == {series.id}
    assert all(len(p.targets) == 2 for p in posts)
    assert [local(p.first_scheduled_at) for p in posts] == [
        "Mon 2027-04-12 09:00", "Mon 2027-04-19 09:00", "Mon 2027-04-26 09:00"]


def test_editing_the_series_changes_every_occurrence_to_come(session, make) -> None:
    admin, account = make.user("admin"), make.account()
    series, posts = queue_series(session, actor=admin, rule="FREQ=WEEKLY;COUNT=3",
                                 scheduled_at=datetime(2027, 4, 12, 14, 0, tzinfo=timezone.utc),
                                 now=NOW, text="Old", account_ids=[account.id])
    edit_series(session, actor=admin, series_id=series.id, now=NOW, text="New",
                time_of_day="15:30")
    assert [p.text for p in posts] == ["New"] * 3
    assert [local(p.first_scheduled_at)[-5:] for p in posts] == ["15:30"] * 3


# --- the calendar query and the feed --------------------------------------------------------

def test_calendar_lists_the_targets_of_local_days_in_range(session, make) -> None:
    admin, a, b = make.user("admin"), make.account(), make.account()
    # Mon 2027-04-12 23:30 in Chicago is already Tuesday in UTC: it belongs to Monday.
    late = datetime(2027, 4, 13, 4, 30, tzinfo=timezone.utc)
    post = queue_post(session, actor=admin, text="Late Monday\nsecond line",
                      account_ids=[a.id, b.id], scheduled_at=late, now=NOW)
    queue_post(session, actor=admin, text="Wednesday", account_ids=[a.id],
               scheduled_at=datetime(2027, 4, 14, 15, 0, tzinfo=timezone.utc), now=NOW)
    monday = list_events(session, admin, date(2027, 4, 12), date(2027, 4, 12))
    assert [(e.post_id, e.title) for e in monday] == [(post.id, "Late Monday")] * 2
    assert len(list_events(session, admin, date(2027, 4, 12), date(2027, 4, 14))) == 3
    assert len(list_events(session, admin, date(2027, 4, 12), date(2027, 4, 14),
                           account_id=b.id)) == 1


def test_calendar_range_is_bounded_and_ordered(session, make) -> None:
    admin = make.user("admin")
    with pytest.raises(ValidationFailed):
        list_events(session, admin, date(2027, 4, 12), date(2027, 4, 1))
    with pytest.raises(ValidationFailed):
        list_events(session, admin, date(2027, 1, 1), date(2027, 12, 31))


def test_the_feed_opens_only_with_the_current_secret(session, make) -> None:
    approver, account = make.user("approver"), make.account()
    queue_post(session, actor=approver, text="Feed me", account_ids=[account.id],
               scheduled_at=NOW + timedelta(days=1), now=NOW)
    old = regenerate_feed_secret(session, approver, now=NOW)
    agency = agency_for_secret(session, old)
    cal = Calendar.from_ical(build_feed(session, agency, now=NOW))
    events = cal.walk("VEVENT")
    assert len(events) == 1 and "Feed me" in str(events[0]["SUMMARY"])
    new = regenerate_feed_secret(session, approver, now=NOW)
    with pytest.raises(NotFound):
        agency_for_secret(session, old)
    revoke_feed_secret(session, approver, now=NOW)
    with pytest.raises(NotFound):
        agency_for_secret(session, new)
    with pytest.raises(Forbidden):
        regenerate_feed_secret(session, make.user("pio"), now=NOW)
