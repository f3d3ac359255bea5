"""The worker's last look: a claimed target whose text holds a finding no override covers is
failed with the reason in plain words and never sent; with an override it is published with
the agency footer (issue 10). In-process worker job against the simulator over HTTP."""

from __future__ import annotations

from sqlalchemy import update

from content_queue.footer import DEFAULT_FOOTER
from content_queue.guard import override_guard
from content_queue.models import Agency, PostTarget, User
from tests.integration.helpers import claimed_target, utcnow
from workers.jobs import publish_one

SENSITIVE = "Kudos to B shift on CAD 24-018812 tonight."


def _claimed(db, factory, text: str) -> int:
    """A post written before the guard (or before a new pattern), already claimed."""
    return claimed_target(db, factory, factory.account("sandbox"), text)


def test_a_finding_at_publish_time_fails_the_target_with_a_plain_reason(db, factory, sim, rt):
    target_id = _claimed(db, factory, SENSITIVE)
    assert publish_one(rt, target_id) == "failed"
    with db.session_scope(write=False) as s:
        target = s.get(PostTarget, target_id)
        assert target.status == "failed" and target.error_code == "sensitive_information"
        assert "Not published" in target.last_error and "CAD 24-018812" in target.last_error
    assert sim.posts("sandbox") == []


def test_an_override_lets_it_out_with_the_agency_footer(db, factory, sim, rt):
    target_id = _claimed(db, factory, SENSITIVE)
    approver = factory.user("approver")
    with db.session_scope() as s:
        s.execute(update(Agency).values(footer_enabled=True))
        post = s.get(PostTarget, target_id).post
        override_guard(s, actor=s.get(User, approver.id), post=post,
                       justification="Training exercise number, cleared by the director.",
                       now=utcnow())
    assert publish_one(rt, target_id) == "published"
    (published,) = sim.posts("sandbox")
    assert published["text"] == f"{SENSITIVE}\n\n{DEFAULT_FOOTER}"
