"""The pure state table: exactly the moves the domain's rules describe, no more, no fewer.

The expected moves are written out by hand below, each with the rule it comes from, and not
computed from :data:`content_queue.states.ALLOWED`: a wrong table must fail here.
"""

from __future__ import annotations

import itertools

import pytest

from content_queue.states import (
    ALLOWED,
    Status,
    TransitionRefused,
    can_transition,
    check_transition,
)

#: The eight target statuses the README lists.
STATUSES = {"draft", "awaiting_approval", "scheduled", "publishing", "published", "failed",
            "canceled", "expired", "unconfirmed", "held"}

#: Every allowed (from, to), by hand.
MOVES = {
    ("draft", "awaiting_approval"),      # a PIO submits a draft for approval
    ("draft", "scheduled"),              # an approver's own draft is scheduled at once
    ("draft", "canceled"),               # withdrawn before it was submitted
    ("awaiting_approval", "scheduled"),  # approved by another approver
    ("awaiting_approval", "draft"),      # sent back to the author for changes
    ("awaiting_approval", "expired"),    # not approved by its time: never published late
    ("awaiting_approval", "canceled"),   # withdrawn while waiting
    ("scheduled", "publishing"),         # claimed by the scheduler when due
    ("scheduled", "awaiting_approval"),  # a PIO moved its time: approval is needed again
    ("scheduled", "draft"),              # taken back to a draft
    ("scheduled", "canceled"),           # withdrawn before it went out
    ("publishing", "published"),         # the platform accepted it
    ("publishing", "failed"),            # the platform refused it for good
    ("publishing", "scheduled"),         # a temporary error (rate limit, outage): retry later
    ("failed", "scheduled"),             # a supervisor's retry
    ("failed", "canceled"),              # given up on
    ("failed", "awaiting_approval"),     # a PIO gave it a new time: approval is needed again
    ("expired", "awaiting_approval"),    # a PIO resubmits it with a fresh time
    ("expired", "scheduled"),            # an approver reschedules it
    ("expired", "canceled"),             # given up on
    ("publishing", "unconfirmed"),       # no answer, and the look-up could not tell
    ("unconfirmed", "published"),        # a person saw it: "it is there", with its link
    ("unconfirmed", "scheduled"),        # a person checked: "post it again"
    ("unconfirmed", "canceled"),         # given up on
    ("scheduled", "held"),               # due while an incident pause covers its account
    ("publishing", "held"),              # the worker's last check found a pause
    ("held", "scheduled"),               # resumed: shift, or publish_now spaced out
    ("held", "awaiting_approval"),       # resumed: review (approve again)
    ("held", "canceled"),                # given up on during the pause
}

PAIRS = [(a.value, b.value) for a, b in itertools.product(Status, Status)]
REFUSED = [pair for pair in PAIRS if pair not in MOVES]


def _table() -> set[tuple[str, str]]:
    return {(a.value, b.value) for a, targets in ALLOWED.items() for b in targets}


def test_the_statuses_are_the_eight_the_readme_lists() -> None:
    assert {s.value for s in Status} == STATUSES
    assert {s.value for s in ALLOWED} == STATUSES


def test_the_table_allows_no_move_missing_from_the_hand_written_list() -> None:
    assert _table() - MOVES == set()


def test_the_table_allows_every_move_on_the_hand_written_list() -> None:
    assert MOVES - _table() == set()


@pytest.mark.parametrize("current,to", sorted(MOVES), ids=[f"{a}->{b}" for a, b in sorted(MOVES)])
def test_an_allowed_move_is_allowed(current: str, to: str) -> None:
    assert can_transition(current, to)
    assert check_transition(current, to) == Status(to)


@pytest.mark.parametrize("current,to", REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_a_move_not_on_the_list_is_refused(current: str, to: str) -> None:
    assert not can_transition(current, to)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, to)
    assert (refused.value.current, refused.value.target) == (Status(current), Status(to))


def test_the_issue_s_core_path_is_allowed() -> None:
    for a, b in [("draft", "awaiting_approval"), ("awaiting_approval", "scheduled"),
                 ("scheduled", "publishing"), ("publishing", "published"),
                 ("publishing", "failed"), ("awaiting_approval", "expired")]:
        assert can_transition(a, b), (a, b)


def test_canceled_is_reachable_from_every_state_before_publishing_and_never_after() -> None:
    for s in (Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED):
        assert can_transition(s, Status.CANCELED)
    for s in (Status.PUBLISHING, Status.PUBLISHED):
        assert not can_transition(s, Status.CANCELED)


def test_published_and_canceled_are_final() -> None:
    assert ALLOWED[Status.PUBLISHED] == frozenset()
    assert ALLOWED[Status.CANCELED] == frozenset()


def test_an_expired_post_cannot_go_straight_to_publishing() -> None:
    assert not can_transition(Status.EXPIRED, Status.PUBLISHING)
    assert not can_transition(Status.AWAITING_APPROVAL, Status.PUBLISHING)


def test_a_refusal_says_in_words_what_cannot_happen() -> None:
    with pytest.raises(TransitionRefused, match="A post that is awaiting approval cannot become "
                                                "publishing."):
        check_transition("awaiting_approval", "publishing")
