"""Claiming a little ahead: what is due within the look-ahead is claimed with its due instant,
later targets are left alone, and the claim does not depend on how much is queued for later."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from content_queue.models import AuditEvent, PostTarget
from scheduler import DueTarget, claim_due, tick
from tests.unit.conftest import NOW

SECOND = timedelta(seconds=1)


def _scheduled(make, *times):
    author, account = make.user("admin"), make.account()
    return [make.post(author=author, accounts=[account], status="scheduled", at=at).targets[0]
            for at in times]


def test_targets_due_within_the_lookahead_are_claimed_with_their_due_instant(
        rolled_back_db, make) -> None:
    soon, later = _scheduled(make, NOW + 0.4 * SECOND, NOW + 3 * SECOND)
    sent: list = []

    result = tick(rolled_back_db, NOW, sent.append, lookahead=SECOND)

    assert result.claimed == [soon.id]
    (handed_on,) = sent[0]
    assert isinstance(handed_on, DueTarget) and handed_on.due_at == NOW + 0.4 * SECOND
    assert handed_on.account_id == soon.account_id  # a message bounds each account's share
    with rolled_back_db.session_scope(write=False) as s:
        assert s.get(PostTarget, later.id).status == "scheduled"


def test_without_lookahead_nothing_in_the_future_is_claimed(rolled_back_db, make) -> None:
    _scheduled(make, NOW + 0.4 * SECOND)

    assert tick(rolled_back_db, NOW, lambda ids: None).claimed == []


def test_a_claim_reads_the_due_ids_first_and_audits_each_in_one_insert(session, make) -> None:
    due = _scheduled(make, NOW - SECOND, NOW - 2 * SECOND, NOW + timedelta(days=30))[:2]

    claimed = claim_due(session, NOW, limit=10)

    assert claimed == sorted(t.id for t in due)
    assert [c.due_at for c in sorted(claimed, key=lambda c: c.due_at)] == [
        NOW - 2 * SECOND, NOW - SECOND]
    audits = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "target.publishing", AuditEvent.entity_id.in_(claimed)))
    assert audits == 2


def test_the_claim_limit_takes_the_most_overdue_first(session, make) -> None:
    targets = _scheduled(make, NOW - SECOND, NOW - 3 * SECOND, NOW - 2 * SECOND)

    claimed = claim_due(session, NOW, limit=2)

    assert sorted(claimed) == sorted([targets[1].id, targets[2].id])
