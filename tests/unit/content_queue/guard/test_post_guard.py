"""The guard in the verbs: submit, approve and publish refuse a finding unless an approver's
written override covers those exact texts; the override is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.errors import Forbidden, ValidationFailed
from content_queue.guard import GuardBlocked, override_guard, publish_refusal
from content_queue.models import AuditEvent, GuardOverride, MediaAsset, PostMedia
from content_queue.services import approve_post, queue_post, submit_post
from content_queue.states import Status
from tests.unit.conftest import NOW

LATER = NOW + timedelta(hours=2)
SENSITIVE = "Great work by B shift on CAD 24-018812 tonight."


def _queue(session, actor, account, text=SENSITIVE, **kwargs):
    return queue_post(session, actor=actor, text=text, account_ids=[account.id],
                      scheduled_at=LATER, now=NOW, **kwargs)


def test_queueing_a_post_with_a_finding_is_refused_with_the_words(session, make) -> None:
    with pytest.raises(GuardBlocked) as refused:
        _queue(session, make.user("pio"), make.account())
    (found,) = refused.value.findings_as_dicts()
    assert found["kind"] == "incident_number" and found["text"] == "CAD 24-018812"
    assert found["field"] == "text" and SENSITIVE[found["start"]:found["end"]] == found["text"]
    assert refused.value.status == 422 and "CAD 24-018812" in refused.value.message


def test_a_variant_with_a_finding_is_refused_too(session, make) -> None:
    with pytest.raises(GuardBlocked) as refused:
        _queue(session, make.user("pio"), make.account("x"), text="Thanks, B shift!",
               variants={"x": "Thanks to the caller at 715-381-2204!"})
    assert [f["field"] for f in refused.value.findings_as_dicts()] == ["variants.x"]


def test_an_image_s_alt_text_is_checked(session, make) -> None:
    pio, account = make.user("pio"), make.account()
    post = _queue(session, pio, account, text="Thanks, B shift!", submit=False)
    image = MediaAsset(agency_id=pio.agency_id, filename="a.png", mime_type="image/png", size=1,
                       width=1, height=1, sha256="0" * 64, data=b"x", created_at=NOW,
                       alt_text="Whiteboard reading CAD 24-018812 and a map")
    session.add(image)
    session.flush()
    session.add(PostMedia(post_id=post.id, media_id=image.id, position=0))
    session.flush()
    with pytest.raises(GuardBlocked) as refused:
        submit_post(session, actor=pio, post_id=post.id, now=NOW)
    assert refused.value.findings_as_dicts()[0]["field"] == "media.0.alt_text"


def test_a_draft_may_hold_a_finding_but_cannot_be_submitted(session, make) -> None:
    pio = make.user("pio")
    post = _queue(session, pio, make.account(), submit=False)
    assert post.targets[0].status == Status.DRAFT.value
    with pytest.raises(GuardBlocked):
        submit_post(session, actor=pio, post_id=post.id, now=NOW)


def test_approving_a_post_with_a_finding_is_refused(session, make) -> None:
    pio, approver, account = make.user("pio"), make.user("approver"), make.account()
    post = make.post(author=pio, accounts=[account], status=Status.AWAITING_APPROVAL,
                     at=LATER, text=SENSITIVE)
    with pytest.raises(GuardBlocked):
        approve_post(session, actor=approver, post_id=post.id, now=NOW)


def test_an_approver_s_override_lets_that_exact_text_through_and_is_audited(session, make) -> None:
    pio, approver, account = make.user("pio"), make.user("approver"), make.account()
    post = make.post(author=pio, accounts=[account], status=Status.AWAITING_APPROVAL,
                     at=LATER, text=SENSITIVE)
    override_guard(session, actor=approver, post=post,
                   justification="The CAD number is from a public training exercise.", now=NOW)
    approve_post(session, actor=approver, post_id=post.id, now=NOW)
    assert post.targets[0].status == Status.SCHEDULED.value
    assert publish_refusal(session, post) is None
    row = session.scalars(select(GuardOverride).where(GuardOverride.post_id == post.id)).one()
    assert row.created_by_id == approver.id and row.findings[0]["text"] == "CAD 24-018812"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "guard.override",
                                                     AuditEvent.entity_id == post.id)).one()
    assert event.actor_id == approver.id
    assert event.details["justification"].startswith("The CAD number")


def test_an_edit_after_the_override_needs_a_new_one(session, make) -> None:
    pio, approver, account = make.user("pio"), make.user("approver"), make.account()
    post = make.post(author=pio, accounts=[account], status=Status.SCHEDULED, at=LATER,
                     text=SENSITIVE)
    override_guard(session, actor=approver, post=post,
                   justification="Public training exercise number.", now=NOW)
    post.text = SENSITIVE + " Caller: 715-381-2204."
    session.flush()
    assert publish_refusal(session, post).startswith("Not published")


def test_only_an_approver_may_override_and_only_with_a_justification(session, make) -> None:
    pio, approver, account = make.user("pio"), make.user("approver"), make.account()
    post = make.post(author=pio, accounts=[account], status=Status.DRAFT, at=LATER,
                     text=SENSITIVE)
    with pytest.raises(Forbidden):
        override_guard(session, actor=pio, post=post, justification="I am sure it is fine.",
                       now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        override_guard(session, actor=approver, post=post, justification="  ", now=NOW)
    assert refused.value.code == "justification_required"


def test_an_approver_queues_with_a_justification_in_one_step(session, make) -> None:
    approver = make.user("approver")
    post = _queue(session, approver, make.account(),
                  guard_override="Number is from the public after-action report.")
    assert post.targets[0].status == Status.SCHEDULED.value
    assert session.scalars(select(GuardOverride).where(GuardOverride.post_id == post.id)).one()


def test_a_pio_cannot_override_when_queueing(session, make) -> None:
    with pytest.raises(Forbidden):
        _queue(session, make.user("pio"), make.account(), guard_override="Trust me, it's fine.")


def test_publishing_refuses_a_finding_no_override_covers(session, make) -> None:
    pio, account = make.user("pio"), make.account()
    post = make.post(author=pio, accounts=[account], status=Status.SCHEDULED, at=LATER,
                     text=SENSITIVE)
    reason = publish_refusal(session, post)
    assert reason.startswith("Not published") and "CAD 24-018812" in reason


def test_a_clean_post_goes_through(session, make) -> None:
    post = _queue(session, make.user("pio"), make.account(),
                  text="Happy #NPSTW2027! 42 telecommunicators, 118,402 calls in 2026. Call 911.")
    assert post.targets[0].status == Status.AWAITING_APPROVAL.value
