"""Estimated platform charges: X per post, more with a link; everyone else free per post."""

from __future__ import annotations

from decimal import Decimal

import pytest

from content_queue.costs import (
    CostLine,
    Estimate,
    estimate_post_cost,
    format_usd,
    has_link,
    unit_price,
)

PRICES = {"x_price_per_post": 0.015, "x_price_per_link_post": 0.2}


@pytest.mark.parametrize("text", [
    "Details: https://metro911.gov/winter. Stay safe!",
    "See metro911.gov for the shelter list.",            # X wraps bare domains in t.co too
    "http://example.org",
    "Register at www.ready.gov/plan",
    "Call 911 in an emergency.No link intended.",        # .no is Norway's domain: X links it
])
def test_links_x_wraps_in_tco_are_detected(text):
    assert has_link(text)


@pytest.mark.parametrize("text", [
    "Road closed on Main St. Use Oak Ave instead.",
    "Call 911. Text 911 if you cannot speak. Stay on the line.",
    "#911Day @metro911 thanks dispatchers",
    "",
])
def test_plain_text_has_no_link(text):
    assert not has_link(text)


def test_x_posts_with_and_without_links_are_priced_apart():
    estimate = estimate_post_cost([("x", "see https://metro911.gov"), ("x", "metro911.gov"),
                                   ("x", "https://ready.gov"), ("x", "plain"), ("x", "also")],
                                  PRICES)
    assert [(l.platform, l.posts, l.unit_price, l.with_link) for l in estimate.lines] == [
        ("x", 3, Decimal("0.2"), True), ("x", 2, Decimal("0.015"), False)]
    assert estimate.total == Decimal("0.630")
    assert estimate.charge_sentences() == [
        "Estimated X charges: $0.63 — 3 posts with a link × $0.20 + 2 posts × $0.015"]


def test_other_platforms_have_no_per_post_charge_whatever_the_text():
    estimate = estimate_post_cost([("facebook", "https://metro911.gov"), ("bluesky", "hi"),
                                   ("x", "hello"), ("mastodon", "a.org"), ("facebook", "b")],
                                  PRICES)
    assert [(l.platform, l.posts, l.subtotal) for l in estimate.lines] == [
        ("x", 1, Decimal("0.015")), ("facebook", 2, 0), ("mastodon", 1, 0), ("bluesky", 1, 0)]
    assert not any(l.with_link for l in estimate.lines if l.platform != "x")
    assert estimate.total == Decimal("0.015") and estimate.posts == 5
    assert estimate.summary() == ("Estimated X charges: $0.015 — 1 post × $0.015. "
                                  "Facebook, Mastodon, Bluesky: no per-post charge.")


def test_no_x_posts_means_nothing_to_pay():
    estimate = estimate_post_cost([("sandbox", "https://a.org")], PRICES)
    assert estimate.total == 0 and estimate.charged_lines == ()
    assert estimate.summary() == "Sandbox: no per-post charge."
    assert Estimate().summary() == "Nothing left to send, so no platform charges."


def test_api_shape_uses_plain_numbers():
    estimate = estimate_post_cost([("x", "https://a.org"), ("x", "b"), ("facebook", "c")],
                                  PRICES)
    assert estimate.to_dict() == {"currency": "USD", "total": 0.215, "lines": [
        {"platform": "x", "posts": 1, "unit_price": 0.2, "subtotal": 0.2, "with_link": True},
        {"platform": "x", "posts": 1, "unit_price": 0.015, "subtotal": 0.015,
         "with_link": False},
        {"platform": "facebook", "posts": 1, "unit_price": 0.0, "subtotal": 0.0,
         "with_link": False},
    ]}


def test_prices_are_exact_decimals_from_the_table():
    assert unit_price({"x_price_per_post": 0.1}, "x_price_per_post") == Decimal("0.1")
    many = estimate_post_cost([("x", "plain")] * 3, {**PRICES, "x_price_per_post": 0.1})
    assert many.total == Decimal("0.3")  # not 0.30000000000000004
    with pytest.raises(ValueError, match="x_price_per_link_post"):
        estimate_post_cost([("x", "https://a.org")], {"x_price_per_post": 0.015})
    with pytest.raises(ValueError, match="negative"):
        estimate_post_cost([("x", "a")], {**PRICES, "x_price_per_post": -1})


@pytest.mark.parametrize("amount,shown", [
    ("0", "$0.00"), ("0.2", "$0.20"), ("0.015", "$0.015"), ("0.63", "$0.63"),
    ("1234.5", "$1,234.50"), ("0.0300", "$0.03"),
])
def test_money_shows_cents_and_fractions_of_a_cent_when_they_matter(amount, shown):
    assert format_usd(Decimal(amount)) == shown


def test_a_line_describes_itself():
    assert CostLine("x", 1, Decimal("0.2"), True).describe() == "1 post with a link × $0.20"
    assert CostLine("x", 4, Decimal("0.015")).describe() == "4 posts × $0.015"
