"""Text longer than its column is a ValidationFailed naming the field and its limit, on every
backend (PostgreSQL would raise a database error, SQLite would keep it), checked at flush."""

from __future__ import annotations

import pytest

from content_queue.errors import ValidationFailed
from content_queue.models import Campaign
from tests.unit.conftest import NOW


def _campaign(make, name: str) -> Campaign:
    return Campaign(agency_id=make.agency().id, name=name, created_at=NOW)


def test_a_name_one_past_its_column_is_refused_at_flush(session, make) -> None:
    session.add(_campaign(make, "N" * 201))
    with pytest.raises(ValidationFailed) as refused:
        session.flush()
    assert refused.value.code == "too_long"
    assert refused.value.fields == {"name": "At most 200 characters."}
    assert refused.value.message == ("The name is too long: at most 200 characters "
                                     "(this one has 201).")


def test_a_name_that_fills_its_column_is_kept(session, make) -> None:
    campaign = _campaign(make, "N" * 200)
    session.add(campaign)
    session.flush()
    session.expire(campaign)
    assert campaign.name == "N" * 200


def test_a_changed_row_is_checked_too(session, make) -> None:
    campaign = _campaign(make, "Telecommunicator Week")
    session.add(campaign)
    session.flush()
    campaign.name = "W" * 250
    with pytest.raises(ValidationFailed, match="this one has 250"):
        session.flush()


def test_text_columns_without_a_limit_are_not_checked(session, make) -> None:
    campaign = _campaign(make, "Recruiting")
    campaign.description = "d" * 100_000
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
