"""Per-platform variants, each account's own limit, duplicates and the repeat warning."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content_queue.errors import ValidationFailed
from content_queue.post_copies import duplicate_post, warnings_for_post
from content_queue.publishing import start_attempt
from content_queue.services import queue_post
from content_queue.states import Status
from content_queue.variants import (
    clean_variants,
    store_account_limits,
    text_for_platform,
    text_for_target,
)
from tests.unit.conftest import NOW

LATER = NOW + timedelta(hours=2)
LONG = "Thank you to every telecommunicator on the floor tonight. " * 5  # 290 characters


def _queue(session, actor, accounts, **overrides):
    args = dict(actor=actor, text="Winter storm tonight: stay off the roads.",
                account_ids=[a.id for a in accounts], scheduled_at=LATER, now=NOW)
    args.update(overrides)
    return queue_post(session, **args)


def test_a_variant_replaces_the_main_text_on_its_platform_only(session, make) -> None:
    x, mastodon = make.account("x"), make.account("mastodon")
    post = _queue(session, make.user("approver"), [x, mastodon], text=LONG,
                  variants={"x": "Thank you, telecommunicators!"})
    by_platform = {t.account.platform: t for t in post.targets}
    assert text_for_target(post, by_platform["x"]) == "Thank you, telecommunicators!"
    assert text_for_target(post, by_platform["mastodon"]) == LONG
    assert {v.platform: v.text for v in post.variants} == {"x": "Thank you, telecommunicators!"}


def test_the_main_text_too_long_for_x_is_fine_when_x_has_a_variant(session, make) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _queue(session, make.user("approver"), [make.account("x")], text=LONG)
    assert refused.value.code == "text_too_long"
    assert refused.value.fields["text"]
    post = _queue(session, make.user("approver"), [make.account("x")], text=LONG,
                  variants={"x": "Short enough."})
    assert post.id


def test_a_variant_is_checked_against_its_own_platform_rules(session, make) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _queue(session, make.user("pio"), [make.account("x"), make.account("mastodon")],
               variants={"x": LONG})
    assert "X:" in refused.value.message
    assert list(refused.value.fields["variants"]) == ["x"]
    assert "text" not in refused.value.fields


def test_variants_for_unknown_platforms_or_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="not a platform"):
        clean_variants({"myspace": "hello"})
    with pytest.raises(ValidationFailed, match="must be text"):
        clean_variants({"x": 5})
    with pytest.raises(ValidationFailed, match="an object"):
        clean_variants(["x"])
    assert clean_variants({"x": "   ", "mastodon": None}) == {}


def test_a_variant_for_a_platform_the_post_does_not_go_to_is_not_kept(session, make) -> None:
    post = _queue(session, make.user("pio"), [make.account("mastodon")],
                  variants={"x": "Only for X."})
    assert post.variants == []
    assert text_for_platform(post, "x") == post.text


def test_the_worker_publishes_the_variant_of_the_target_s_platform(session, make) -> None:
    x = make.account("x")
    post = _queue(session, make.user("approver"), [x], text=LONG, variants={"x": "Short one."})
    target = post.targets[0]
    target.status = Status.PUBLISHING.value
    session.flush()
    job = start_attempt(session, target.id, now=LATER)
    assert job.text == "Short one."


def test_a_700_character_post_fits_an_instance_whose_limit_is_1000(session, make) -> None:
    account = make.account("mastodon")
    text = "a" * 700
    with pytest.raises(ValidationFailed, match="the limit is 500"):
        _queue(session, make.user("approver"), [account], text=text)
    assert store_account_limits(account, {"max_characters": 1000})
    session.flush()
    post = _queue(session, make.user("approver"), [account], text=text)
    assert post.targets[0].status == "scheduled"
    with pytest.raises(ValidationFailed, match="the limit is 1000") as refused:
        _queue(session, make.user("approver"), [account], text="a" * 1001)
    assert f"@{account.handle}" in refused.value.message


def test_only_sane_account_limits_are_kept(make) -> None:
    mastodon, x = make.account("mastodon"), make.account("x")
    assert not store_account_limits(x, {"max_characters": 1000})  # X has one limit for all
    assert x.max_characters is None
    for bad in ({}, None, {"max_characters": "lots"}, {"max_characters": 0},
                {"max_characters": True}, {"max_characters": 10**9}):
        assert not store_account_limits(mastodon, bad)
    assert mastodon.max_characters is None
    assert store_account_limits(mastodon, {"max_characters": "5000"})
    assert mastodon.max_characters == 5000


def test_the_same_text_on_the_same_account_within_a_day_is_a_warning(session, make) -> None:
    account, other = make.account("sandbox"), make.account("sandbox")
    approver = make.user("approver")
    first = _queue(session, approver, [account])
    assert warnings_for_post(session, first) == []
    again = _queue(session, approver, [account, other],
                   text="winter storm tonight:  stay off the roads.",
                   scheduled_at=LATER + timedelta(hours=3))
    warnings = warnings_for_post(session, again)
    assert len(warnings) == 1
    assert f"@{account.handle}" in warnings[0] and f"post {first.id}" in warnings[0]
    later = _queue(session, approver, [other], scheduled_at=LATER + timedelta(hours=28))
    assert warnings_for_post(session, later) == []  # post 2 is 25 hours away


def test_a_canceled_post_is_no_reason_to_warn(session, make) -> None:
    account = make.account("sandbox")
    make.post(author=make.user("approver"), accounts=[account], status=Status.CANCELED,
              at=LATER, text="Winter storm tonight: stay off the roads.")
    assert warnings_for_post(session, _queue(session, make.user("approver"), [account])) == []


def test_duplicating_a_post_makes_a_draft_with_its_text_variants_and_accounts(session,
                                                                              make) -> None:
    x, mastodon = make.account("x"), make.account("mastodon")
    author = make.user("approver")
    source = _queue(session, author, [x, mastodon], text=LONG, variants={"x": "Short."})
    pio = make.user("pio")
    copy = duplicate_post(session, actor=pio, post_id=source.id, now=NOW)
    assert copy.id != source.id and copy.author_id == pio.id
    assert copy.text == LONG and {v.platform: v.text for v in copy.variants} == {"x": "Short."}
    assert sorted(t.account_id for t in copy.targets) == sorted([x.id, mastodon.id])
    assert {t.status for t in copy.targets} == {"draft"}
    assert copy.first_scheduled_at == LATER  # still ahead: the same time


def test_a_copy_of_a_past_post_gets_a_time_ahead(session, make) -> None:
    account = make.account()
    old = make.post(author=make.user("approver"), accounts=[account], status=Status.PUBLISHED,
                    at=NOW - timedelta(days=3))
    copy = duplicate_post(session, actor=make.user("pio"), post_id=old.id, now=NOW)
    assert copy.first_scheduled_at > NOW + timedelta(minutes=59)
    assert copy.first_scheduled_at.time() == old.first_scheduled_at.time()
