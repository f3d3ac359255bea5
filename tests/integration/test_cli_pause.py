"""`tenfour pause` and `tenfour resume` as an operator uses them on the server: each call a real
process on the test's database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.migrate import upgrade
from content_queue.models import AuditEvent, Pause, PostTarget, User
from content_queue.pauses import hold_paused_targets
from content_queue.services import queue_post
from tests.integration.helpers import utcnow
from tests.integration.test_cli import tenfour


@pytest.fixture
def migrated(settings, db_url):
    upgrade(db_url)
    return settings


def test_pause_some_accounts_then_resume_with_review(migrated, db, factory) -> None:
    paused, other = factory.account("sandbox"), factory.account("sandbox")
    approver = factory.user("approver")

    out = tenfour(migrated, "pause", "--reason", "Line-of-duty death", "--account",
                  str(paused.id), "--email", approver.email).stdout
    assert "Paused outgoing posts" in out and str(paused.id) in out
    with db.session_scope(write=False) as s:
        pause = s.scalars(select(Pause)).one()
        assert pause.account_ids == [paused.id] and pause.created_by_id == approver.id
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, approver.id), text="Thank you, dispatchers.",
                          account_ids=[paused.id, other.id],
                          scheduled_at=utcnow() + timedelta(seconds=30), now=utcnow())
        target_ids = {t.account_id: t.id for t in post.targets}
    with db.session_scope() as s:
        assert hold_paused_targets(s, utcnow() + timedelta(minutes=1)) == [target_ids[paused.id]]

    out = tenfour(migrated, "resume", "--held", "review").stdout

    assert "1 held post(s), review" in out
    with db.session_scope(write=False) as s:
        assert s.get(PostTarget, target_ids[paused.id]).status == "awaiting_approval"
        assert s.get(PostTarget, target_ids[other.id]).status == "scheduled"
        assert s.get(Pause, pause.id).resumed_at is not None
        assert s.get(Pause, pause.id).resumed_by_id is None
        assert [e.action for e in s.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "pause").order_by(AuditEvent.id))] == \
            ["pause.created", "pause.resumed"]
    assert "Nothing is paused." in tenfour(migrated, "resume").stdout


def test_pause_without_a_reason_or_with_an_unknown_account_is_refused(migrated, db,
                                                                      factory) -> None:
    factory.account("sandbox")
    blank = tenfour(migrated, "pause", "--reason", "  ", check=False)
    assert blank.returncode != 0 and "reason is required" in blank.stderr
    unknown = tenfour(migrated, "pause", "--reason", "x", "--account", "424242", check=False)
    assert unknown.returncode != 0 and "No account with id 424242" in unknown.stderr
    with db.session_scope(write=False) as s:
        assert s.scalars(select(Pause)).all() == []
