"""Each kind the guard finds, the allow-list, the agency's own patterns, and clean outreach."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_queue.errors import ValidationFailed
from content_queue.guard import check_text, compile_patterns, config_for, detect

AGENCY = SimpleNamespace(guard_allowed_numbers="(715) 421-8900\n", guard_allowed_addresses=
                         "410 Grand Ave", guard_allowed_domains="pinecounty911.gov",
                         guard_patterns=r"\bPC\d{2}-\d{4}\b")
CONFIG = config_for(AGENCY)


def kinds(text: str, config=CONFIG) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in check_text(text, config)]


@pytest.mark.parametrize("text, words", [
    ("Thanks to the caller at (608) 555-0142 who stayed on the line.", "(608) 555-0142"),
    ("Reach Janet at 555-0187 to claim it.", "555-0187"),
    ("Texted from 715.392.4410 last night.", "715.392.4410"),
    ("Call back +1 608 266 1234 please.", "+1 608 266 1234"),
])
def test_phone_numbers_are_found_with_their_offsets(text, words) -> None:
    assert ("phone", words) in kinds(text)


def test_the_agency_s_own_numbers_and_911_pass() -> None:
    text = ("Call 911 in an emergency, or 9-1-1, or text 911. Non-emergency: (715) 421-8900 "
            "or 421-8900. Crisis line: 988. Resources: 211.")
    assert kinds(text) == []


def test_another_agency_s_allow_list_does_not_let_a_number_through() -> None:
    assert kinds("Non-emergency: (715) 421-8900", config_for(None)) == [
        ("phone", "(715) 421-8900")]


@pytest.mark.parametrize("text, words", [
    ("Structure fire at 1420 N Main St. Avoid the area.", "1420 N Main St"),
    ("Crash at Main St and 5th Ave this morning.", "Main St and 5th Ave"),
    ("Lines down at the intersection of Maple and Cedar.", "intersection of Maple and Cedar"),
    ("Medical call in the 300 block of Elm Street today.", "300 block of Elm Street"),
    ("Delays near Highway 29 and County Road J.", "Highway 29 and County Road J"),
])
def test_addresses_and_intersections_are_found(text, words) -> None:
    assert ("address", words) in kinds(text)


def test_usaddress_alone_does_not_make_a_sentence_an_address() -> None:
    # usaddress tags every token of this as an address part; the rule needs a house number
    # followed by a USPS street type.
    assert kinds("Thank you to our 24 dispatchers who handled 1,203 calls this week!") == []
    assert kinds("Join us at 9 AM on April 12 for a tour of the center.") == []


def test_the_agency_s_own_address_passes() -> None:
    assert kinds("Cake at the center, 410 Grand Ave, from 1 to 4 PM.") == []
    assert kinds("Cake at 410 Grand Avenue from 1 to 4 PM.") == []
    assert kinds("Cake at 412 Grand Ave from 1 to 4 PM.") == [("address", "412 Grand Ave")]


@pytest.mark.parametrize("text", [
    "Missing teen, DOB 04/11/2010, last seen downtown.",
    "Silver Alert: Harold, date of birth March 3, 1941.",
    "Endangered adult, born 1962-05-09.",
])
def test_dates_of_birth_are_found(text) -> None:
    assert [k for k, _ in kinds(text)] == ["date_of_birth"]


def test_a_historic_date_is_not_a_date_of_birth() -> None:
    assert kinds("On 2/16/1968 the first 911 call was made in Haleyville, Alabama.") == []


@pytest.mark.parametrize("text, words", [
    ("Great work on CAD 24-018812 last night.", "CAD 24-018812"),
    ("Case #2026-00123 has been closed.", "Case #2026-00123"),
    ("The outage INC1234567 is resolved.", "INC1234567"),
    ("Tips can reference report no. 26-004417.", "report no. 26-004417"),
])
def test_incident_case_and_cad_numbers_are_found(text, words) -> None:
    assert ("incident_number", words) in kinds(text)


def test_the_agency_s_own_pattern_finds_its_numbering() -> None:
    assert kinds("Follow-up on PC26-0042 today.") == [("incident_number", "PC26-0042")]
    assert kinds("Follow-up on PC26-0042 today.", config_for(None)) == []


@pytest.mark.parametrize("text, words", [
    ("Silver Honda Civic, Wisconsin plate ABC-1234, heading north.", "ABC-1234"),
    ("Black SUV with license plate 7KJR229.", "7KJR229"),
    ("Red pickup, tag # 88PX-442.", "88PX-442"),
])
def test_plates_are_found_next_to_a_plate_word(text, words) -> None:
    assert ("license_plate", words) in kinds(text)


def test_plate_shaped_words_without_a_plate_word_pass() -> None:
    assert kinds("I-94 westbound is open; watch our 4K video on 24/7 dispatch. Tag a friend!") == []


def test_private_e_mail_is_found_and_the_agency_s_domain_passes() -> None:
    assert kinds("Email jsmith@gmail.com for info.") == [("email", "jsmith@gmail.com")]
    assert kinds("Email records@pinecounty911.gov for info.") == []


@pytest.mark.parametrize("text, words", [
    ("Our thoughts are with John Smith's overdose last night.", "John Smith's overdose"),
    ("Mrs. Alvarez suffered a stroke at the store.", "Mrs. Alvarez suffered a stroke"),
    ("Victim Angela Price is recovering.", "Victim Angela Price"),
])
def test_a_name_next_to_an_incident_word_is_found(text, words) -> None:
    assert ("name_with_incident", words) in kinds(text)


def test_staff_named_with_their_title_pass() -> None:
    assert kinds("Dispatcher Maria Lopez coached the caller through CPR on a patient.") == []
    assert kinds("Meet Supervisor Dan Hoffman, 23 years on the floor.") == []


def test_clean_outreach_with_times_years_counts_911_and_hashtags_passes() -> None:
    text = ("Happy #NPSTW2027! Our 42 telecommunicators answered 118,402 calls in 2026, "
            "94% within 15 seconds. Tours Saturday, April 17 at 10:00 AM. Call or text 911 in "
            "an emergency; non-emergency (715) 421-8900. #911 #DispatchLife")
    assert kinds(text) == []


def test_each_finding_has_a_plain_message() -> None:
    (finding,) = check_text("CAD 24-018812", CONFIG)
    assert finding.start == 0 and finding.end == 13
    assert "incident, case or CAD number" in finding.message


def test_a_bad_pattern_is_refused_with_its_line_and_reason() -> None:
    with pytest.raises(ValidationFailed) as refused:
        compile_patterns("\\bPC\\d+\n(unclosed")
    assert "line 2" in refused.value.message and "missing )" in refused.value.message
    with pytest.raises(ValidationFailed, match="matches empty text"):
        compile_patterns("x*")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
       | st.lists(st.sampled_from([
           "Call", "(608) 555-0142", "CAD 24-018812", "at", "1420 N Main St", "and", "5th Ave",
           "DOB 1/2/1990", "plate ABC-1234", "a@b.co", "John Smith's", "overdose", "911",
           "\n", "#NPSTW", "Case #2026-00123", "😀", "é"]), max_size=20).map(" ".join))
def test_offsets_always_slice_the_reported_text(text) -> None:
    previous_end = 0
    for found in check_text(text, CONFIG):
        assert text[found.start:found.end] == found.text
        assert 0 <= found.start < found.end <= len(text)
        assert found.start >= previous_end  # ordered, not overlapping
        previous_end = found.end


_ADDRESS_WORDS = ["1420", "12B", "N", "Main", "St", "St.", "st,", "-St", "(Ave)", "Way,",
                  "WAL\u212a", "Oak", "Ridge", "Dr", "Apt", "4", "\u0665\u0660", "at", "and",
                  "thank", "you", "dispatchers", "post", "12:", "\u00e9St", "Highway", "29",
                  "Grand", "Ave", "from", "to", "PM.", "\n", "#NPSTW", "Elm", "Street"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ADDRESS_WORDS), max_size=14).map(" ".join)
       | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120))
def test_lines_skipped_before_the_tagger_are_those_its_rule_cannot_match(text) -> None:
    # The pre-check only saves the tagger's time: the spans are those of the rule run on every
    # line (it fails if the pre-check skips a line that holds an address).
    with_check = list(detect._usaddress_spans(text))
    original = detect._may_hold_address
    detect._may_hold_address = lambda line: True
    try:
        every_line = list(detect._usaddress_spans(text))
    finally:
        detect._may_hold_address = original
    assert with_check == every_line


def test_a_line_without_a_number_or_a_street_type_is_not_tagged() -> None:
    assert not detect._may_hold_address("Burst post 12: thank you, dispatchers.")
    assert not detect._may_hold_address("Tour the center on Main Street with us")
    assert detect._may_hold_address("Cake at 412 Grand Ave from 1 to 4 PM.")
    assert detect._may_hold_address("Meet at 5 Oak WAL\u212a")  # the Kelvin sign lowers to k
