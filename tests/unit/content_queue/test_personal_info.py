"""Personal information that hides a reply: phone numbers and street addresses."""

from __future__ import annotations

import pytest

from content_queue.personal_info import personal_info_flags


@pytest.mark.parametrize("text, flags", [
    ("Call me at (312) 555-0199 if you need volunteers", ["phone"]),
    ("text 555-201-3344 anytime", ["phone"]),
    ("We live at 1500 Riverside Dr and loved the tour", ["address"]),
    ("send help to 2210 W Elm Ave, call 312-555-0142", ["phone", "address"]),
    ("en la calle Juárez 123 hay humo", ["address"]),
    ("Happy Telecommunicators Week, April 12-18 2026!", []),
    ("Thirty years on the street and 5 shifts a week", []),
    ("I toured the 911 center on 5th street", []),
])
def test_phone_numbers_and_addresses_are_found_and_dates_are_not(text, flags) -> None:
    assert personal_info_flags(text) == flags
