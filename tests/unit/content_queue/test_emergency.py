"""The emergency detector: the measured set's floor, and the cases that fool simple rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_queue.emergency import detect, is_emergency

DATA = Path(__file__).resolve().parents[2] / "data" / "emergency_replies.csv"


def _rows() -> list[dict[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_test_set_is_big_balanced_and_bilingual() -> None:
    rows = _rows()
    emergencies = [r for r in rows if r["label"] == "emergency"]
    assert len(rows) >= 100
    assert 0.4 <= len(emergencies) / len(rows) <= 0.6
    assert {r["lang"] for r in emergencies} == {"en", "es"}
    assert {r["lang"] for r in rows if r["label"] == "not"} == {"en", "es"}


def test_recall_and_precision_on_the_test_set_stay_above_their_floor() -> None:
    rows = _rows()
    predicted = [(is_emergency(r["text"]), r["label"] == "emergency") for r in rows]
    tp = sum(1 for p, a in predicted if p and a)
    fp = sum(1 for p, a in predicted if p and not a)
    fn = sum(1 for p, a in predicted if a and not p)
    assert tp / (tp + fn) >= 0.95  # a missed emergency is the costly mistake
    assert tp / (tp + fp) >= 0.90


@pytest.mark.parametrize("text", [
    "send an ambulance",
    "Someone is breaking in!!",
    "help",
    "HELP",
    "please help me my car is in the river",
    "there is a fire at 14 Oak Street",
    "Manden una ambulancia",
    "ayuda por favor",
    "Auxilio",
    "alguien está entrando a la casa",
    "my neighbor collapsed at 300 W Main St",
])
def test_requests_for_help_are_flagged(text: str) -> None:
    assert is_emergency(text), text


@pytest.mark.parametrize("text", [
    "thank you for helping my mom",
    "Thank you for helping my mom",
    "Thanks for the help last night, you were amazing",
    "Gracias por su ayuda",
    "Help wanted? Where do I apply",
    "How can I help during NPSTW?",
    "Can you help me find the job posting?",
    "Thank you for sending an ambulance so fast last year",
    "The dispatcher who sent an ambulance saved my dad",
    "Great tips! I keep my porch light on at 22 Elm St",
    "Is this account monitored? People should call 911.",
    "",
])
def test_thank_yous_and_questions_are_not_emergencies(text: str) -> None:
    assert not is_emergency(text), text


def test_a_detection_says_why() -> None:
    found = detect("Please send an ambulance now")
    assert found.emergency and "send an ambulance" in found.reasons[0]
    by_address = detect("smoke everywhere at 88 Cedar Ct")
    assert by_address.emergency and "88 Cedar Ct" in by_address.reasons[0]


def test_accents_and_curly_apostrophes_do_not_hide_a_plea() -> None:
    assert is_emergency("¡AYÚDENME!")
    assert is_emergency("she can’t breathe")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_classified_without_an_error(text: str) -> None:
    from content_queue.feedback import classify

    found = classify(text)
    assert -1.0 <= found.sentiment <= 1.0
    assert set(found.flags) <= {"emergency", "phone", "address"}
    assert (found.hidden_reason is None) == not_personal(found.flags)


def not_personal(flags: list[str]) -> bool:
    return not ({"phone", "address"} & set(flags))
