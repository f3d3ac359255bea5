"""Campaigns: a named stretch of outreach that posts belong to, kept per agency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from content_queue.campaigns import CampaignInput, create_campaign, list_campaigns
from content_queue.errors import Forbidden, ValidationFailed
from content_queue.services import queue_post
from tests.unit.conftest import NOW


def test_a_campaign_is_created_for_the_author_s_agency(session, make) -> None:
    pio = make.user("pio")
    campaign = create_campaign(session, actor=pio, now=NOW, data=CampaignInput(
        "  NPSTW 2027 ", starts_on=date(2027, 4, 11), ends_on=date(2027, 4, 17)))
    assert (campaign.name, campaign.agency_id, campaign.created_by_id) == \
        ("NPSTW 2027", pio.agency_id, pio.id)


def test_a_campaign_needs_a_name_and_must_not_end_before_it_starts(session, make) -> None:
    pio = make.user("pio")
    with pytest.raises(ValidationFailed) as nameless:
        create_campaign(session, actor=pio, now=NOW, data=CampaignInput("   "))
    with pytest.raises(ValidationFailed) as backwards:
        create_campaign(session, actor=pio, now=NOW, data=CampaignInput(
            "Recruiting", starts_on=date(2027, 5, 2), ends_on=date(2027, 5, 1)))
    assert set(nameless.value.fields) == {"name"} and set(backwards.value.fields) == {"ends_on"}


def test_a_viewer_cannot_create_a_campaign(session, make) -> None:
    with pytest.raises(Forbidden):
        create_campaign(session, actor=make.user("viewer"), now=NOW, data=CampaignInput("X"))


def test_campaigns_are_listed_by_name_and_only_the_agency_s_own(session, make) -> None:
    pio = make.user("pio")
    outsider = make.user("pio", agency=make.agency(new=True))
    for name in ("Winter safety", "Recruiting"):
        create_campaign(session, actor=pio, now=NOW, data=CampaignInput(name))
    create_campaign(session, actor=outsider, now=NOW, data=CampaignInput("Elsewhere"))
    assert [c.name for c in list_campaigns(session, pio.agency_id)] == \
        ["Recruiting", "Winter safety"]


def test_a_post_may_join_only_its_own_agency_s_campaign(session, make) -> None:
    pio = make.user("pio")
    account = make.account()
    ours = create_campaign(session, actor=pio, now=NOW, data=CampaignInput("Ours"))
    theirs = create_campaign(session, actor=make.user("pio", agency=make.agency(new=True)),
                             now=NOW, data=CampaignInput("Theirs"))
    args = dict(actor=pio, text="Thank a dispatcher.", account_ids=[account.id],
                scheduled_at=NOW + timedelta(hours=1), now=NOW)
    assert queue_post(session, campaign_id=ours.id, **args).campaign_id == ours.id
    with pytest.raises(ValidationFailed) as err:
        queue_post(session, campaign_id=theirs.id, **args)
    assert err.value.code == "unknown_campaign"
