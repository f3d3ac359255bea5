"""The one place that keeps an agency's data to itself (content_queue.agencies): a scoped
session sees, changes and deletes only its agency's rows — tables with an agency_id, the Agency
itself, and child tables through their parent (targets via posts, tokens via users)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, update

from content_queue import agencies
from content_queue.agencies import create_agency, row_in_scope, scope_session
from content_queue.errors import ValidationFailed
from content_queue.models import Agency, ApiToken, Post, PostTarget, User
from content_queue.users import create_api_token
from tests.unit.conftest import NOW

def _agency_with_rows(session, make, name: str):
    agency = make.agency(new=True)
    agency.name = name
    user = make.user("admin", agency=agency)
    create_api_token(session, user, now=NOW, name=name)
    account = make.account(agency=agency)
    post = make.post(author=user, accounts=[account], status="scheduled", text=f"{name} text")
    return agency, user, post


@pytest.fixture
def scoped(session, make):
    a = _agency_with_rows(session, make, "Alpha")
    b = _agency_with_rows(session, make, "Beta")
    event.listen(session, "do_orm_execute", agencies._add_criteria)
    session.expunge_all()  # so Session.get has to ask the database
    yield session, a, b
    scope_session(session, None)
    event.remove(session, "do_orm_execute", agencies._add_criteria)


def test_a_scoped_session_reads_only_its_agency(scoped):
    session, (a, a_user, a_post), (b, _b_user, b_post) = scoped
    scope_session(session, a.id)
    assert session.scalars(select(Post.text)).all() == ["Alpha text"]
    assert session.scalars(select(Agency.id)).all() == [a.id]
    assert {t.post_id for t in session.scalars(select(PostTarget))} == {a_post.id}
    assert session.scalars(select(ApiToken.name)).all() == ["Alpha"]
    assert session.get(Post, b_post.id) is None and session.get(Post, a_post.id) is not None
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert row_in_scope(session, "post_id", b_post.id) is False
    assert row_in_scope(session, "post_id", str(a_post.id)) is True
    assert row_in_scope(session, "kit_id", "npstw") is None


def test_the_same_cached_statement_follows_the_agency(scoped):
    session, (a, _, _), (b, _, _) = scoped
    for agency, text in ((a, "Alpha text"), (b, "Beta text"), (a, "Alpha text")):
        scope_session(session, agency.id)
        assert session.scalars(select(Post.text)).all() == [text]


def test_updates_are_scoped_too(scoped):
    session, (a, _, _), (b, _, b_post) = scoped
    scope_session(session, a.id)
    session.execute(update(Post).values(text="changed"))
    scope_session(session, None)
    assert session.get(Post, b_post.id).text == "Beta text"


def test_an_agency_needs_a_name_and_a_real_time_zone(session):
    with pytest.raises(ValidationFailed) as refused:
        create_agency(session, name=" ", timezone_name="Mars/Base", now=NOW)
    assert set(refused.value.fields) == {"name", "timezone"}
