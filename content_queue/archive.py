"""The public-records archive: everything the agency published in a date range, in one zip a
records clerk can check on their own.

Nothing published is ever erased: posts, targets, their audit trail (every edit, approval and
status change), engagement snapshots and the community's replies stay in the database, and a
post deleted on its platform gets a :class:`~content_queue.models.TargetDeletion` record
(:func:`record_platform_deletion`) instead of disappearing.

The export (:func:`write_archive`) holds ``posts.json``, ``posts.csv`` (one row per post per
account), ``replies.csv``, ``media.csv`` and ``media/<id>.<ext>`` (the images as published, with
their alt text) and ``manifest.json`` (the range, who exported it and when, and a SHA-256 of
every other file). It is written entry by entry into any binary file object, reading posts
in chunks (``yield_per``), so a year of posts never sits in memory at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any, Iterator, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import (
    APPROVER_ROLES,
    Agency,
    AuditEvent,
    CommunityReply,
    Consent,
    EngagementSnapshot,
    KitPost,
    MediaAsset,
    Post,
    PostMedia,
    PostTarget,
    PostVersion,
    TargetDeletion,
    User,
)
from content_queue.states import Status
from content_queue.timeutil import local_to_utc
from content_queue.users import audit
from content_queue.variants import text_for_target

#: Posts read per query; the related rows of one chunk are read together.
CHUNK = 200
#: The longest range one export covers (a retention schedule's years fit; a typo does not).
MAX_DAYS = 3660
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
POST_COLUMNS = ["post_id", "target_id", "platform", "handle", "status", "published_at",
                "permalink", "platform_post_id", "text_published", "author", "approved_by",
                "approved_at", "campaign_id", "media_files", "deleted_on_platform_at",
                "likes", "reposts", "replies", "impressions"]
REPLY_COLUMNS = ["reply_id", "post_id", "target_id", "platform", "handle", "platform_reply_id",
                 "author", "text", "created_at", "fetched_at", "hidden_on_the_wall",
                 "deleted_on_platform_at"]
MEDIA_COLUMNS = ["media_id", "post_id", "file", "filename", "mime_type", "width", "height",
                 "sha256", "alt_text"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class ArchiveRange:
    start: date
    end: date  # inclusive
    timezone: str

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start of ``start``, start of the day after ``end``) in the agency's zone, as UTC."""
        begin = local_to_utc(datetime.combine(self.start, time(0)), self.timezone, fold=0)
        finish = local_to_utc(datetime.combine(self.end + timedelta(days=1), time(0)),
                              self.timezone, fold=0)
        return begin, finish


def parse_range(start: Any, end: Any, timezone: str) -> ArchiveRange:
    """``from`` and ``to`` as YYYY-MM-DD (both days included), or a 422 naming the bad one."""
    days: dict[str, date] = {}
    for name, raw in (("from", start), ("to", end)):
        if isinstance(raw, date):
            days[name] = raw
            continue
        try:
            days[name] = date.fromisoformat(str(raw or "").strip())
        except ValueError:
            raise ValidationFailed(f"{name} must be a date such as 2027-04-11.",
                                   code="invalid_date",
                                   fields={name: "A date such as 2027-04-11."}) from None
    if days["to"] < days["from"]:
        raise ValidationFailed("The range ends before it starts.", code="invalid_range",
                               fields={"to": "Must be on or after from."})
    if (days["to"] - days["from"]).days >= MAX_DAYS:
        raise ValidationFailed(f"One export covers at most {MAX_DAYS} days; split the range.",
                               code="invalid_range", fields={"to": "Range too long."})
    if days["from"].year < 1900 or days["to"].year > 8999:
        raise ValidationFailed("Choose dates between the years 1900 and 8999.",
                               code="invalid_date", fields={"from": "Out of range."})
    return ArchiveRange(days["from"], days["to"], timezone)


def require_archivist(actor: User) -> None:
    if actor.role != "admin":
        raise Forbidden("Only an admin can export the public-records archive.")


# --- writing ---------------------------------------------------------------------------------


class _HashingWriter:
    """Writes through to a zip entry, counting bytes and hashing them."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.sink.write(data)


@dataclass
class ArchiveSummary:
    range: ArchiveRange
    files: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"posts": 0, "targets": 0,
                                                             "replies": 0, "media": 0})
    manifest_sha256: str = ""


class _Archive:
    def __init__(self, zf: zipfile.ZipFile, summary: ArchiveSummary) -> None:
        self.zf, self.summary = zf, summary

    def entry(self, path: str, chunks: Iterator[bytes]) -> None:
        info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.zf.open(info, "w", force_zip64=True) as sink:
            writer = _HashingWriter(sink)
            for chunk in chunks:
                writer.write(chunk)
        self.summary.files.append({"path": path, "bytes": writer.size,
                                   "sha256": writer.digest.hexdigest()})


def _csv_line(values: Sequence[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        ["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8")


class _Reader:
    """The range's posts, chunk by chunk, with each chunk's related rows read in one go."""

    def __init__(self, session: Session, agency_id: int, bounds: tuple[datetime, datetime]):
        self.session, self.agency_id, self.bounds = session, agency_id, bounds

    def _published_ids(self):
        begin, finish = self.bounds
        return (select(PostTarget.post_id).join(Post, Post.id == PostTarget.post_id)
                .where(Post.agency_id == self.agency_id, PostTarget.published_at >= begin,
                       PostTarget.published_at < finish))

    def chunks(self) -> Iterator[list[Post]]:
        query = (select(Post).where(Post.id.in_(self._published_ids()))
                 .options(selectinload(Post.targets).selectinload(PostTarget.account),
                          selectinload(Post.attachments).joinedload(PostMedia.media)
                          .defer(MediaAsset.data),
                          selectinload(Post.author), selectinload(Post.approved_by),
                          selectinload(Post.variants))
                 .order_by(Post.id).execution_options(yield_per=CHUNK))
        for chunk in self.session.scalars(query).partitions(CHUNK):
            yield list(chunk)

    def related(self, posts: list[Post]) -> dict[str, Any]:
        post_ids = [p.id for p in posts]
        target_ids = [t.id for p in posts for t in p.targets]
        s = self.session
        found: dict[str, Any] = {"history": defaultdict(list), "snapshots": defaultdict(list),
                                 "deletions": {}, "consents": defaultdict(list), "kit": {},
                                 "versions": defaultdict(list)}
        events = s.scalars(select(AuditEvent).where(or_(
            and_(AuditEvent.entity_type == "post", AuditEvent.entity_id.in_(post_ids)),
            and_(AuditEvent.entity_type == "post_target", AuditEvent.entity_id.in_(target_ids))
        )).options(selectinload(AuditEvent.actor)).order_by(AuditEvent.created_at,
                                                             AuditEvent.id))
        owner = {t.id: p.id for p in posts for t in p.targets}
        for event in events:
            post_id = event.entity_id if event.entity_type == "post" else owner[event.entity_id]
            found["history"][post_id].append(event)
        for snap in s.scalars(select(EngagementSnapshot)
                              .where(EngagementSnapshot.target_id.in_(target_ids))
                              .order_by(EngagementSnapshot.taken_at, EngagementSnapshot.id)):
            found["snapshots"][snap.target_id].append(snap)
        for deletion in s.scalars(select(TargetDeletion)
                                  .where(TargetDeletion.target_id.in_(target_ids))):
            found["deletions"].setdefault(deletion.target_id, deletion)
        for consent in s.scalars(select(Consent).where(Consent.post_id.in_(post_ids))
                                 .order_by(Consent.id)):
            found["consents"][consent.post_id].append(consent)
        for row in s.scalars(select(KitPost).where(KitPost.post_id.in_(post_ids))):
            found["kit"][row.post_id] = row
        for version in s.scalars(select(PostVersion).where(PostVersion.post_id.in_(post_ids))
                                 .options(selectinload(PostVersion.edited_by))
                                 .order_by(PostVersion.post_id, PostVersion.number)):
            found["versions"][version.post_id].append(version)
        return found

    def replies(self) -> Iterator[tuple[CommunityReply, PostTarget]]:
        query = (select(CommunityReply, PostTarget)
                 .join(PostTarget, PostTarget.id == CommunityReply.target_id)
                 .where(PostTarget.post_id.in_(self._published_ids()))
                 .options(selectinload(PostTarget.account))
                 .order_by(PostTarget.post_id, CommunityReply.created_at, CommunityReply.id)
                 .execution_options(yield_per=CHUNK))
        for reply, target in self.session.execute(query):
            yield reply, target

    def media(self) -> Iterator[tuple[int, MediaAsset]]:
        """(post id, asset) for every image of the range's posts, each asset's bytes read
        only when it is written."""
        query = (select(PostMedia.post_id, PostMedia.media_id)
                 .where(PostMedia.post_id.in_(self._published_ids()))
                 .order_by(PostMedia.post_id, PostMedia.position))
        for post_id, media_id in list(self.session.execute(query)):
            asset = self.session.get(MediaAsset, media_id)
            if asset is not None:
                yield post_id, asset
                self.session.expunge(asset)  # its bytes leave memory with it


def _media_path(asset: MediaAsset) -> str:
    return f"media/{asset.id}.{EXTENSIONS.get(asset.mime_type, 'bin')}"


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "name": user.display_name, "role": user.role}


def _latest(snapshots: list[EngagementSnapshot]) -> EngagementSnapshot | None:
    return snapshots[-1] if snapshots else None


def _target_dict(post: Post, target: PostTarget, found: dict[str, Any]) -> dict[str, Any]:
    deletion = found["deletions"].get(target.id)
    return {
        "id": target.id, "account_id": target.account_id, "platform": target.account.platform,
        "handle": target.account.handle, "status": target.status,
        "scheduled_at": _iso(target.scheduled_at), "published_at": _iso(target.published_at),
        "platform_post_id": target.platform_post_id, "permalink": target.permalink,
        "text_published": text_for_target(post, target),
        "deleted_on_platform": None if deletion is None else {
            "deleted_at": _iso(deletion.deleted_at), "reason": deletion.reason,
            "recorded_by_id": deletion.recorded_by_id,
            "recorded_at": _iso(deletion.recorded_at)},
        "engagement": [{"taken_at": _iso(s.taken_at), "likes": s.likes, "reposts": s.reposts,
                        "replies": s.replies, "impressions": s.impressions}
                       for s in found["snapshots"][target.id]],
    }


def _post_dict(post: Post, found: dict[str, Any]) -> dict[str, Any]:
    kit = found["kit"].get(post.id)
    return {
        "id": post.id,
        "text": post.text,
        "variants": {v.platform: v.text for v in post.variants},
        "author": _person(post.author),
        "approved_by": _person(post.approved_by),
        "approved_at": _iso(post.approved_at),
        "campaign_id": post.campaign_id,
        "kit": None if kit is None else {"kit_post": kit.key, "title": kit.title},
        "created_at": _iso(post.created_at),
        "updated_at": _iso(post.updated_at),
        "media": [{"id": a.media.id, "file": _media_path(a.media), "filename": a.media.filename,
                   "mime_type": a.media.mime_type, "alt_text": a.media.alt_text,
                   "sha256": a.media.sha256} for a in post.attachments],
        "targets": [_target_dict(post, t, found) for t in post.targets],
        "consents": [{"person_name": c.person_name, "given_by": c.given_by,
                      "given_on": c.given_on.isoformat(), "purpose": c.purpose,
                      "covers_name": c.covers_name, "covers_photo": c.covers_photo,
                      "recorded_by_id": c.recorded_by_id, "recorded_at": _iso(c.recorded_at)}
                     for c in found["consents"][post.id]],
        "versions": [{"number": v.number, "text": v.text, "targets": v.targets,
                      "scheduled_at": _iso(v.scheduled_at), "changed": v.changed,
                      "edited_by": _person(v.edited_by), "at": _iso(v.created_at)}
                     for v in found["versions"][post.id]],
        "history": [{"at": _iso(e.created_at), "action": e.action,
                     "actor": _person(e.actor), "entity": e.entity_type,
                     "entity_id": e.entity_id, "details": e.details}
                    for e in found["history"][post.id]],
    }


def _posts_json(reader: _Reader, summary: ArchiveSummary, header: dict) -> Iterator[bytes]:
    yield json.dumps(header, ensure_ascii=False)[:-1].encode() + b', "posts": ['
    first = True
    for chunk in reader.chunks():
        found = reader.related(chunk)
        for post in chunk:
            summary.counts["posts"] += 1
            summary.counts["targets"] += sum(1 for t in post.targets if t.published_at)
            yield (b"" if first else b",") + b"\n" + json.dumps(
                _post_dict(post, found), ensure_ascii=False, indent=None).encode("utf-8")
            first = False
    yield b"\n]}\n"


def _posts_csv(reader: _Reader) -> Iterator[bytes]:
    yield _csv_line(POST_COLUMNS)
    for chunk in reader.chunks():
        found = reader.related(chunk)
        for post in chunk:
            files = " ".join(_media_path(a.media) for a in post.attachments)
            for target in post.targets:
                latest = _latest(found["snapshots"][target.id])
                deletion = found["deletions"].get(target.id)
                yield _csv_line([
                    post.id, target.id, target.account.platform, target.account.handle,
                    target.status, _iso(target.published_at), target.permalink,
                    target.platform_post_id, text_for_target(post, target),
                    post.author.email if post.author else "",
                    post.approved_by.email if post.approved_by else "",
                    _iso(post.approved_at), post.campaign_id, files,
                    _iso(deletion.deleted_at) if deletion else "",
                    latest.likes if latest else "", latest.reposts if latest else "",
                    latest.replies if latest else "",
                    latest.impressions if latest and latest.impressions is not None else ""])


def _replies_csv(reader: _Reader, summary: ArchiveSummary) -> Iterator[bytes]:
    yield _csv_line(REPLY_COLUMNS)
    for reply, target in reader.replies():
        summary.counts["replies"] += 1
        yield _csv_line([reply.id, target.post_id, target.id, target.account.platform,
                         target.account.handle, reply.platform_reply_id, reply.author,
                         reply.text, _iso(reply.created_at), _iso(reply.fetched_at),
                         # kept even when hidden from the wall (PII) or deleted by its author
                         "yes" if getattr(reply, "hidden", False) else "",
                         _iso(getattr(reply, "deleted_on_platform_at", None))])


def write_archive(session: Session, out: IO[bytes], *, agency: Agency, span: ArchiveRange,
                  exported_by: User | None, now: datetime) -> ArchiveSummary:
    """Write the range's archive as a zip into ``out``; nothing is recorded (see
    :func:`record_export`, which the caller runs once the file is complete)."""
    summary = ArchiveSummary(range=span)
    reader = _Reader(session, agency.id, span.utc_bounds)
    begin, finish = span.utc_bounds
    described = {"from": span.start.isoformat(), "to": span.end.isoformat(),
                 "timezone": span.timezone, "from_utc": _iso(begin),
                 "until_utc": _iso(finish)}
    header = {"agency": {"id": agency.id, "name": agency.name, "timezone": agency.timezone},
              "range": described, "exported_at": _iso(now)}
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        archive = _Archive(zf, summary)
        archive.entry("posts.json", _posts_json(reader, summary, header))
        archive.entry("posts.csv", _posts_csv(reader))
        archive.entry("replies.csv", _replies_csv(reader, summary))
        media_rows: list[bytes] = [_csv_line(MEDIA_COLUMNS)]
        written: set[int] = set()
        for post_id, asset in reader.media():
            path = _media_path(asset)
            media_rows.append(_csv_line([asset.id, post_id, path, asset.filename,
                                         asset.mime_type, asset.width, asset.height,
                                         asset.sha256, asset.alt_text]))
            if asset.id not in written:
                written.add(asset.id)
                summary.counts["media"] += 1
                archive.entry(path, iter([asset.data]))
        archive.entry("media.csv", iter(media_rows))
        manifest = {
            "archive": "Tenfour public-records export",
            "agency": header["agency"],
            "range": described,
            "exported_by": _person(exported_by) or {"command_line": True},
            "exported_at": _iso(now),
            "counts": summary.counts,
            "files": summary.files,
            "note": "Every file's SHA-256 is listed here; recompute them to check the export.",
        }
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        summary.manifest_sha256 = hashlib.sha256(data).hexdigest()
        info = zipfile.ZipInfo("manifest.json", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
    return summary


def record_export(session: Session, summary: ArchiveSummary, *, agency_id: int,
                  actor: User | None, now: datetime, via: str) -> None:
    """The audit record of an export (``via``: browser, api or cli)."""
    audit(session, "archive.exported", actor_id=actor.id if actor else None,
          entity_type="agency", entity_id=agency_id, now=now,
          details={"from": summary.range.start.isoformat(), "to": summary.range.end.isoformat(),
                   "via": via, "counts": summary.counts,
                   "manifest_sha256": summary.manifest_sha256,
                   "files": len(summary.files) + 1})


# --- deletions on a platform -------------------------------------------------------------------


def record_platform_deletion(session: Session, *, actor: User | None, target_id: int,
                             deleted_at: datetime, reason: str, now: datetime,
                             agency_id: int | None = None) -> TargetDeletion:
    """Record that a published post was deleted on its platform (by a person there, or found
    gone by a poll, ``actor`` None). The target stays published in the records."""
    if actor is not None and actor.role not in APPROVER_ROLES:
        raise Forbidden("Only an approver or an admin can record a deletion.")
    target = session.get(PostTarget, target_id)
    owner = actor.agency_id if actor is not None else agency_id
    if target is None or target.post.agency_id != owner:
        raise NotFound(f"No target with id {target_id}.")
    if target.status != Status.PUBLISHED.value:
        raise Conflict("Only a published post can be recorded as deleted on its platform.",
                       code="not_published")
    existing = session.scalar(select(TargetDeletion).where(TargetDeletion.target_id == target_id))
    if existing is not None:
        return existing
    if "\x00" in (reason or ""):  # no database text column takes it
        raise ValidationFailed("The reason contains a character that is not valid text.",
                               code="invalid_text", fields={"reason": "Invalid character."})
    if deleted_at > now:
        raise ValidationFailed("A deletion cannot be in the future.", code="invalid_time",
                               fields={"deleted_at": "In the future."})
    row = TargetDeletion(agency_id=target.post.agency_id, target_id=target.id,
                         deleted_at=deleted_at, reason=(reason or "").strip()[:2000],
                         recorded_by_id=actor.id if actor else None, recorded_at=now)
    session.add(row)
    session.flush()
    audit(session, "target.deleted_on_platform", actor_id=actor.id if actor else None,
          entity_type="post_target", entity_id=target.id, now=now,
          details={"deleted_at": _iso(deleted_at), "reason": row.reason})
    return row
