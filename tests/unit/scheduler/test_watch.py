"""Due posts nobody claimed for minutes are found per agency (the "scheduler stopped" watch)."""

from __future__ import annotations

from datetime import timedelta

from scheduler.watch import overdue_by_agency
from tests.unit.conftest import NOW


def test_targets_overdue_past_the_threshold_are_counted_per_agency(session, make):
    author = make.user("pio")
    make.post(author=author, accounts=[make.account(), make.account()], status="scheduled",
              at=NOW - timedelta(minutes=10))
    make.post(author=author, accounts=[make.account()], status="scheduled",
              at=NOW - timedelta(minutes=1))  # due, but not for long: the claim may be busy
    make.post(author=author, accounts=[make.account()], status="publishing",
              at=NOW - timedelta(minutes=20))  # claimed
    found = overdue_by_agency(session, NOW, older_than=timedelta(minutes=3))
    assert found == [(author.agency_id, NOW - timedelta(minutes=10), 2)]


def test_nothing_overdue_is_an_empty_answer(session, make):
    make.post(author=make.user("pio"), accounts=[make.account()], status="scheduled",
              at=NOW + timedelta(minutes=10))
    assert overdue_by_agency(session, NOW, older_than=timedelta(minutes=3)) == []
