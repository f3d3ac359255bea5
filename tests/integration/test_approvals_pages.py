"""The approvals pages through Flask's test client (CSRF on): the queue, a decision with a
comment, the post page's thread, versions and bidi flag, editing, review links, the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_queue.models import Agency, Notification, PostComment, PostTarget, User
from content_queue.services import queue_post
from tests.integration.helpers import utcnow
from tests.integration.web_client import FormClient


@pytest.fixture
def pages(client, factory):
    return FormClient(client, factory.password)


@pytest.fixture
def people(factory):
    return factory.user("pio"), factory.user("approver"), factory.account("sandbox")


def make_post(db, user, account, text="Know your location when you call 911.") -> int:
    with db.session_scope() as s:
        return queue_post(s, actor=s.get(User, user.id), text=text, account_ids=[account.id],
                          scheduled_at=utcnow() + timedelta(hours=24), now=utcnow()).id


def statuses(db, post_id):
    with db.session_scope(write=False) as s:
        return set(s.scalars(select(PostTarget.status).where(PostTarget.post_id == post_id)))


def test_the_queue_shows_previews_and_a_rejection_with_comment_reaches_the_author(
        pages, db, people):
    pio, approver, account = people
    post_id = make_post(db, pio, account)
    pages.login(approver)
    html = pages.text("/approvals")
    assert f"Post #{post_id}" in html and "preview-card" in html and f"@{account.handle}" in html
    answer = pages.submit(f"/approvals/{post_id}/decide",
                          {"decision": "reject", "comment": "Add the <b>number</b>."},
                          token_from="/approvals")
    assert answer.status_code == 302
    assert statuses(db, post_id) == {"draft"}
    with db.session_scope(write=False) as s:
        assert s.scalars(select(Notification.user_id)
                         .where(Notification.event == "post_rejected")).all() == [pio.id]
    detail = pages.text(f"/posts/{post_id}")
    assert "Add the &lt;b&gt;number&lt;/b&gt;." in detail  # escaped, never raw
    assert "sent it back" in detail


def test_pios_and_viewers_cannot_open_the_queue_or_decide(pages, db, people, factory):
    pio, _, account = people
    post_id = make_post(db, pio, account)
    pages.login(pio)
    pages.text("/approvals", status=403)
    answer = pages.submit(f"/approvals/{post_id}/decide", {"decision": "approve"},
                          token_from=f"/posts/{post_id}")
    assert answer.status_code == 403
    assert statuses(db, post_id) == {"awaiting_approval"}


def test_a_decision_without_a_csrf_token_is_refused(client, pages, db, people):
    pio, approver, account = people
    post_id = make_post(db, pio, account)
    pages.login(approver)
    answer = client.post(f"/approvals/{post_id}/decide", data={"decision": "approve"})
    assert answer.status_code == 400
    assert statuses(db, post_id) == {"awaiting_approval"}


def test_bidi_text_is_isolated_and_flagged_on_the_post_and_approval_pages(pages, db, people):
    pio, approver, account = people
    post_id = make_post(db, pio, account, text="Call 911 \u202eonly\u202c in an emergency")
    pages.login(approver)
    for path in (f"/posts/{post_id}", "/approvals"):
        html = pages.text(path)
        assert "This text contains direction-changing characters" in html
        assert '<bdi dir="auto">Call 911 \u202eonly\u202c in an emergency</bdi>' in html
        assert "[U+202E]" in html and "[U+202C]" in html
    plain = make_post(db, pio, account, text="Plain")
    assert "direction-changing" not in pages.text(f"/posts/{plain}")


def test_editing_keeps_a_version_and_shows_the_diff_escaped(pages, db, people):
    pio, approver, account = people
    post_id = make_post(db, pio, account, text="Stay warm tonight.")
    pages.login(approver)
    pages.submit(f"/approvals/{post_id}/decide", {"decision": "approve"},
                 token_from="/approvals")
    assert statuses(db, post_id) == {"scheduled"}
    pages.client.post("/logout", data={"csrf_token": pages.token("/")})
    pages.login(pio)
    form = pages.text(f"/posts/{post_id}/edit")
    assert "Stay warm tonight." in form
    import re
    date = re.search(r'name="date"[^>]*value="([^"]+)"', form).group(1)
    clock = re.search(r'name="time"[^>]*value="([^"]+)"', form).group(1)
    answer = pages.submit(f"/posts/{post_id}/edit",
                          {"text": "Stay <warm> and dry tonight.", "accounts": str(account.id),
                           "date": date, "time": clock}, token_from=f"/posts/{post_id}/edit")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert statuses(db, post_id) == {"awaiting_approval"}
    detail = pages.text(f"/posts/{post_id}")
    assert "Version 2" in detail and "<del><span class=\"visually-hidden\">removed: </span>warm</del>" in detail
    assert "&lt;warm&gt;" in detail


def test_a_review_link_made_on_the_post_page_works_once_without_login(app, pages, db, people):
    pio, approver, account = people
    post_id = make_post(db, pio, account)
    pages.login(approver)
    made = pages.submit(f"/posts/{post_id}/review-links", {"name": "Director Ruiz",
                                                            "expires_in_hours": "48"},
                        token_from=f"/posts/{post_id}")
    assert made.status_code == 200
    import re
    url = re.search(r'id="review-url"[^>]*value="([^"]+)"', made.get_data(as_text=True)).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    visitor = FormClient(app.test_client(), "")
    page = visitor.text(path)
    assert "Director Ruiz" in page and "Know your location" in page
    done = visitor.submit(path, {"decision": "reject", "comment": "Not this week."},
                          token_from=path)
    assert done.status_code == 200
    assert statuses(db, post_id) == {"draft"}
    with db.session_scope(write=False) as s:
        comment = s.scalars(select(PostComment)).one()
        assert (comment.author_name, comment.kind, comment.author_id) == \
            ("Director Ruiz", "rejected", None)
    assert visitor.client.get(path).status_code == 410
    assert visitor.client.get(path + "x").status_code == 404


def test_an_admin_changes_the_rules_on_the_page(pages, db, factory):
    admin = factory.user("admin")
    pages.login(admin)
    assert "Every post needs a second person" in pages.text("/approvals/rules")
    pages.submit("/approvals/rules", {"second_person_required": "on"},
                 token_from="/approvals/rules")
    with db.session_scope(write=False) as s:
        agency = s.scalars(select(Agency)).one()
        assert (agency.pio_posts_need_approval, agency.second_person_required) == (False, True)
    approver = factory.user("approver")
    pages.client.post("/logout", data={"csrf_token": pages.token("/")})
    pages.login(approver)
    pages.text("/approvals/rules", status=403)


def test_a_comment_from_the_post_page_joins_the_thread(pages, db, people):
    pio, approver, account = people
    post_id = make_post(db, pio, account)
    pages.login(pio)
    pages.submit(f"/posts/{post_id}/comments", {"comment": "Ready when you are."},
                 token_from=f"/posts/{post_id}")
    assert "Ready when you are." in pages.text(f"/posts/{post_id}")
