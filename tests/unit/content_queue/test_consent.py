"""Consent records: a spotlight or success-story post cannot be approved (nor an approver's
own draft submitted straight to scheduled) until someone's consent is on record."""

from __future__ import annotations

from datetime import date

import pytest

from content_queue.consent import ConsentRequired, record_consent, require_consent
from content_queue.errors import Forbidden, ValidationFailed
from content_queue.models import AuditEvent, Campaign, KitPost, KitRun
from content_queue.services import approve_post, submit_post
from content_queue.states import Status
from tests.unit.conftest import NOW


def needs_consent(session, make, post) -> None:
    campaign_run = KitRun(agency_id=post.agency_id, campaign_id=_campaign(session, make).id,
                          kit_id="dispatcher-spotlight", kit_name="Dispatcher spotlight",
                          fields={}, anchor_date=date(2027, 4, 12), started_at=NOW)
    session.add(campaign_run)
    session.flush()
    session.add(KitPost(post_id=post.id, agency_id=post.agency_id, run_id=campaign_run.id,
                        key="spotlight", title="Dispatcher spotlight", requires_consent=True,
                        variants={}, image_prompts=[]))
    session.flush()


def _campaign(session, make):
    row = Campaign(agency_id=make.agency().id, name="Spotlight", created_at=NOW)
    session.add(row)
    session.flush()
    return row


def consent(session, actor, post_id, **overrides):
    values = {"person_name": "Jordan Lee", "given_by": "Jordan Lee",
              "given_on": "2027-04-02", "purpose": "Name and photo in the spotlight post.",
              "covers_photo": True, **overrides}
    return record_consent(session, actor=actor, post_id=post_id, now=NOW, **values)


def test_approval_is_refused_until_consent_is_recorded(session, make):
    pio, approver = make.user("pio"), make.user("approver")
    post = make.post(author=pio, accounts=[make.account()], status=Status.AWAITING_APPROVAL)
    needs_consent(session, make, post)
    with pytest.raises(ConsentRequired) as refused:
        approve_post(session, actor=approver, post_id=post.id, now=NOW)
    assert refused.value.code == "consent_required" and refused.value.status == 409
    assert "consent" in refused.value.message
    recorded = consent(session, pio, post.id)
    assert (recorded.recorded_by_id, recorded.covers_name, recorded.covers_photo) == \
        (pio.id, True, True)
    approve_post(session, actor=approver, post_id=post.id, now=NOW)
    assert {t.status for t in post.targets} == {Status.SCHEDULED.value}
    assert session.query(AuditEvent).filter_by(action="consent.recorded").count() == 1


def test_an_approver_s_own_submit_is_an_approval_and_needs_consent_too(session, make):
    approver = make.user("approver")
    post = make.post(author=approver, accounts=[make.account()], status=Status.DRAFT)
    needs_consent(session, make, post)
    with pytest.raises(ConsentRequired):
        submit_post(session, actor=approver, post_id=post.id, now=NOW)


def test_posts_without_a_consent_flag_are_not_held(session, make):
    post = make.post(author=make.user("pio"), accounts=[make.account()], status=Status.DRAFT)
    require_consent(session, post)  # no refusal


@pytest.mark.parametrize("overrides, field", [
    ({"given_by": "  "}, "given_by"), ({"given_on": "yesterday"}, "given_on"),
    ({"given_on": "2099-01-01"}, "given_on"), ({"purpose": ""}, "purpose"),
    ({"covers_name": False, "covers_photo": False}, "covers"),
])
def test_an_incomplete_consent_is_refused_naming_the_field(session, make, overrides, field):
    pio = make.user("pio")
    post = make.post(author=pio, accounts=[make.account()], status=Status.DRAFT)
    with pytest.raises(ValidationFailed) as caught:
        consent(session, pio, post.id, **overrides)
    assert field in caught.value.fields


def test_viewers_cannot_record_consent(session, make):
    post = make.post(author=make.user("pio"), accounts=[make.account()], status=Status.DRAFT)
    with pytest.raises(Forbidden):
        consent(session, make.user("viewer"), post.id)
