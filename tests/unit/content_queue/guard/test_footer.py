"""The agency footer, added where the platform's limit leaves room, in text_for_target."""

from __future__ import annotations

from datetime import timedelta

from content_queue.footer import DEFAULT_FOOTER, with_footer
from content_queue.services import queue_post
from content_queue.variants import text_for_target
from tests.unit.conftest import NOW


def test_the_footer_is_added_after_a_blank_line_when_it_fits() -> None:
    assert with_footer("Stay warm.", DEFAULT_FOOTER, "x") == f"Stay warm.\n\n{DEFAULT_FOOTER}"


def test_the_footer_is_left_out_where_the_limit_has_no_room() -> None:
    text = "a" * 250
    assert with_footer(text, DEFAULT_FOOTER, "x") == text
    assert with_footer(text, DEFAULT_FOOTER, "facebook").endswith(DEFAULT_FOOTER)
    assert with_footer(text, DEFAULT_FOOTER, "mastodon", max_chars=260) == text


def test_the_footer_is_not_added_twice() -> None:
    text = f"Stay warm.\n\n{DEFAULT_FOOTER}"
    assert with_footer(text, DEFAULT_FOOTER, "x") == text


def test_the_published_text_carries_the_agency_s_footer(session, make) -> None:
    agency = make.agency()
    agency.footer_enabled, agency.footer_text = True, "Not monitored 24/7. Emergencies: 911."
    x, facebook = make.account("x"), make.account("facebook")
    post = queue_post(session, actor=make.user("approver"), text="a" * 250,
                      account_ids=[x.id, facebook.id], scheduled_at=NOW + timedelta(hours=1),
                      now=NOW)
    texts = {t.account.platform: text_for_target(post, t) for t in post.targets}
    assert texts["x"] == "a" * 250  # 250 + 2 + 37 > 280
    assert texts["facebook"] == "a" * 250 + "\n\nNot monitored 24/7. Emergencies: 911."
    agency.footer_enabled = False
    assert text_for_target(post, post.targets[1]) == "a" * 250
