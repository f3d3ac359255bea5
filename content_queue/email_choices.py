"""Each person's choice of which notifications also reach them by e-mail.

Someone who is an admin of a busy center may want "a post failed" in their inbox but not every
"a post is held by the pause" while an incident lasts. So each person turns events off for
e-mail on their own page; the in-app notice always stays (it is the record that they were
told), and the agency webhook is the agency's, not the person's, so it is not affected.

What is stored is the events turned *off* (``User.email_muted_events``), so an event added later
reaches everyone by e-mail until they choose otherwise. An emergency-looking reply is never
suppressible: it is not among the choices, and an e-mail addressed to the on-duty contact
(``Notification.email_to``) is sent whatever its recipient chose.

The worker asks :func:`email_wanted` when it delivers (the choice in force then counts).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from sqlalchemy.orm import Session

from content_queue.approvals import POST_APPROVED, POST_COMMENTED, POST_REJECTED
from content_queue.errors import ValidationFailed
from content_queue.feedback import REPLY_EMERGENCY
from content_queue.models import Notification, User
from content_queue.notifications import (ACCOUNT_RECONNECT_NEEDED, POST_AWAITING_APPROVAL,
                                         SCHEDULER_STALLED, TARGET_FAILED, TARGET_HELD,
                                         TARGET_UNCONFIRMED)
from content_queue.users import audit

#: (event, what the person reads on their page), in the order shown.
EMAIL_CHOICES: tuple[tuple[str, str], ...] = (
    (TARGET_FAILED, "A post failed on an account"),
    (TARGET_UNCONFIRMED, "A platform's answer was lost: a post may or may not be there"),
    (TARGET_HELD, "A post is held by an incident pause"),
    (ACCOUNT_RECONNECT_NEEDED, "An account needs reconnecting"),
    (SCHEDULER_STALLED, "Scheduled posts are not going out"),
    (POST_AWAITING_APPROVAL, "A post is waiting for my approval"),
    (POST_APPROVED, "My post was approved"),
    (POST_REJECTED, "My post was sent back"),
    (POST_COMMENTED, "Someone commented on my post"),
)
CHOOSABLE = frozenset(event for event, _ in EMAIL_CHOICES)
#: Always e-mailed, whatever the person chose (shown on the page as such).
ALWAYS_EMAILED = frozenset({REPLY_EMERGENCY})


def muted_events(user: User) -> frozenset[str]:
    """The events ``user`` turned off by e-mail (unreadable or unknown entries are ignored)."""
    try:
        stored = json.loads(user.email_muted_events or "[]")
    except ValueError:
        return frozenset()
    if not isinstance(stored, list):
        return frozenset()
    return frozenset(e for e in stored if isinstance(e, str) and e in CHOOSABLE)


def email_wanted(row: Notification, user: User) -> bool:
    """Whether this notice should also go to ``user`` by e-mail."""
    if row.email_to or row.event in ALWAYS_EMAILED:
        return True
    return row.event not in muted_events(user)


def set_email_choices(session: Session, user: User, wanted: Iterable[str], *,
                      now: datetime) -> frozenset[str]:
    """Keep e-mail for exactly the ``wanted`` choosable events (the ticked boxes); returns the
    events now turned off. Only the person themself calls this, for their own row."""
    wanted = set(wanted)
    unknown = wanted - CHOOSABLE - ALWAYS_EMAILED
    if unknown:
        raise ValidationFailed("Choose from the events listed.", code="unknown_event",
                               fields={"events": "Unknown: " + ", ".join(sorted(unknown))})
    muted = frozenset(CHOOSABLE - wanted)
    before = muted_events(user)
    user.email_muted_events = json.dumps(sorted(muted)) if muted else None
    if muted != before:
        audit(session, "user.email_choices_updated", actor_id=user.id, entity_type="user",
              entity_id=user.id, now=now,
              details={"turned_off": sorted(muted - before), "turned_on": sorted(before - muted)})
    session.flush()
    return muted
