"""Pure platform rules: counting the way each platform counts, and refusals a PIO understands."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from content_queue.platforms import (
    MediaFacts,
    check_post,
    count_graphemes,
    count_x_weighted,
    rules_for,
)


def test_x_counts_a_link_as_23_whatever_its_length() -> None:
    short = count_x_weighted("see https://a.co")
    long = count_x_weighted("see https://example.org/" + "x" * 200)
    assert short == long == 4 + 23


def test_x_counts_emoji_and_cjk_as_two() -> None:
    assert count_x_weighted("😀") == 2
    assert count_x_weighted("日本") == 4


def test_x_refuses_281_weighted_characters_with_the_platform_and_the_numbers() -> None:
    problems = check_post("x", "a" * 281)
    assert [p.rule for p in problems] == ["text_too_long"]
    assert problems[0].message.startswith("X: ")
    assert "281" in problems[0].message and "280" in problems[0].message
    assert check_post("x", "a" * 280) == []


def test_bluesky_counts_graphemes_not_code_points() -> None:
    family = "👨‍👩‍👧"  # five code points, one grapheme
    assert len(family) == 5 and count_graphemes(family) == 1
    assert check_post("bluesky", family * 160) == []  # 160 graphemes, 2,880 bytes
    assert check_post("bluesky", "a" * 300) == []
    assert check_post("bluesky", "a" * 301)[0].rule == "text_too_long"
    assert check_post("bluesky", family * 301)[0].rule == "text_too_long"


def test_bluesky_also_caps_the_utf8_size() -> None:
    family = "👨‍👩‍👧"  # 18 bytes
    problems = check_post("bluesky", family * 200)  # 200 graphemes, 3,600 bytes
    assert [p.rule for p in problems] == ["text_too_many_bytes"]
    assert "3600 bytes" in problems[0].message


def test_instagram_needs_an_image_and_at_most_30_hashtags() -> None:
    text = " ".join(f"#tag{i}" for i in range(31))
    rules = {p.rule for p in check_post("instagram", text)}
    assert rules == {"media_required", "too_many_hashtags"}


def test_missing_alt_text_is_refused_on_every_platform() -> None:
    image = MediaFacts("image/jpeg", 1000, "  ")
    for platform in ("x", "facebook", "instagram", "mastodon", "bluesky", "sandbox"):
        assert "alt_text_missing" in {p.rule for p in check_post(platform, "hi", [image])}


def test_too_many_images_and_too_large_images() -> None:
    images = [MediaFacts("image/png", 3 * 1024 * 1024, "alt")] * 5
    rules = {p.rule for p in check_post("bluesky", "hi", images)}
    assert {"too_many_images", "image_too_large"} <= rules


def test_a_mastodon_instance_can_raise_its_limit() -> None:
    assert check_post("mastodon", "a" * 600)
    assert check_post("mastodon", "a" * 600, max_chars=1000) == []
    assert rules_for("mastodon").max_chars == 500


@given(st.text(max_size=400))
def test_sandbox_accepts_exactly_the_texts_within_500_code_points(text: str) -> None:
    problems = {p.rule for p in check_post("sandbox", text)}
    assert ("text_too_long" in problems) == (len(text) > 500)
    assert ("text_empty" in problems) == (not text.strip())
