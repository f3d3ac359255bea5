"""The approver's side (issue 8): the queue oldest first, decisions with a comment in the
thread, the author notified, review links for a named person, versions of every edit, and
text with bidirectional controls flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.approvals import add_comment, approval_queue, decide, list_comments, update_rules
from content_queue.bidi import bidi_controls, has_bidi_controls, split_bidi
from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import AuditEvent, Notification, PostVersion
from content_queue.post_edits import edit_post
from content_queue.review_links import (create_link, decide_by_link, find_link, link_state,
                                        revoke_link)
from content_queue.versions import diff_text, list_versions
from tests.unit.conftest import NOW

KEY = "unit-test-secret-key"
LATER = NOW + timedelta(hours=3)


def _statuses(post) -> list[str]:
    return [t.status for t in post.targets]


@pytest.fixture
def people(make):
    return make.user("pio"), make.user("approver")


def test_the_queue_lists_waiting_posts_oldest_first_and_paginates(session, make, people) -> None:
    pio, approver = people
    account = make.account()
    first = make.post(author=pio, accounts=[account], status="awaiting_approval")
    second = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    second.created_at = NOW + timedelta(minutes=5)
    first.created_at = NOW - timedelta(days=1)
    make.post(author=pio, accounts=[make.account()], status="scheduled")
    session.flush()
    rows, total = approval_queue(session, approver, page=1, per_page=1)
    assert total == 2 and [p.id for p in rows] == [first.id]
    rows, _ = approval_queue(session, approver, page=2, per_page=1)
    assert [p.id for p in rows] == [second.id]


def test_a_rejection_with_a_comment_is_threaded_and_the_author_is_notified(session, make,
                                                                           people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    decide(session, actor=approver, post_id=post.id, decision="reject",
           comment="Please add the non-emergency number.", now=NOW)
    assert _statuses(post) == ["draft"]
    comments, total = list_comments(session, pio, post.id)
    assert total == 1
    assert (comments[0].kind, comments[0].body, comments[0].author_id) == \
        ("rejected", "Please add the non-emergency number.", approver.id)
    notice = session.scalars(select(Notification).where(Notification.post_id == post.id)).one()
    assert notice.user_id == pio.id and notice.event == "post_rejected"
    assert "non-emergency number" in notice.body


def test_an_approval_notifies_the_author_only(session, make, people) -> None:
    pio, approver = people
    make.user("admin")
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    decide(session, actor=approver, post_id=post.id, decision="approve", comment="", now=NOW)
    assert _statuses(post) == ["scheduled"]
    users = session.scalars(select(Notification.user_id)
                            .where(Notification.event == "post_approved")).all()
    assert users == [pio.id]


def test_the_author_and_approvers_comment_but_another_pio_and_viewers_cannot(session, make,
                                                                             people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    add_comment(session, actor=pio, post_id=post.id, body="Is the time right?", now=NOW)
    add_comment(session, actor=approver, post_id=post.id, body="Yes.", now=NOW)
    for outsider in (make.user("pio"), make.user("viewer")):
        with pytest.raises(Forbidden):
            add_comment(session, actor=outsider, post_id=post.id, body="Me too", now=NOW)
    with pytest.raises(ValidationFailed):
        add_comment(session, actor=pio, post_id=post.id, body="   ", now=NOW)
    assert [c.body for c in list_comments(session, pio, post.id)[0]] == ["Is the time right?",
                                                                         "Yes."]


def test_only_admins_change_the_rules_and_the_change_is_audited(session, make) -> None:
    with pytest.raises(Forbidden):
        update_rules(session, actor=make.user("approver"), pio_posts_need_approval=False,
                     second_person_required=True, now=NOW)
    agency = update_rules(session, actor=make.user("admin"), pio_posts_need_approval=False,
                          second_person_required=True, now=NOW)
    assert (agency.pio_posts_need_approval, agency.second_person_required) == (False, True)
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.action == "agency.approval_rules")).one().details["after"] == {
        "pio_posts_need_approval": False, "second_person_required": True}


# --- review links -------------------------------------------------------------------------

def test_a_review_link_approval_is_recorded_under_the_named_person(session, make,
                                                                   people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    link, token = create_link(session, actor=approver, post_id=post.id, name="Director Ruiz",
                              now=NOW, secret_key=KEY)
    assert link.expires_at == NOW + timedelta(hours=72)
    assert token not in (link.secret_hash,)
    found = find_link(session, token, KEY)
    decide_by_link(session, link=found, decision="approve", comment="Good to go.", now=NOW)
    assert _statuses(post) == ["scheduled"]
    assert (post.approved_by_id, post.approved_by_name) == (None, "Director Ruiz")
    [comment] = list_comments(session, pio, post.id)[0]
    assert (comment.author_name, comment.kind, comment.author_id) == \
        ("Director Ruiz", "approved", None)
    event = session.scalars(select(AuditEvent)
                            .where(AuditEvent.action == "target.scheduled")).one()
    assert event.actor_id is None and event.details["reviewer"] == "Director Ruiz"
    assert link_state(found, post, NOW).code == "used"
    with pytest.raises(Conflict) as err:
        decide_by_link(session, link=found, decision="reject", comment="", now=NOW)
    assert err.value.code == "link_used"


def test_a_forged_or_altered_token_is_not_found(session, make, people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    _, token = create_link(session, actor=approver, post_id=post.id, name="Director Ruiz",
                           now=NOW, secret_key=KEY)
    link_id, secret, signature = token.split(".")
    for forged in (f"{link_id}.{secret}x.{signature}", f"{link_id}.{secret}.{signature[:-2]}AA",
                   "nonsense", "", f"{int(link_id) + 1}.{secret}.{signature}"):
        with pytest.raises(NotFound):
            find_link(session, forged, KEY)
    with pytest.raises(NotFound):
        find_link(session, token, "another-key")


def test_an_expired_or_revoked_link_cannot_decide(session, make, people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval",
                     at=NOW + timedelta(days=5))
    short, _ = create_link(session, actor=approver, post_id=post.id, name="Director Ruiz",
                           now=NOW, secret_key=KEY, expires_in_hours=2)
    assert link_state(short, post, NOW + timedelta(hours=1)).usable
    assert link_state(short, post, NOW + timedelta(hours=2)).code == "expired"
    with pytest.raises(Conflict):
        decide_by_link(session, link=short, decision="approve", comment="",
                       now=NOW + timedelta(hours=3))
    other, _ = create_link(session, actor=approver, post_id=post.id, name="County PIO",
                           now=NOW, secret_key=KEY)
    revoke_link(session, actor=approver, link_id=other.id, now=NOW)
    assert link_state(other, post, NOW).code == "revoked"
    assert _statuses(post) == ["awaiting_approval"]


def test_only_approvers_make_links_and_only_for_waiting_posts(session, make, people) -> None:
    pio, approver = people
    waiting = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    with pytest.raises(Forbidden):
        create_link(session, actor=pio, post_id=waiting.id, name="X", now=NOW, secret_key=KEY)
    draft = make.post(author=pio, accounts=[make.account()], status="draft")
    with pytest.raises(Conflict):
        create_link(session, actor=approver, post_id=draft.id, name="X", now=NOW,
                    secret_key=KEY)
    for hours in (0, 10_000, "12", True):
        with pytest.raises(ValidationFailed):
            create_link(session, actor=approver, post_id=waiting.id, name="X", now=NOW,
                        secret_key=KEY, expires_in_hours=hours)


# --- versions and edits ---------------------------------------------------------------------

def test_a_pio_editing_an_approved_post_returns_it_to_approval_and_keeps_versions(
        session, make, people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="scheduled",
                     text="Stay warm tonight.")
    post.approved_by_id, post.approved_at = approver.id, NOW
    edit_post(session, actor=pio, post_id=post.id, text="Stay warm and dry tonight.",
              now=NOW + timedelta(minutes=1))
    assert _statuses(post) == ["awaiting_approval"]
    assert post.approved_at is None
    versions, total = list_versions(session, post.id)
    assert total == 2
    assert [(v.number, v.text, v.changed) for v in versions] == [
        (2, "Stay warm and dry tonight.", ["text"]), (1, "Stay warm tonight.", [])]
    assert versions[0].edited_by_id == pio.id
    [notice] = session.scalars(select(Notification).where(  # the approver hears it waits again
        Notification.event == "post_awaiting_approval", Notification.post_id == post.id)).all()
    assert notice.user_id == approver.id and "Edited after its approval" in notice.body


def test_an_approver_editing_a_pio_s_approved_post_keeps_it_scheduled(session, make,
                                                                      people) -> None:
    pio, approver = people
    post = make.post(author=pio, accounts=[make.account()], status="scheduled")
    post.approved_by_id, post.approved_at = make.user("approver").id, NOW
    edit_post(session, actor=approver, post_id=post.id, text="Fixed a typo.", now=NOW)
    assert _statuses(post) == ["scheduled"]
    assert post.approved_by_id == approver.id


def test_with_a_second_person_an_approver_editing_their_own_post_waits_again(session,
                                                                             make) -> None:
    make.agency().second_person_required = True
    author, other = make.user("approver"), make.user("approver")
    post = make.post(author=author, accounts=[make.account()], status="scheduled")
    post.approved_by_id, post.approved_at = other.id, NOW
    edit_post(session, actor=author, post_id=post.id, scheduled_at=LATER, now=NOW)
    assert _statuses(post) == ["awaiting_approval"]
    assert [v.changed for v in list_versions(session, post.id)[0]][0] == ["scheduled_at"]


def test_rescheduling_is_kept_as_a_version(session, make, people) -> None:
    from content_queue.services import reschedule_post
    pio, _ = people
    post = make.post(author=pio, accounts=[make.account()], status="awaiting_approval")
    reschedule_post(session, actor=pio, post_id=post.id, scheduled_at=LATER, now=NOW)
    newest = list_versions(session, post.id)[0][0]
    assert (newest.changed, newest.scheduled_at) == (["scheduled_at"], LATER)


def test_editing_accounts_cancels_the_removed_one_and_adds_the_new_one(session, make,
                                                                       people) -> None:
    pio, _ = people
    keep, drop, add = make.account(), make.account(), make.account()
    post = make.post(author=pio, accounts=[keep, drop], status="awaiting_approval")
    edit_post(session, actor=pio, post_id=post.id, account_ids=[keep.id, add.id], now=NOW)
    by_account = {t.account_id: t.status for t in post.targets}
    assert by_account == {keep.id: "awaiting_approval", drop.id: "canceled",
                          add.id: "awaiting_approval"}
    assert session.scalars(select(PostVersion.changed).where(
        PostVersion.post_id == post.id, PostVersion.number == 2)).one() == ["targets"]


def test_an_edit_that_changes_nothing_keeps_no_version(session, make, people) -> None:
    pio, _ = people
    post = make.post(author=pio, accounts=[make.account()], status="draft")
    edit_post(session, actor=pio, post_id=post.id, text=post.text, now=NOW)
    assert list_versions(session, post.id)[1] == 0


def test_a_published_post_cannot_be_edited(session, make, people) -> None:
    pio, _ = people
    post = make.post(author=pio, accounts=[make.account()], status="published")
    with pytest.raises(Conflict):
        edit_post(session, actor=pio, post_id=post.id, text="New", now=NOW)


def test_the_diff_marks_removed_and_added_words() -> None:
    pieces = [(p.op, p.text) for p in diff_text("Stay warm tonight.", "Stay dry tonight.")]
    assert pieces == [("same", "Stay "), ("removed", "warm"), ("added", "dry"),
                      ("same", " tonight.")]


# --- bidi -----------------------------------------------------------------------------------

def test_direction_changing_characters_are_found_and_split_out() -> None:
    text = "Call \u202e119 llac\u202c now"
    assert has_bidi_controls(text)
    assert [(i, code) for i, code, _ in bidi_controls(text)] == [(5, "U+202E"), (14, "U+202C")]
    assert split_bidi(text) == [(False, "Call "), (True, "U+202E"), (False, "119 llac"),
                                (True, "U+202C"), (False, " now")]
    for ch in ("\u202a", "\u202b", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
               "\u200f"):
        assert has_bidi_controls(f"a{ch}b")
    assert not has_bidi_controls("Plain text, émoji 🚒, العربية")


def _waiting_notices(session, post) -> list[tuple[int, str]]:
    return [(n.user_id, n.subject) for n in session.scalars(
        select(Notification).where(Notification.post_id == post.id,
                                   Notification.event == "post_awaiting_approval")
        .order_by(Notification.user_id))]


def test_a_submitted_post_tells_each_approver_and_admin_but_not_the_sender(session, make,
                                                                          people) -> None:
    from content_queue.services import submit_post

    pio, approver = people
    admin, another_pio = make.user("admin"), make.user("pio")
    retired = make.user("approver")
    retired.active = False
    post = make.post(author=pio, accounts=[make.account()], status="draft",
                     at=NOW + timedelta(days=1))
    submit_post(session, actor=pio, post_id=post.id, now=NOW)
    assert _statuses(post) == ["awaiting_approval"]
    assert _waiting_notices(session, post) == [
        (approver.id, f"Post #{post.id} is waiting for your approval"),
        (admin.id, f"Post #{post.id} is waiting for your approval")]
    notice = session.scalars(select(Notification).where(
        Notification.post_id == post.id, Notification.user_id == approver.id)).one()
    assert f"Submitted by {pio.display_name}" in notice.body
    assert another_pio.id not in [u for u, _ in _waiting_notices(session, post)]


def test_a_post_scheduled_on_submit_tells_no_approver(session, make, people) -> None:
    from content_queue.services import submit_post

    _pio, approver = people
    make.user("admin")
    post = make.post(author=approver, accounts=[make.account()], status="draft",
                     at=NOW + timedelta(days=1))
    submit_post(session, actor=approver, post_id=post.id, now=NOW)
    assert _statuses(post) == ["scheduled"]  # an approver's own post needs no approval here
    assert _waiting_notices(session, post) == []



def test_a_batch_sent_for_approval_is_one_notice_until_it_is_read(session, make,
                                                                  people) -> None:
    from content_queue.notifications import mark_read
    from content_queue.services import submit_post

    pio, approver = people
    posts = [make.post(author=pio, accounts=[make.account()], status="draft",
                       at=NOW + timedelta(days=1), text=f"Spotlight {n}") for n in range(4)]
    for n, post in enumerate(posts[:3]):  # an import, a series: minutes apart
        submit_post(session, actor=pio, post_id=post.id, now=NOW + timedelta(minutes=n))
    assert [len(_waiting_notices(session, p)) for p in posts[:3]] == [1, 0, 0]
    [notice] = session.scalars(select(Notification).where(
        Notification.event == "post_awaiting_approval")).all()
    assert "not announced one by one" in notice.body
    mark_read(session, approver.id, notice.id, now=NOW + timedelta(minutes=3))
    submit_post(session, actor=pio, post_id=posts[3].id, now=NOW + timedelta(minutes=4))
    assert [u for u, _ in _waiting_notices(session, posts[3])] == [approver.id]
