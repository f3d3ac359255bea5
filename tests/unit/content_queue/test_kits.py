"""Campaign kits: the YAML loader's refusals (file, line, reason), NPSTW's dates, filling the
fields, and starting a kit (a campaign of drafts in the agency's zone)."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from content_queue.errors import ValidationFailed
from content_queue.kits import KitError, load_catalog, npstw_week, parse_kit, start_kit
from content_queue.kits.fill import check_fields, fill
from content_queue.models import KitPost
from content_queue.platforms import check_post
from content_queue.states import Status

#: Before NPSTW 2027, so the week's posts are all in the future.
BEFORE = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)

NPSTW_FIELDS = {"agency_name": "Metro 911 Communications", "community": "Metro County",
                "team_size": "42", "calls_last_year": "182,000",
                "jobs_link": "https://metro911.gov/jobs", "hashtags": "#MetroCounty911"}

GOOD = """\
id: tiny
name: Tiny kit
description: One post.
fields:
  - name: agency_name
    label: Your center's name
    required: true
posts:
  - key: hello
    title: Hello
    day: 0
    text: |
      Hello from {agency_name}.
"""


def refusal(text: str) -> KitError:
    with pytest.raises(KitError) as caught:
        parse_kit(textwrap.dedent(text), "kits/broken.yaml")
    return caught.value


# --- NPSTW dates -----------------------------------------------------------------------------


@pytest.mark.parametrize("year, sunday, saturday", [
    (2026, date(2026, 4, 12), date(2026, 4, 18)),
    (2027, date(2027, 4, 11), date(2027, 4, 17)),
    (2028, date(2028, 4, 9), date(2028, 4, 15)),
    (2029, date(2029, 4, 8), date(2029, 4, 14)),   # April 1, 2029 is a Sunday
    (2018, date(2018, 4, 8), date(2018, 4, 14)),   # so was April 1, 2018 (NPSTW: April 8-14)
    (2023, date(2023, 4, 9), date(2023, 4, 15)),   # April 1 a Saturday
])
def test_npstw_is_the_second_full_sunday_to_saturday_week_of_april(year, sunday, saturday):
    assert date(year, 4, 1).weekday() != 6 or year in (2018, 2029)
    assert npstw_week(year) == (sunday, saturday)
    assert sunday.weekday() == 6 and saturday.weekday() == 5


@pytest.mark.parametrize("year", range(2000, 2101))
def test_npstw_week_is_always_inside_april_and_preceded_by_one_full_week(year):
    sunday, saturday = npstw_week(year)
    assert sunday.month == saturday.month == 4
    assert (saturday - sunday).days == 6
    assert 8 <= sunday.day <= 14  # a full Sunday-Saturday week of April comes before it


# --- the loader ------------------------------------------------------------------------------


def test_every_built_in_kit_loads_without_errors():
    catalog = load_catalog()
    assert catalog.errors == []
    assert {"npstw", "dispatcher-spotlight", "behind-the-headset-tour", "success-story",
            "recruiting", "text-to-911"} <= set(catalog.kits)
    npstw = catalog.get("npstw")
    assert [p.day for p in npstw.posts] == list(range(7))
    assert [p.key for p in npstw.posts] == ["thank-you", "meet-the-team", "day-in-the-life",
                                            "by-the-numbers", "recruiting",
                                            "thanks-to-families", "wrap-up"]
    assert catalog.get("dispatcher-spotlight").requires_consent
    assert catalog.get("success-story").requires_consent
    assert not npstw.requires_consent
    tour = catalog.get("behind-the-headset-tour")
    assert {"event_date", "signup_link", "accessibility"} <= {f.name for f in tour.fields}


def test_a_placeholder_that_is_not_a_field_is_refused_with_its_line():
    error = refusal(GOOD.replace("Hello from {agency_name}.", "Hi.\n      Hello from {agency}."))
    assert (error.file, error.line) == ("kits/broken.yaml", 14)
    assert "{agency}" in error.reason and "agency_name" in error.reason
    assert str(error).startswith("kits/broken.yaml, line 14: ")


def test_bad_yaml_is_refused_with_the_line_of_the_problem():
    error = refusal(GOOD.replace("    day: 0\n", "    day: 0\n  title: [unclosed\n"))
    assert error.line in (12, 13, 14) and "not valid YAML" in error.reason


@pytest.mark.parametrize("change, line, words", [
    (("    day: 0\n", "    day: monday\n"), 11, "whole number"),
    (("    required: true\n", "    required: maybe\n"), 7, "true or false"),
    (("  - key: hello\n", "  - key: hello\n    colour: red\n"), 10, "'colour' is not a key"),
    (("id: tiny\n", "id: Tiny Kit\n"), 1, "lower-case"),
    (("    label: Your center's name\n", "    label: Your center's name\n    kind: colour\n"),
     7, "kind 'colour'"),
    (("    title: Hello\n", ""), 9, "needs 'title'"),
    (("name: Tiny kit\n", "name: Tiny kit\nname: Again\n"), 3, "twice"),
    (("    day: 0\n", "    day: 0\n    time: noon\n"), 12, "time such as"),
])
def test_structural_mistakes_are_refused_with_line_and_reason(change, line, words):
    error = refusal(GOOD.replace(*change))
    assert error.line == line, str(error)
    assert words in error.reason


def test_an_empty_file_and_a_kit_without_posts_are_refused():
    assert refusal("").line == 1
    assert "posts" in refusal("id: x\nname: X\ndescription: d\n").reason


def test_the_agency_folder_adds_kits_overrides_by_id_and_reports_broken_files(tmp_path):
    (tmp_path / "tiny.yaml").write_text(GOOD)
    (tmp_path / "npstw.yaml").write_text(GOOD.replace("id: tiny", "id: npstw")
                                         .replace("Tiny kit", "Our NPSTW"))
    (tmp_path / "broken.yaml").write_text(GOOD.replace("{agency_name}", "{nope}"))
    catalog = load_catalog(tmp_path)
    assert catalog.get("tiny").name == "Tiny kit"
    assert catalog.get("npstw").name == "Our NPSTW"
    assert catalog.get("recruiting") is not None  # built-ins stay
    [error] = catalog.errors
    assert error.file == str(tmp_path / "broken.yaml") and error.line == 13


def test_a_missing_kits_folder_is_reported_not_fatal(tmp_path):
    catalog = load_catalog(tmp_path / "nowhere")
    assert "npstw" in catalog.kits
    assert catalog.errors and "does not exist" in catalog.errors[0].reason


# --- fields ----------------------------------------------------------------------------------


def test_missing_required_fields_are_all_named():
    kit = load_catalog().get("npstw")
    with pytest.raises(ValidationFailed) as caught:
        check_fields(kit, {"agency_name": "Metro 911", "community": "  "})
    assert caught.value.code == "missing_fields"
    assert set(caught.value.fields) == {"community", "team_size", "calls_last_year",
                                        "jobs_link"}
    assert "The community you serve" in caught.value.message


@pytest.mark.parametrize("name, value", [("jobs_link", "metro911.gov/jobs"),
                                         ("team_size", "forty"), ("nope", "x")])
def test_field_values_are_checked_by_kind(name, value):
    with pytest.raises(ValidationFailed) as caught:
        check_fields(load_catalog().get("npstw"), {**NPSTW_FIELDS, name: value})
    assert name in caught.value.fields


def test_filling_puts_values_in_and_closes_lines_left_empty():
    assert fill("Hi {a}!\n{b}\n\nBye", {"a": "{x}", "b": ""}) == "Hi {x}!\n\nBye"
    assert fill("{a} and {{braces}}", {"a": "A"}) == "A and {braces}"


def test_every_npstw_post_fits_every_platform_once_filled():
    kit = load_catalog().get("npstw")
    values = check_fields(kit, NPSTW_FIELDS)
    for spec in kit.posts:
        for platform in ("x", "bluesky", "mastodon", "facebook"):
            text = fill(spec.variants.get(platform, spec.text), values)
            assert check_post(platform, text, ()) == [], (spec.key, platform, text)


# --- starting a kit --------------------------------------------------------------------------


def test_starting_npstw_2027_makes_seven_drafts_on_april_11_to_17_at_ten_local(session, make):
    pio = make.user("pio")
    accounts = [make.account("sandbox"), make.account("mastodon")]
    started = start_kit(session, actor=pio, kit=load_catalog().get("npstw"),
                        fields=NPSTW_FIELDS, account_ids=[a.id for a in accounts], now=BEFORE,
                        year=2027)
    chicago = ZoneInfo("America/Chicago")
    local = [p.targets[0].scheduled_at.astimezone(chicago) for p in started.posts]
    assert [t.date() for t in local] == [date(2027, 4, 11) + timedelta(days=i) for i in range(7)]
    assert {(t.hour, t.minute) for t in local} == {(10, 0)}
    assert all(len(p.targets) == 2 and {t.status for t in p.targets} == {Status.DRAFT.value}
               for p in started.posts)
    assert started.campaign.name.endswith("2027")
    assert (started.campaign.starts_on, started.campaign.ends_on) == (date(2027, 4, 11),
                                                                     date(2027, 4, 17))
    assert all(p.campaign_id == started.campaign.id for p in started.posts)
    assert "Metro County" in started.posts[0].text and "{" not in started.posts[0].text
    assert session.get(KitPost, started.posts[3].id).key == "by-the-numbers"


def test_the_agency_s_usual_posting_time_and_zone_are_used(session, make):
    agency = make.agency(tz="America/Los_Angeles")
    agency.usual_posting_time = "08:30"
    pio = make.user("pio")
    started = start_kit(session, actor=pio, kit=load_catalog().get("npstw"),
                        fields=NPSTW_FIELDS, account_ids=[make.account().id], now=BEFORE,
                        year=2027)
    first = started.posts[0].targets[0].scheduled_at
    assert first == datetime(2027, 4, 11, 15, 30, tzinfo=timezone.utc)  # 08:30 PDT


def test_a_kit_whose_days_have_passed_is_refused_and_nothing_is_made(session, make):
    pio = make.user("pio")
    with pytest.raises(ValidationFailed) as caught:
        start_kit(session, actor=pio, kit=load_catalog().get("npstw"), fields=NPSTW_FIELDS,
                  account_ids=[make.account().id], now=BEFORE, year=2026)
    assert caught.value.code == "kit_in_past" and "year" in caught.value.fields


def test_the_tour_kit_counts_its_days_back_from_the_event_date(session, make):
    pio = make.user("pio")
    started = start_kit(session, actor=pio, kit=load_catalog().get("behind-the-headset-tour"),
                        fields={"agency_name": "Metro 911", "event_date": "2027-05-20",
                                "event_time": "6:00 pm",
                                "signup_link": "https://metro911.gov/tour",
                                "accessibility": "Step-free entrance."},
                        account_ids=[make.account().id], now=BEFORE)
    chicago = ZoneInfo("America/Chicago")
    days = [p.targets[0].scheduled_at.astimezone(chicago).date() for p in started.posts]
    assert days == [date(2027, 5, 13), date(2027, 5, 19)]
    assert "Thursday, May 20, 2027" in started.posts[0].text


def test_spotlight_posts_are_marked_as_needing_consent(session, make):
    pio = make.user("pio")
    started = start_kit(session, actor=pio, kit=load_catalog().get("dispatcher-spotlight"),
                        fields={"agency_name": "Metro 911", "person_name": "Jordan Lee",
                                "role": "Senior telecommunicator",
                                "contribution": "trained 12 new call takers this year."},
                        account_ids=[make.account().id], now=BEFORE,
                        start_date=date(2027, 1, 5))
    assert session.get(KitPost, started.posts[0].id).requires_consent


def test_a_nul_character_in_a_field_is_refused_not_stored():
    with pytest.raises(ValidationFailed) as caught:
        check_fields(load_catalog().get("npstw"), {**NPSTW_FIELDS, "community": "Metro\x00"})
    assert caught.value.code == "invalid_text" and "community" in caught.value.fields
