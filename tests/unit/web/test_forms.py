"""The web layer's pure helpers: safe redirects, local-time resolution, error mapping."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from content_queue.errors import ValidationFailed
from web.accounts.forms import credential_fields, credential_hint
from web.common.forms import default_local_time, fold_choices, resolve_when, service_errors
from web.common.security import safe_next

TZ = "America/Chicago"


@pytest.mark.parametrize("target", ["/", "/posts?status=draft", "/posts/12#history"])
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", "posts", "/posts\r\nLocation: x", "/\tx",
])
def test_safe_next_refuses_anything_else(target):
    assert safe_next(target) is None


def test_ordinary_time_resolves_to_utc():
    when = resolve_when(date(2027, 7, 4), time(9, 30), None, TZ)
    assert when.error is None and when.fold_choices == []
    assert when.instant == datetime(2027, 7, 4, 14, 30, tzinfo=timezone.utc)


def test_time_in_the_dst_gap_is_refused_with_a_suggestion():
    when = resolve_when(date(2027, 3, 14), time(2, 30), None, TZ)
    assert when.instant is None
    assert "does not exist" in when.error and "03:30" in when.error
    assert when.fold_choices == []


def test_repeated_time_offers_both_readings_and_accepts_a_choice():
    refused = resolve_when(date(2027, 11, 7), time(1, 30), None, TZ)
    assert refused.instant is None and "happens twice" in refused.error
    assert [c.value for c in refused.fold_choices] == ["0", "1"]
    assert "CDT (06:30 UTC)" in refused.fold_choices[0].label
    assert "CST (07:30 UTC)" in refused.fold_choices[1].label

    later = resolve_when(date(2027, 11, 7), time(1, 30), "1", TZ)
    assert later.error is None
    assert later.instant == datetime(2027, 11, 7, 7, 30, tzinfo=timezone.utc)
    assert later.fold_choices  # still offered, so the form shows the choice that was made


def test_missing_date_or_time_says_which():
    assert "date" in resolve_when(None, time(9, 0), None, TZ).error
    assert "time" in resolve_when(date(2027, 7, 4), None, None, TZ).error


def test_fold_choices_are_empty_outside_the_fold():
    assert fold_choices(datetime(2027, 11, 7, 2, 30), TZ) == []
    assert fold_choices(datetime(2027, 3, 14, 2, 30), TZ) == []


def test_default_time_is_a_future_quarter_hour_in_the_agency_zone():
    now = datetime(2027, 7, 4, 14, 7, 12, tzinfo=timezone.utc)  # 09:07 CDT
    assert default_local_time(now, TZ) == datetime(2027, 7, 4, 10, 15)


def test_service_errors_land_next_to_their_fields_with_a_summary():
    exc = ValidationFailed("X: the text is 281 weighted characters.", code="text_too_long",
                           fields={"text": ["X: the text is 281 weighted characters."],
                                   "elsewhere": "Not on this page."})
    errors = service_errors(exc, {"text": "text"})
    assert errors == {"form": ["X: the text is 281 weighted characters."],
                      "text": ["X: the text is 281 weighted characters."]}


def test_credential_fields_cover_every_accepted_form():
    assert credential_fields("x") == ["consumer_key", "consumer_secret", "access_token",
                                      "access_token_secret", "client_id", "refresh_token"]
    assert "or" in credential_hint("x")
    assert credential_hint("sandbox") == "All fields are required."
