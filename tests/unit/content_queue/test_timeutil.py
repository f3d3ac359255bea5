"""Local times typed by a PIO: DST gaps refused, ambiguous times resolved only on request."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from content_queue.timeutil import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonexistentLocalTime,
    local_to_utc,
    parse_iso_instant,
)


def test_a_normal_time_converts_with_the_zone_s_offset() -> None:
    assert local_to_utc(datetime(2027, 4, 11, 9, 0), "America/Chicago") == \
        datetime(2027, 4, 11, 14, 0, tzinfo=timezone.utc)


def test_a_time_in_the_spring_forward_gap_is_refused_with_a_suggestion() -> None:
    with pytest.raises(NonexistentLocalTime) as err:
        local_to_utc(datetime(2027, 3, 14, 2, 30), "America/Chicago")
    assert "does not exist" in str(err.value) and "03:30" in str(err.value)


def test_a_time_in_the_fall_back_hour_needs_a_choice() -> None:
    with pytest.raises(AmbiguousLocalTime) as err:
        local_to_utc(datetime(2027, 11, 7, 1, 30), "America/Chicago")
    assert "happens twice" in str(err.value)
    first = local_to_utc(datetime(2027, 11, 7, 1, 30), "America/Chicago", fold=0)
    second = local_to_utc(datetime(2027, 11, 7, 1, 30), "America/Chicago", fold=1)
    assert (second - first).total_seconds() == 3600


def test_zones_without_dst_never_refuse() -> None:
    assert local_to_utc(datetime(2027, 3, 14, 2, 30), "America/Phoenix").hour == 9


def test_iso_times_need_an_offset() -> None:
    assert parse_iso_instant("2027-04-11T09:00:00-05:00").hour == 14
    assert parse_iso_instant("2027-04-11T14:00:00Z").hour == 14
    with pytest.raises(LocalTimeError, match="no UTC offset"):
        parse_iso_instant("2027-04-11T09:00:00")
    with pytest.raises(LocalTimeError, match="not an ISO 8601"):
        parse_iso_instant("next tuesday")
