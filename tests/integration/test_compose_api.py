"""The JSON API of issue 8's compose part: variants, warnings, duplicates, templates, the
media library, and the CSV import (all or nothing, on SQLite and PostgreSQL) and export; and
a Mastodon instance's own limit, read through the simulator when the account is checked."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select

from content_queue.models import Campaign, Post, SocialAccount
from tenfour.wsgi import build_app
from tests.integration.helpers import X_CREDENTIALS, assert_api_error, count_rows, png
from tests.integration.web_client import FormClient

LONG = "Thank you to every telecommunicator on the floor tonight. " * 5  # 290 characters


def soon(hours: int = 3) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


@pytest.fixture
def world(factory):
    pio, viewer = factory.user("pio"), factory.user("viewer")
    return {"pio": {"Authorization": f"Bearer {factory.token(pio)}"},
            "viewer": {"Authorization": f"Bearer {factory.token(viewer)}"},
            "sandbox": factory.account("sandbox", handle="county911"),
            "x": factory.account("x", handle="county911_x", credentials=X_CREDENTIALS)}


def create(client, world, **body):
    payload = {"text": "Storm shelters are open tonight.", "scheduled_at": soon(),
               "account_ids": [world["sandbox"].id, world["x"].id], **body}
    return client.post("/api/v1/posts", headers=world["pio"], json=payload)


def test_a_post_with_variants_shows_them_and_checks_each_platform(client, world):
    created = create(client, world, text=LONG, variants={"x": "Thank you, telecommunicators!"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["variants"] == {"x": "Thank you, telecommunicators!"}
    assert body["warnings"] == []
    read = client.get(f"/api/v1/posts/{body['id']}", headers=world["pio"]).get_json()
    assert read["variants"] == body["variants"] and read["text"] == LONG

    error = assert_api_error(create(client, world, variants={"x": LONG}), 422, "text_too_long")
    assert list(error["fields"]["variants"]) == ["x"]
    assert_api_error(create(client, world, variants={"friendster": "hi"}), 422,
                     "invalid_variants")
    assert_api_error(create(client, world, text=LONG), 422, "text_too_long")


def test_the_same_text_on_the_same_account_within_a_day_answers_a_warning(client, world):
    assert create(client, world).get_json()["warnings"] == []
    again = create(client, world, scheduled_at=soon(5))
    assert again.status_code == 201
    warnings = again.get_json()["warnings"]
    assert len(warnings) == 2 and "@county911" in warnings[0] + warnings[1]


def test_duplicate_makes_a_new_draft(client, world):
    source = create(client, world, variants={"x": "Short."}).get_json()
    copy = client.post(f"/api/v1/posts/{source['id']}/duplicate", headers=world["pio"])
    assert copy.status_code == 201, copy.get_data(as_text=True)
    body = copy.get_json()
    assert body["id"] != source["id"] and body["status"] == "draft"
    assert body["variants"] == {"x": "Short."} and body["text"] == source["text"]
    assert copy.headers["Location"].endswith(f"/api/v1/posts/{body['id']}")
    assert_api_error(client.post("/api/v1/posts/99999/duplicate", headers=world["pio"]), 404,
                     "not_found")
    assert_api_error(client.post(f"/api/v1/posts/{source['id']}/duplicate",
                                 headers=world["viewer"]), 403, "forbidden")


def test_templates_are_created_read_changed_and_deleted(client, world):
    made = client.post("/api/v1/templates", headers=world["pio"],
                       json={"name": "Thanks", "text": "Thank you, {dispatcher_name}!"})
    assert made.status_code == 201, made.get_data(as_text=True)
    template = made.get_json()
    assert template["fields"] == ["dispatcher_name"]
    listed = client.get("/api/v1/templates", headers=world["viewer"]).get_json()
    assert [t["name"] for t in listed["templates"]] == ["Thanks"] and listed["total"] == 1
    changed = client.put(f"/api/v1/templates/{template['id']}", headers=world["pio"],
                         json={"name": "Thanks", "text": "{center_name} thanks {who}"})
    assert changed.get_json()["fields"] == ["center_name", "who"]
    assert_api_error(client.post("/api/v1/templates", headers=world["pio"],
                                 json={"name": "thanks", "text": "x"}), 409, "template_exists")
    assert_api_error(client.post("/api/v1/templates", headers=world["pio"],
                                 json={"name": "Bad", "text": "Hi {first name}"}), 422,
                     "template_syntax")
    assert_api_error(client.post("/api/v1/templates", headers=world["viewer"],
                                 json={"name": "V", "text": "x"}), 403, "forbidden")
    assert client.delete(f"/api/v1/templates/{template['id']}",
                         headers=world["pio"]).status_code == 204
    assert_api_error(client.get(f"/api/v1/templates/{template['id']}", headers=world["pio"]),
                     404, "not_found")


def test_the_media_library_is_searched_by_filename_and_alt_text(client, world):
    for name, alt in (("floor.png", "Dispatch floor at night"),
                      ("cake.png", "Birthday cake for the 911 center"),
                      ("tour.png", "Students on a tour of the floor")):
        response = client.post("/api/v1/media", headers=world["pio"],
                               data={"file": (io.BytesIO(png()), name), "alt_text": alt},
                               content_type="multipart/form-data")
        assert response.status_code == 201
    everything = client.get("/api/v1/media", headers=world["pio"]).get_json()
    assert everything["total"] == 3
    floor = client.get("/api/v1/media?q=FLOOR", headers=world["pio"]).get_json()
    assert sorted(m["filename"] for m in floor["media"]) == ["floor.png", "tour.png"]
    assert [m["filename"] for m in client.get("/api/v1/media?q=cake.png",
                                              headers=world["pio"]).get_json()["media"]] == \
        ["cake.png"]
    paged = client.get("/api/v1/media?per_page=2&page=2", headers=world["pio"]).get_json()
    assert len(paged["media"]) == 1 and paged["total"] == 3
    assert client.get("/api/v1/media?q=%25", headers=world["pio"]).get_json()["total"] == 0
    # reused by id, no second upload
    media_id = floor["media"][0]["id"]
    post = create(client, world, media_ids=[media_id]).get_json()
    assert [m["id"] for m in post["media"]] == [media_id]


def _import(client, headers, text: str):
    return client.post("/api/v1/posts/import", headers=headers,
                       data={"file": (io.BytesIO(text.encode()), "week.csv")},
                       content_type="multipart/form-data")


def _local(days: int, clock: str = "09:00") -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%d ") + clock


def test_an_import_creates_every_post_or_none(client, world, db):
    with db.session_scope() as s:
        agency_id = s.scalars(select(SocialAccount.agency_id)).first()
        s.add(Campaign(agency_id=agency_id, name="NPSTW", created_at=datetime.now(timezone.utc)))
    good = ("text,accounts,scheduled_at,campaign\n"
            f"Thank you!,county911;x:county911_x,{_local(3)},NPSTW\n"
            f"\"Tours, Saturday\",county911,{_local(4, '10:30')},\n")
    answer = _import(client, world["pio"], good)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["created"] == 2
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(2, "ok"), (3, "ok")]
    assert count_rows(db, Post) == 2

    bad = ("text,accounts,scheduled_at,campaign\n"
           f"Fine,county911,{_local(3)},\n"
           f"Who,nobody,{_local(3)},\n"
           f"{'x' * 300},x:county911_x,{_local(3)},\n"
           "Gap,county911,2030-03-10 02:30,\n"
           "Past,county911,2020-01-01 09:00,\n"
           "a,b,c\n")
    refused = _import(client, world["pio"], bad)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["created"] == 0 and body["error"]["code"] == "import_rejected"
    assert {r["row"]: r.get("code") for r in body["rows"]} == {
        2: None, 3: "unknown_handle", 4: "text_too_long", 5: "time_in_dst_gap",
        6: "time_in_past", 7: "bad_column_count"}
    assert all(r["message"] for r in body["rows"] if r["status"] == "error")
    assert count_rows(db, Post) == 2  # nothing from the refused file

    assert_api_error(_import(client, world["pio"], "just,some,words\n"), 422, "bad_header")
    assert_api_error(client.post("/api/v1/posts/import", headers=world["pio"], data={},
                                 content_type="multipart/form-data"), 422, "file_missing")
    assert_api_error(_import(client, world["viewer"], good), 403, "forbidden")


def test_the_queue_is_exported_as_csv_with_the_queue_s_filter(client, world):
    create(client, world, text="=HYPERLINK(\"http://evil\")")
    create(client, world, text="A draft", submit=False)
    response = client.get("/api/v1/posts/export.csv", headers=world["pio"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["text"] for r in rows} == {"'=HYPERLINK(\"http://evil\")", "A draft"}
    assert rows[0]["accounts"].split(";") == ["sandbox:county911", "x:county911_x"]
    drafts = client.get("/api/v1/posts/export.csv?status=draft", headers=world["pio"])
    assert [r["text"] for r in csv.DictReader(io.StringIO(drafts.get_data(as_text=True)))] == \
        ["A draft"]
    assert_api_error(client.get("/api/v1/posts/export.csv?status=nope", headers=world["pio"]),
                     422, "unknown_status")


def test_a_mastodon_instance_s_own_limit_is_read_when_the_account_is_checked(settings, db,
                                                                           factory, sim):
    requests.post(f"{sim.url}/mastodon/bigcounty/_sim/instance", json={"max_characters": 1000},
                  timeout=5).raise_for_status()
    app = build_app(replace(settings, simulator_url=sim.url), db=db)
    account = factory.account("mastodon", handle="metro911@bigcounty.mastodon.example",
                              credentials={"instance_url": "https://bigcounty.mastodon.example",
                                           "access_token": "contract-token"},
                              api_base_url=f"{sim.url}/mastodon/bigcounty")
    approver = factory.user("approver")
    headers = {"Authorization": f"Bearer {factory.token(approver)}"}
    client = app.test_client()
    body = {"text": "a" * 700, "account_ids": [account.id], "scheduled_at": soon()}
    before = client.post("/api/v1/posts", headers=headers, json=body)
    assert_api_error(before, 422, "text_too_long")  # the default 500 until it is known

    admin = factory.user("admin")
    browser = FormClient(app.test_client(), factory.password)
    browser.login(admin)
    checked = browser.submit(f"/accounts/{account.id}/test", token_from="/accounts")
    assert checked.status_code == 302
    with db.session_scope() as s:
        assert s.get(SocialAccount, account.id).max_characters == 1000
    listed = client.get("/api/v1/accounts", headers=headers).get_json()
    assert [a["max_characters"] for a in listed["accounts"] if a["id"] == account.id] == [1000]

    accepted = client.post("/api/v1/posts", headers=headers, json=body)
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    over = client.post("/api/v1/posts", headers=headers, json={**body, "text": "a" * 1001})
    assert "the limit is 1000" in assert_api_error(over, 422, "text_too_long")["message"]
