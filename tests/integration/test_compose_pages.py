"""Issue 8's compose part on the pages (Flask test client with real forms and CSRF): variants
refused beside their own box, the repeat warning, duplicate, continuing a draft, templates and
the media library by role, and the import page's refusals."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from content_queue.media import store_media
from content_queue.models import MediaAsset, Post, PostTemplate, PostVariant, User
from tests.conftest import utcnow
from tests.integration.helpers import X_CREDENTIALS, count_rows, png
from tests.integration.web_client import FormClient

LONG = "Thank you to every telecommunicator on the floor tonight. " * 5


def when() -> datetime:
    return datetime.combine(date.today() + timedelta(days=7), time(10, 15))


def compose_data(account_ids, **extra) -> dict:
    local = when()
    return {"text": "Storm shelters open tonight.", "accounts": [str(i) for i in account_ids],
            "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"),
            "campaign": "", "action": "queue", **extra}


@pytest.fixture
def pio(app, factory):
    user = factory.user("pio")
    browser = FormClient(app.test_client(), factory.password)
    browser.login(user)
    return browser


@pytest.fixture
def accounts(factory):
    return (factory.account("sandbox", handle="metro911"),
            factory.account("x", handle="metro911_x", credentials=X_CREDENTIALS))


def test_a_variant_too_long_for_x_is_refused_beside_its_own_box(pio, accounts, db):
    ids = [a.id for a in accounts]
    refused = pio.submit("/posts/new", compose_data(ids, text=LONG, **{"variant-x": LONG}),
                         token_from="/posts/new")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="variant-x-error"' in page and "X: the text is" in page
    assert LONG.strip() in page  # nothing typed is lost
    assert count_rows(db, Post) == 0
    made = pio.submit("/posts/new", compose_data(ids, text=LONG, **{"variant-x": "Thanks!"}),
                      token_from="/posts/new")
    assert made.status_code == 302
    with db.session_scope() as s:
        assert [(v.platform, v.text) for v in s.scalars(select(PostVariant))] == [("x", "Thanks!")]


def test_the_same_text_twice_within_a_day_is_queued_with_a_warning(pio, accounts):
    ids = [accounts[0].id]
    first = pio.submit("/posts/new", compose_data(ids), token_from="/posts/new")
    assert "The same text is already" not in pio.text(first.headers["Location"])
    again = pio.submit("/posts/new", compose_data(ids), token_from="/posts/new")
    assert again.status_code == 302  # queued all the same
    page = pio.text(again.headers["Location"])
    assert "flash--warning" in page and "The same text is already awaiting approval" in page


def test_the_compose_page_asks_for_repeat_warnings_as_one_types(pio, accounts):
    ids = [accounts[0].id]
    assert pio.submit("/posts/new", compose_data(ids), token_from="/posts/new").status_code == 302
    data = compose_data(ids)
    answer = pio.submit("/posts/new/repeats", data, token_from="/posts/new").get_json()
    assert len(answer["warnings"]) == 1 and "@metro911" in answer["warnings"][0]
    other = pio.submit("/posts/new/repeats", {**data, "text": "Something else"},
                       token_from="/posts/new").get_json()
    assert other == {"warnings": []}
    bad_time = pio.submit("/posts/new/repeats", {**data, "time": "25:99"},
                          token_from="/posts/new").get_json()
    assert bad_time == {"warnings": []}
    no_token = pio.client.post("/posts/new/repeats", data=data)
    assert no_token.status_code == 400  # CSRF, like every form


def test_duplicate_and_continue_a_draft(pio, accounts, db):
    ids = [a.id for a in accounts]
    draft = pio.submit("/posts/new", compose_data(ids, action="draft", **{"variant-x": "Short"}),
                       token_from="/posts/new")
    draft_url = draft.headers["Location"]
    draft_id = int(draft_url.rsplit("/", 1)[1])
    page = pio.text(draft_url)
    assert "Continue editing this draft" in page and "Text per platform" in page

    copy = pio.submit(f"/posts/{draft_id}/duplicate", token_from=draft_url)
    assert copy.status_code == 302 and copy.headers["Location"] != draft_url
    assert "Copied post" in pio.text(copy.headers["Location"])

    form = pio.text(f"/posts/new?from={draft_id}&continue=1")
    assert f'name="continue_draft" value="{draft_id}"' in form
    assert ">Short</textarea>" in form and "Storm shelters open tonight." in form
    saved = pio.submit("/posts/new", compose_data(ids, text="Storm shelters open at 6 pm.",
                                                  continue_draft=str(draft_id),
                                                  **{"variant-x": "Short"}),
                       token_from="/posts/new")
    assert saved.status_code == 302
    with db.session_scope() as s:
        old = s.get(Post, draft_id)
        assert {t.status for t in old.targets} == {"canceled"}  # replaced, kept on record
    assert count_rows(db, Post) == 3


def test_templates_page_pio_writes_viewer_reads(app, factory, db, pio):
    made = pio.submit("/templates", {"name": "Thanks", "text": "Thank you, {dispatcher_name}!"},
                      token_from="/templates")
    assert made.status_code == 302
    bad = pio.submit("/templates", {"name": "Bad", "text": "Hi {first name}"},
                     token_from="/templates")
    assert bad.status_code == 422 and "A field is a name in braces" in bad.get_data(as_text=True)
    viewer = FormClient(app.test_client(), factory.password)
    viewer.login(factory.user("viewer"))
    page = viewer.text("/templates")
    assert "Thanks" in page and "{dispatcher_name}" in page and "New template" not in page
    assert viewer.submit("/templates", {"name": "V", "text": "x"},
                         token_from="/templates").status_code == 403
    with db.session_scope() as s:
        template_id = s.scalars(select(PostTemplate.id)).one()
    assert viewer.submit(f"/templates/{template_id}/delete",
                         token_from="/templates").status_code == 403
    compose = pio.text("/posts/new")
    assert 'id="post-templates"' in compose and "dispatcher_name" in compose


def test_media_library_search_and_alt_text_never_empty(pio, factory, db):
    with db.session_scope() as s:
        actor = s.scalars(select(User).where(User.role == "pio")).one()
        floor = store_media(s, actor=actor, data=png(), filename="floor.png",
                            alt_text="The dispatch floor at night", now=utcnow()).id
        store_media(s, actor=actor, data=png(), filename="cake.png",
                    alt_text="A cake <script>alert(1)</script>", now=utcnow())
    page = pio.text("/media-library?q=night")
    assert "floor.png" in page and "cake.png" not in page
    assert "<script>alert(1)</script>" not in pio.text("/media-library")  # escaped
    refused = pio.submit(f"/media-library/{floor}/alt-text", {"alt_text": "  "},
                         token_from="/media-library")
    assert refused.status_code == 422 and "alt text is required" in refused.get_data(as_text=True)
    ok = pio.submit(f"/media-library/{floor}/alt-text", {"alt_text": "Night shift at work"},
                    token_from="/media-library")
    assert ok.status_code == 302
    with db.session_scope() as s:
        assert s.get(MediaAsset, floor).alt_text == "Night shift at work"
    found = pio.client.get("/media-library/search.json?q=cake").get_json()
    assert [m["filename"] for m in found["media"]] == ["cake.png"] and found["total"] == 1


def test_import_page_refuses_bad_files_and_exports_the_queue(pio, accounts, db):
    def upload(data: bytes):
        return pio.client.post("/posts/import", data={
            "csrf_token": pio.token("/posts/import"),
            "file": (io.BytesIO(data), "week.csv")}, content_type="multipart/form-data")

    empty = upload(b"")
    assert empty.status_code == 422 and "The file is empty" in empty.get_data(as_text=True)
    header = upload(b"when,where\n1,2\n")
    assert header.status_code == 422 and "The first row must name" in header.get_data(as_text=True)
    day = (date.today() + timedelta(days=5)).isoformat()
    good = upload(f"text,accounts,scheduled_at,campaign\nHello,metro911,{day} 09:00,\n".encode())
    assert good.status_code == 200 and "Imported 1 post" in good.get_data(as_text=True)
    example = pio.client.get("/posts/import/example.csv")
    assert example.mimetype == "text/csv" and example.get_data(as_text=True).startswith(
        "text,accounts,scheduled_at,campaign")
    export = pio.client.get("/posts/export.csv?status=awaiting_approval")
    assert export.status_code == 200 and "Hello" in export.get_data(as_text=True)
    assert pio.client.get("/posts/export.csv?status=nope").status_code == 400
    assert "Export as CSV" in pio.text("/posts")
