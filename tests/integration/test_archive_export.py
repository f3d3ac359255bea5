"""The public-records archive: the zip's files, checksums that match the manifest, the
published post with its replies, engagement and image, the audit record of every export — by
the API, the admin page and `tenfour archive`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from content_queue.models import AuditEvent, CommunityReply, EngagementSnapshot, PostTarget
from content_queue.states import Status
from tests.integration.helpers import assert_api_error, png
from tests.integration.test_cli import tenfour
from tests.integration.web_client import FormClient

CHICAGO = ZoneInfo("America/Chicago")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def publish(db, post_id: int, at: datetime, platform_id: str) -> int:
    """Mark a post's target published at ``at`` (the archive is under test, not publishing)."""
    with db.session_scope() as s:
        target = s.scalars(select(PostTarget).where(PostTarget.post_id == post_id)).one()
        s.execute(update(PostTarget).where(PostTarget.id == target.id).values(
            status=Status.PUBLISHED.value, published_at=at, platform_post_id=platform_id,
            permalink=f"https://sandbox.example/{platform_id}"))
        return target.id


@pytest.fixture
def world(factory, client, db):
    admin, pio = factory.user("admin"), factory.user("pio")
    tokens = {"admin": factory.token(admin), "pio": factory.token(pio)}
    account = factory.account("sandbox", handle="metro911")
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    image = client.post("/api/v1/media", headers=headers, data={
        "file": (io.BytesIO(png((10, 120, 200))), "team.png"),
        "alt_text": "Four telecommunicators at their consoles."})
    assert image.status_code == 201, image.get_data(as_text=True)
    later = (utcnow() + timedelta(hours=2)).isoformat()
    made = []
    for text in ("Thank you, telecommunicators! #NPSTW", "An older post."):
        response = client.post("/api/v1/posts", headers=headers, json={
            "text": text, "account_ids": [account.id], "scheduled_at": later,
            "media_ids": [image.get_json()["id"]] if text.startswith("Thank") else []})
        assert response.status_code == 201, response.get_data(as_text=True)
        made.append(response.get_json()["id"])
    edited = client.post(f"/api/v1/posts/{made[0]}/edit", headers=headers,
                          json={"text": "Thank you, telecommunicators! #NPSTW #ThankYou"})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    edited = client.post(f"/api/v1/posts/{made[0]}/edit", headers=headers,
                          json={"text": "Thank you, telecommunicators! #NPSTW"})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    now = utcnow()
    target_id = publish(db, made[0], now - timedelta(minutes=30), "sb-1")
    publish(db, made[1], now - timedelta(days=40), "sb-old")
    with db.session_scope() as s:
        s.add(CommunityReply(target_id=target_id, agency_id=admin.agency_id,
                             platform_reply_id="r-1", author="@neighbor",
                             text='Thank you all, "you saved my dad", truly.',
                             created_at=now - timedelta(minutes=10), fetched_at=now))
        s.add(EngagementSnapshot(target_id=target_id, taken_at=now, likes=12, reposts=3,
                                 replies=1, impressions=400))
    today = now.astimezone(CHICAGO).date()
    return {"admin": admin, "pio": pio, "tokens": tokens, "post_id": made[0],
            "old_post_id": made[1], "target_id": target_id,
            "range": ((today - timedelta(days=1)).isoformat(),
                      (today + timedelta(days=1)).isoformat())}


def check_archive(data: bytes) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every file, after checking each file's SHA-256 against the manifest."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files)
    for path, content in files.items():
        assert hashlib.sha256(content).hexdigest() == listed[path]["sha256"], path
        assert len(content) == listed[path]["bytes"]
    return manifest, files


def test_the_api_archive_holds_the_published_post_its_replies_and_image_and_is_audited(
        client, world, db):
    start, end = world["range"]
    response = client.get(f"/api/v1/archive?from={start}&to={end}",
                          headers={"Authorization": f"Bearer {world['tokens']['admin']}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    manifest, files = check_archive(response.get_data())
    assert {"posts.json", "posts.csv", "replies.csv", "media.csv"} <= set(files)
    assert manifest["range"]["from"] == start and manifest["range"]["to"] == end
    assert manifest["exported_by"]["email"] == world["admin"].email
    assert manifest["exported_at"]

    posts = json.loads(files["posts.json"])["posts"]
    assert [p["id"] for p in posts] == [world["post_id"]]  # the 40-day-old one is outside
    post = posts[0]
    assert post["targets"][0]["text_published"] == "Thank you, telecommunicators! #NPSTW"
    assert post["targets"][0]["engagement"][0]["likes"] == 12
    assert any(h["action"] == "post.created" for h in post["history"])
    # every edit is kept: the versions, oldest first, end with the text that was published
    assert [v["text"] for v in post["versions"]][-2:] == [
        "Thank you, telecommunicators! #NPSTW #ThankYou", "Thank you, telecommunicators! #NPSTW"]
    [medium] = post["media"]
    assert medium["alt_text"] == "Four telecommunicators at their consoles."
    assert files[medium["file"]][:8] == b"\x89PNG\r\n\x1a\n"
    assert hashlib.sha256(files[medium["file"]]).hexdigest() == medium["sha256"]

    rows = list(csv.DictReader(io.StringIO(files["replies.csv"].decode())))
    assert [(r["post_id"], r["author"], r["text"]) for r in rows] == [
        (str(world["post_id"]), "@neighbor", 'Thank you all, "you saved my dad", truly.')]
    post_rows = list(csv.DictReader(io.StringIO(files["posts.csv"].decode())))
    assert post_rows[0]["permalink"] == "https://sandbox.example/sb-1"
    media_rows = list(csv.DictReader(io.StringIO(files["media.csv"].decode())))
    assert media_rows[0]["alt_text"] == "Four telecommunicators at their consoles."

    with db.session_scope(write=False) as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "archive.exported"))
        assert event.actor_id == world["admin"].id
        assert event.details["via"] == "api" and event.details["from"] == start
        assert event.details["manifest_sha256"] == hashlib.sha256(
            zipfile.ZipFile(io.BytesIO(response.get_data())).read("manifest.json")).hexdigest()


def test_a_recorded_platform_deletion_is_kept_and_exported(client, world, db):
    admin = {"Authorization": f"Bearer {world['tokens']['admin']}"}
    recorded = client.post(f"/api/v1/targets/{world['target_id']}/deletion", headers=admin,
                           json={"reason": "Removed on the platform at the family's request."})
    assert recorded.status_code == 201, recorded.get_data(as_text=True)
    start, end = world["range"]
    _manifest, files = check_archive(client.get(f"/api/v1/archive?from={start}&to={end}",
                                                headers=admin).get_data())
    target = json.loads(files["posts.json"])["posts"][0]["targets"][0]
    assert target["status"] == "published"
    assert target["deleted_on_platform"]["reason"].startswith("Removed on the platform")


def test_only_admins_export_and_bad_ranges_are_refused(client, world):
    start, end = world["range"]
    pio = {"Authorization": f"Bearer {world['tokens']['pio']}"}
    admin = {"Authorization": f"Bearer {world['tokens']['admin']}"}
    assert_api_error(client.get(f"/api/v1/archive?from={start}&to={end}", headers=pio),
                     403, "forbidden")
    error = assert_api_error(client.get("/api/v1/archive?from=2027-04-31&to=2027-05-01",
                                        headers=admin), 422, "invalid_date")
    assert "from" in error["fields"]
    assert_api_error(client.get("/api/v1/archive?from=2027-05-02&to=2027-05-01",
                                headers=admin), 422, "invalid_range")


def test_the_admin_page_downloads_the_archive(client, world, factory):
    browser = FormClient(client, factory.password)
    browser.login(world["admin"])
    assert "Public-records archive" in browser.text("/archive")
    start, end = world["range"]
    response = browser.submit("/archive", {"from": start, "to": end}, token_from="/archive")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    check_archive(response.get_data())
    assert "browser" in browser.text("/archive")  # the export is listed, with how it was made


def test_tenfour_archive_writes_the_same_zip_from_the_command_line(settings, world, tmp_path,
                                                                  db):
    start, end = world["range"]
    out = tmp_path / "records.zip"
    result = tenfour(settings, "archive", "--from", start, "--to", end, "--out", str(out),
                     "--email", world["admin"].email)
    assert "1 post(s)" in result.stdout
    manifest, files = check_archive(out.read_bytes())
    assert json.loads(files["posts.json"])["posts"][0]["id"] == world["post_id"]
    with db.session_scope(write=False) as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "archive.exported"))
        assert event.details["via"] == "cli" and event.actor_id == world["admin"].id
    refused = tenfour(settings, "archive", "--from", end, "--to", start, "--out",
                      str(tmp_path / "x.zip"), check=False)
    assert refused.returncode != 0 and "ends before it starts" in refused.stderr
    assert not (tmp_path / "x.zip").exists()


def test_a_deletion_recorded_on_the_post_page_keeps_the_post(client, world, factory, db):
    browser = FormClient(client, factory.password)
    browser.login(world["admin"])
    page = browser.text(f"/posts/{world['post_id']}")
    assert "Deleted on a platform?" in page
    response = browser.submit(f"/posts/{world['post_id']}/targets/{world['target_id']}/deletion",
                              {"reason": "Deleted by mistake <script>"},
                              token_from=f"/posts/{world['post_id']}")
    assert response.status_code == 302
    page = browser.text(f"/posts/{world['post_id']}")
    assert "deleted on the platform" in page and "Deleted by mistake &lt;script&gt;" in page
    with db.session_scope(write=False) as s:
        target = s.get(PostTarget, world["target_id"])
        assert target.status == Status.PUBLISHED.value
        assert s.scalars(select(AuditEvent).where(
            AuditEvent.action == "target.deleted_on_platform")).one().actor_id == world["admin"].id
