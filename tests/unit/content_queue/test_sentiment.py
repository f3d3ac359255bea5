"""Sentiment labels from VADER (offline), with the Spanish supplement."""

from __future__ import annotations

import pytest

from content_queue.sentiment import label, score


@pytest.mark.parametrize("text, expected", [
    ("Thank you so much, you saved my dad's life!", "positive"),
    ("¡Gracias, héroes!", "positive"),
    ("Excelente información, muchas gracias", "positive"),
    ("Is the center open on Saturday?", "neutral"),
    ("Nobody answered for ten minutes. Terrible.", "negative"),
    ("Qué vergüenza, horrible servicio", "negative"),
])
def test_replies_get_the_label_their_words_earn(text: str, expected: str) -> None:
    assert label(score(text)) == expected


def test_the_labels_follow_vaders_cut_offs_and_unscored_reads_neutral() -> None:
    assert label(0.05) == "positive" and label(0.049) == "neutral"
    assert label(-0.05) == "negative" and label(None) == "neutral"
