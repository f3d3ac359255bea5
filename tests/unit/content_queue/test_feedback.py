"""The feedback wall's domain: replies stored once and classified, kept when the platform
deletes them, emergencies alerted to the on-duty contact, moderation audited, the briefing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue import briefing, feedback
from content_queue.errors import ValidationFailed
from content_queue.models import AuditEvent, CommunityReply, EngagementSnapshot, Notification
from content_queue.ports import Reply
from content_queue.states import Status
from tests.unit.conftest import NOW


@pytest.fixture
def target(make):
    author = make.user("pio")
    post = make.post(author=author, accounts=[make.account("mastodon")], status=Status.PUBLISHED,
                     at=NOW - timedelta(hours=2), published_at=NOW - timedelta(hours=2),
                     platform_post_id="9001", permalink="https://social.example/@metro/9001")
    return post.targets[0]


def _reply(n: int, text: str, minutes: int = 10) -> Reply:
    return Reply(f"r{n}", "9001", f"person{n}", text, NOW - timedelta(minutes=minutes))


def _rows(session, target):
    return {r.platform_reply_id: r for r in session.scalars(
        select(CommunityReply).where(CommunityReply.target_id == target.id))}


def test_replies_are_stored_once_with_sentiment_and_a_link(session, target) -> None:
    first = feedback.record_replies(session, target.id, [_reply(1, "Thank you so much!")], now=NOW)
    again = feedback.record_replies(session, target.id, [_reply(1, "Thank you so much!")], now=NOW)
    rows = _rows(session, target)
    assert len(first.new) == 1 and again.new == [] and len(rows) == 1
    row = rows["r1"]
    assert row.sentiment > 0.3 and row.flags == [] and not row.hidden
    assert row.url == "https://social.example/@metro/9001"  # no own link: the post's
    assert row.agency_id == target.post.agency_id


def test_a_reply_with_a_phone_number_or_address_is_hidden_with_the_reason(session, target) -> None:
    feedback.record_replies(session, target.id, [
        _reply(1, "Call me at (312) 555-0199 about volunteering"),
        _reply(2, "We loved the tour, greetings from 1500 Riverside Dr")], now=NOW)
    rows = _rows(session, target)
    assert rows["r1"].hidden and rows["r1"].flags == ["phone"]
    assert rows["r1"].hidden_reason == "contains a phone number"
    assert rows["r2"].hidden and rows["r2"].hidden_reason == "contains a street address"


def test_a_reply_the_platform_no_longer_returns_is_kept_and_marked_deleted(session, target) -> None:
    feedback.record_replies(session, target.id, [_reply(1, "Thanks!"), _reply(2, "Great post")],
                            now=NOW)
    later = NOW + timedelta(minutes=5)
    outcome = feedback.record_replies(session, target.id, [_reply(1, "Thanks!")], now=later)
    rows = _rows(session, target)
    assert outcome.deleted == [rows["r2"].id]
    assert rows["r2"].deleted_on_platform_at == later and rows["r2"].text == "Great post"
    assert rows["r1"].deleted_on_platform_at is None


def test_only_replies_inside_the_fetched_window_can_be_judged_deleted(make, session) -> None:
    account = make.account("x")
    post = make.post(author=make.user("pio"), accounts=[account], status=Status.PUBLISHED,
                     published_at=NOW - timedelta(days=9), platform_post_id="77")
    target = post.targets[0]
    old = Reply("old", "77", "a", "Thanks!", NOW - timedelta(days=8))
    feedback.record_replies(session, target.id, [old], now=NOW - timedelta(days=8))
    # X's recent search reaches back 7 days: an 8-day-old reply is simply out of reach.
    outcome = feedback.record_replies(session, target.id, [], now=NOW)
    assert outcome.deleted == []
    assert feedback.deletion_window_start("x", [], NOW) == NOW - timedelta(days=7)
    full_page = [Reply(str(i), "77", "a", "hi", NOW - timedelta(minutes=i)) for i in range(100)]
    assert feedback.deletion_window_start("mastodon", full_page, NOW) == NOW - timedelta(minutes=99)
    assert feedback.deletion_window_start("mastodon", full_page[:5], NOW) is None


def test_an_emergency_is_flagged_and_the_on_duty_user_alone_is_alerted(make, session,
                                                                        target) -> None:
    agency = make.agency()
    supervisor = make.user("viewer")
    make.user("admin")
    agency.on_duty_user_id = supervisor.id
    agency.on_duty_email = "shift-desk@metro911.gov"
    outcome = feedback.record_replies(session, target.id, [
        _reply(1, "Please send an ambulance to 412 Birch Lane, my husband collapsed"),
        _reply(2, "Thank you for helping my mom")], now=NOW)
    rows = _rows(session, target)
    assert rows["r1"].emergency and rows["r1"].flags[0] == "emergency"
    assert not rows["r2"].emergency and outcome.emergencies == [rows["r1"].id]
    notices = list(session.scalars(select(Notification)))
    assert [n.user_id for n in notices] == [supervisor.id]
    assert notices[0].event == feedback.REPLY_EMERGENCY
    assert notices[0].email_to == "shift-desk@metro911.gov" and notices[0].sends_webhook
    assert "call or text 911" in notices[0].body and "412 Birch Lane" in notices[0].body


def test_without_an_on_duty_user_the_admins_are_alerted(make, session, target) -> None:
    admin = make.user("admin")
    feedback.record_replies(session, target.id, [_reply(1, "HELP someone is breaking in")],
                            now=NOW)
    assert [n.user_id for n in session.scalars(select(Notification))] == [admin.id]


def test_the_wall_puts_emergencies_first_then_thank_yous(session, target) -> None:
    feedback.record_replies(session, target.id, [
        _reply(1, "Is the open house on Saturday?", minutes=1),
        _reply(2, "Thank you, you are wonderful!", minutes=30),
        _reply(3, "ayuda, manden una ambulancia", minutes=60)], now=NOW)
    agency_id = target.post.agency_id
    entries, total = feedback.list_wall(session, agency_id, feedback.WallFilter())
    assert total == 3
    assert [e.reply.platform_reply_id for e in entries] == ["r3", "r2", "r1"]
    newest, _ = feedback.list_wall(session, agency_id, feedback.WallFilter(view="newest"))
    assert [e.reply.platform_reply_id for e in newest] == ["r3", "r1", "r2"]
    only, _ = feedback.list_wall(session, agency_id, feedback.WallFilter(flag="emergency"))
    assert [e.reply.platform_reply_id for e in only] == ["r3"]


def test_hidden_replies_reach_approvers_only_and_another_agency_never(make, session,
                                                                      target) -> None:
    feedback.record_replies(session, target.id, [_reply(1, "my number is 312-555-0142")],
                            now=NOW)
    agency_id = target.post.agency_id
    assert feedback.list_wall(session, agency_id, feedback.WallFilter())[1] == 0
    assert feedback.list_wall(session, agency_id, feedback.WallFilter(include_hidden=True))[1] == 1
    other = make.agency(new=True)
    row = next(iter(_rows(session, target).values()))
    assert feedback.get_reply(session, other.id, row.id) is None
    assert feedback.list_wall(session, other.id, feedback.WallFilter(include_hidden=True))[1] == 0


def test_hiding_and_highlighting_are_audited(make, session, target) -> None:
    approver = make.user("approver")
    feedback.record_replies(session, target.id, [_reply(1, "Thank you!")], now=NOW)
    row = next(iter(_rows(session, target).values()))
    feedback.set_highlighted(session, row, True, actor=approver, now=NOW)
    feedback.set_hidden(session, row, True, actor=approver, now=NOW)
    feedback.set_hidden(session, row, True, actor=approver, now=NOW)  # no change: no event
    feedback.set_hidden(session, row, False, actor=approver, now=NOW)
    actions = [e.action for e in session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "community_reply")
        .order_by(AuditEvent.id))]
    assert actions == ["reply.highlighted", "reply.hidden", "reply.unhidden"]
    assert row.highlighted and row.highlighted_at == NOW and not row.hidden


def test_the_briefing_shows_the_weeks_highlights_and_top_posts(make, session, target) -> None:
    approver = make.user("approver")
    feedback.record_replies(session, target.id, [_reply(1, "Thank you!"), _reply(2, "Hi")],
                            now=NOW)
    rows = _rows(session, target)
    feedback.set_highlighted(session, rows["r1"], True, actor=approver, now=NOW)
    session.add(EngagementSnapshot(target_id=target.id, taken_at=NOW - timedelta(hours=1),
                                   likes=1, reposts=0, replies=0))
    session.add(EngagementSnapshot(target_id=target.id, taken_at=NOW, likes=10, reposts=2,
                                   replies=2))
    session.flush()
    agency_id = target.post.agency_id
    assert [e.reply.platform_reply_id
            for e in briefing.briefing_highlights(session, agency_id, now=NOW)] == ["r1"]
    top = briefing.top_posts(session, agency_id, now=NOW)
    assert [(p.post_id, p.engagement) for p in top] == [(target.post_id, 14)]
    assert briefing.briefing_highlights(session, agency_id, now=NOW + timedelta(days=8)) == []


def test_the_on_duty_contact_is_checked_and_audited(make, session) -> None:
    agency = make.agency()
    admin = make.user("admin")
    stranger = make.user("viewer", agency=make.agency(new=True))
    with pytest.raises(ValidationFailed, match="active user of this agency"):
        feedback.set_on_duty(session, agency, user_id=stranger.id, email="", instructions="",
                             actor_id=admin.id, now=NOW)
    with pytest.raises(ValidationFailed, match="does not look like an e-mail"):
        feedback.set_on_duty(session, agency, user_id=admin.id, email="desk", instructions="",
                             actor_id=admin.id, now=NOW)
    feedback.set_on_duty(session, agency, user_id=admin.id, email="desk@metro911.gov",
                         instructions="  ", actor_id=admin.id, now=NOW)
    assert agency.on_duty_user_id == admin.id and agency.emergency_instructions is None
    assert "not monitored 24/7" in feedback.instructions_for(agency)
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "agency")) \
        == "agency.on_duty_changed"


def test_the_reply_poll_reads_only_posts_whose_reply_count_moved(session, target) -> None:
    from content_queue.ports import Metrics

    feedback.record_replies(session, target.id, [_reply(1, "Thanks!")], now=NOW)
    poll = feedback.replies_due(session, target.account_id, now=NOW)
    assert poll is not None and poll.targets == {"9001": target.id}
    assert poll.changed([Metrics("9001", likes=3, reposts=0, replies=1)]) == []
    assert poll.changed([Metrics("9001", likes=3, reposts=0, replies=2)]) == ["9001"]
    assert feedback.replies_due(session, target.account_id, now=NOW + timedelta(hours=49)) is None


def test_the_alert_e_mail_goes_to_the_on_duty_address_when_one_is_set(make, session,
                                                                       target) -> None:
    from content_queue.notification_delivery import start_delivery

    agency = make.agency()
    supervisor = make.user("viewer")
    agency.on_duty_user_id, agency.on_duty_email = supervisor.id, "shift-desk@metro911.gov"
    outcome = feedback.record_replies(session, target.id, [_reply(1, "help!! fire next door")],
                                      now=NOW)
    delivery = start_delivery(session, outcome.notifications[0], now=NOW)
    assert delivery.email == "shift-desk@metro911.gov" and delivery.send_webhook
    agency.on_duty_email = None
    again = feedback.record_replies(session, target.id, [
        _reply(1, "help!! fire next door"), _reply(2, "send an ambulance please")], now=NOW)
    assert start_delivery(session, again.notifications[0], now=NOW).email == supervisor.email
