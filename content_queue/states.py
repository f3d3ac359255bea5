"""The post-target state machine as a pure table: the states, the allowed moves, and the two
ways a move can fail.

Nothing here touches the database, so the models can use :class:`Status` and the rules can be
checked without a session. The guarded write that applies a move to a row is
:func:`content_queue.transitions.transition`.
"""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    #: Due while an incident pause covered its account; waits for the pause to be resumed.
    HELD = "held"
    UNCONFIRMED = "unconfirmed"

    def __str__(self) -> str:
        return self.value


S = Status

#: Every allowed move. ``publishing → scheduled`` is a retry after a temporary platform error
#: (rate limit, outage); ``failed → scheduled`` is a supervisor's manual retry; ``expired →
#: awaiting_approval`` is a resubmission with a fresh time; ``awaiting_approval → draft`` is a
#: rejection sent back to the author. ``publishing → unconfirmed`` is a call whose outcome is
#: unknown and could not be looked up; a person then says "it is there" (``→ published``) or
#: "post it again" (``→ scheduled``), or cancels it.
ALLOWED: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELED}),
    S.AWAITING_APPROVAL: frozenset({S.SCHEDULED, S.DRAFT, S.EXPIRED, S.CANCELED}),
    S.SCHEDULED: frozenset({S.PUBLISHING, S.AWAITING_APPROVAL, S.DRAFT, S.CANCELED, S.HELD}),
    S.PUBLISHING: frozenset({S.HELD, S.PUBLISHED, S.FAILED, S.SCHEDULED, S.UNCONFIRMED}),
    S.PUBLISHED: frozenset(),
    # issue 8 approvals: a failed post given a new time by a PIO waits for approval again.
    S.FAILED: frozenset({S.SCHEDULED, S.AWAITING_APPROVAL, S.CANCELED}),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELED}),
    # An incident pause: the scheduler (or the worker's last check) holds; a resume sends it
    # on (scheduled, shifted or spaced) or back for approval.
    S.HELD: frozenset({S.SCHEDULED, S.AWAITING_APPROVAL, S.CANCELED}),
    S.UNCONFIRMED: frozenset({S.PUBLISHED, S.SCHEDULED, S.CANCELED}),
}

#: States in which a target is finished and will not change on its own.
TERMINAL = frozenset({S.PUBLISHED, S.CANCELED})
#: States a PIO may still edit (text, time, accounts) before publishing starts.
EDITABLE = frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.SCHEDULED, S.EXPIRED, S.HELD, S.FAILED})


class TransitionRefused(Exception):
    """The move is not in :data:`ALLOWED` — a programming or user error, never a race."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"A post that is {current.value.replace('_', ' ')} cannot become "
                         f"{target.value.replace('_', ' ')}.")
        self.current = current
        self.target = target


class TransitionConflict(Exception):
    """Another process changed the target first; re-read it and decide again."""


def can_transition(current: Status | str, target: Status | str) -> bool:
    return Status(target) in ALLOWED[Status(current)]


def check_transition(current: Status | str, target: Status | str) -> Status:
    """``target`` as a :class:`Status` if the move is allowed; :class:`TransitionRefused` if not."""
    current, target = Status(current), Status(target)
    if target not in ALLOWED[current]:
        raise TransitionRefused(current, target)
    return target
