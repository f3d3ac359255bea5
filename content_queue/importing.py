"""Bulk import: a week of posts from a spreadsheet, all or nothing.

The file is CSV with the columns ``text,accounts,scheduled_at,campaign`` (in any order, named
in the header row; other columns, such as an export's, are ignored). ``accounts`` lists
handles separated by ``;`` (``platform:handle`` when a handle exists on two platforms); ``scheduled_at`` is the agency's local time
(``2027-04-12 09:00``) or carries its offset (``2027-04-12T09:00:00-05:00``); ``campaign`` is
a campaign's name (or empty).

Every row goes through the same verb as the compose page (:func:`queue_post`), each inside a
savepoint of one outer savepoint: when any row is refused the outer one is rolled back, so
nothing at all is created, and every refused row is reported with its row number as a
spreadsheet shows it (the header is row 1) and the reason in plain words.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.errors import ServiceError, ValidationFailed
from content_queue.models import Campaign, SocialAccount, User
from content_queue.platforms import PLATFORMS, RULES
from content_queue.services import queue_post, require_author
from content_queue.timeutil import LocalTimeError, local_to_utc, parse_iso_instant
from content_queue.users import audit

COLUMNS = ("text", "accounts", "scheduled_at", "campaign")
#: Bounds of one import: a month of posts on a few accounts fits many times over.
MAX_IMPORT_BYTES = 1024 * 1024
MAX_ROWS = 500
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                  "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)

EXAMPLE_CSV = (
    "text,accounts,scheduled_at,campaign\n"
    '"Happy National Public Safety Telecommunicators Week to the team at the 911 center!",'
    "county911;x:county911,2027-04-11 09:00,NPSTW 2027\n"
    '"Meet {dispatcher_name}: 12 years on the floor and still the calmest voice in the room.",'
    "county911,2027-04-12T12:00:00-05:00,NPSTW 2027\n"
    '"Tours of the dispatch floor on Saturday, 10:00 to 14:00. Sign up at the front desk.",'
    "county911,2027-04-17 08:30,\n"
)


@dataclass
class RowResult:
    row: int
    status: str  # "ok" or "error"
    post_id: int | None = None
    code: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "status": self.status}
        if self.status == "ok":
            out["post_id"] = self.post_id
        else:
            out.update(code=self.code, message=self.message)
        return out


@dataclass
class ImportResult:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.rows)

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.post_id is not None)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.status != "ok"]


class RowProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _file_error(message: str, code: str = "invalid_file") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"file": message})


def read_rows(data: bytes) -> list[tuple[int, list[str] | None, int]]:
    """``(spreadsheet row number, the four cells, how many cells the row had)`` of the data
    rows, after the header is checked; the cells are None when the row's count is not the
    header's. Refuses the whole file when it cannot be read as the expected CSV."""
    if not data or not data.strip():
        raise _file_error("The file is empty. Use the example file: a header row "
                          f"({','.join(COLUMNS)}) and one post per row.", "file_empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise _file_error(f"The file is {len(data) / 1048576:.1f} MB; an import can be at most "
                          f"{MAX_IMPORT_BYTES // 1048576} MB ({MAX_ROWS} posts). Split it.",
                          "file_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("The file is not UTF-8 text. In your spreadsheet, save it as "
                          "\"CSV UTF-8 (comma delimited)\".", "file_encoding") from None
    if "\x00" in text:
        raise _file_error("The file is not a CSV text file.", "file_encoding")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _file_error(f"The file is not valid CSV ({exc}).", "invalid_csv") from None
    header = [h.strip().lower() for h in records[0]] if records else []
    missing = [c for c in COLUMNS if c not in header]
    if missing or len(set(header)) != len(header):
        raise _file_error(f"The first row must name the columns {','.join(COLUMNS)}, once each "
                          f"(found: {','.join(header) or 'nothing'}).", "bad_header")
    rows = [(n, cells) for n, cells in enumerate(records[1:], start=2)
            if any(c.strip() for c in cells)]
    if not rows:
        raise _file_error("The file has a header row but no posts.", "file_empty")
    if len(rows) > MAX_ROWS:
        raise _file_error(f"The file has {len(rows)} posts; an import can have at most "
                          f"{MAX_ROWS}. Split it.", "too_many_rows")
    return [(n, _reorder(cells, header) if len(cells) == len(header) else None, len(cells))
            for n, cells in rows]


def _reorder(cells: list[str], header: list[str]) -> list[str]:
    """The four columns in their order; other columns (an export's ``post_id``, ``status``…)
    are ignored, so an exported file can be imported again."""
    by_name = dict(zip(header, cells))
    return [by_name[c] for c in COLUMNS]


def parse_when(value: str, tz_name: str) -> datetime:
    """The row's time: with an offset as given, else the agency's local time (DST checked)."""
    value = value.strip()
    if not value:
        raise RowProblem("invalid_time", "scheduled_at is empty; give a date and time such as "
                         "2027-04-12 09:00.")
    try:
        if _OFFSET.search(value) and ("T" in value or " " in value):
            return parse_iso_instant(value.replace(" ", "T", 1))
        for fmt in _LOCAL_FORMATS:
            try:
                local = datetime.strptime(value, fmt)
            except ValueError:
                continue
            return local_to_utc(local, tz_name)
    except LocalTimeError as exc:
        message = str(exc)
        if exc.code == "time_ambiguous":
            message += " Write the time with its offset (for example -05:00 or -06:00)."
        raise RowProblem(exc.code, message) from None
    raise RowProblem("invalid_time", f"{value!r} is not a date and time; write it as "
                     "2027-04-12 09:00 (local time) or 2027-04-12T09:00:00-05:00.")


class _Accounts:
    """The agency's accounts by handle, loaded once per import."""

    def __init__(self, session: Session, agency_id: int) -> None:
        self.by_handle: dict[str, list[SocialAccount]] = {}
        for account in session.scalars(select(SocialAccount)
                                       .where(SocialAccount.agency_id == agency_id)):
            self.by_handle.setdefault(account.handle.lower().lstrip("@"), []).append(account)

    def resolve(self, value: str) -> list[int]:
        names = [n.strip() for n in value.split(";") if n.strip()]
        if not names:
            raise RowProblem("no_accounts", "accounts is empty; list the handles to post to, "
                             "separated by ; (for example county911;x:county911).")
        ids: dict[int, None] = {}
        for name in names:
            platform, sep, handle = name.partition(":")
            if not sep or platform.strip().lower() not in PLATFORMS:
                platform, handle = "", name
            key = handle.strip().lstrip("@").lower()
            found = [a for a in self.by_handle.get(key, [])
                     if not platform or a.platform == platform.strip().lower()]
            if not found:
                raise RowProblem("unknown_handle", f"No connected account has the handle "
                                 f"{name!r}. Check the spelling on the accounts page.")
            if len(found) > 1:
                options = " or ".join(f"{a.platform}:{a.handle}" for a in found)
                raise RowProblem("ambiguous_handle", f"{name!r} is the handle of "
                                 f"{len(found)} accounts; write {options}.")
            if found[0].status == "disabled":
                label = RULES[found[0].platform].label
                raise RowProblem("account_disabled",
                                 f"The {label} account @{found[0].handle} is disabled.")
            ids[found[0].id] = None
        return list(ids)


def _campaign_id(session: Session, agency_id: int, name: str,
                 cache: dict[str, int | None]) -> int | None:
    name = name.strip()
    if not name:
        return None
    if name.lower() not in cache:
        cache[name.lower()] = session.scalar(
            select(Campaign.id).where(Campaign.agency_id == agency_id,
                                      func.lower(Campaign.name) == name.lower()))
    found = cache[name.lower()]
    if found is None:
        raise RowProblem("unknown_campaign", f"There is no campaign called {name!r}; create it "
                         "on the campaigns page or leave the column empty.")
    return found


def import_posts(session: Session, *, actor: User, data: bytes, now: datetime,
                 submit: bool = True) -> ImportResult:
    """Create one post per row, or none: when any row is refused nothing is kept (the caller
    answers 422 with :attr:`ImportResult.rows`)."""
    require_author(actor)
    rows = read_rows(data)
    accounts = _Accounts(session, actor.agency_id)
    campaigns: dict[str, int | None] = {}
    result = ImportResult()
    outer = session.begin_nested()
    for number, cells, width in rows:
        try:
            if cells is None:
                raise RowProblem("bad_column_count", f"The row has {width} columns; the first "
                                 "row names a different number. A text with a comma must be "
                                 "in double quotes.")
            text, handles, when, campaign = cells
            if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
                text = text[1:]  # an exported cell protected from spreadsheet formulas
            account_ids = accounts.resolve(handles)
            scheduled_at = parse_when(when, actor.agency.timezone)
            campaign_id = _campaign_id(session, actor.agency_id, campaign, campaigns)
            with session.begin_nested():
                post = queue_post(session, actor=actor, text=text, account_ids=account_ids,
                                  scheduled_at=scheduled_at, now=now, campaign_id=campaign_id,
                                  submit=submit)
            result.rows.append(RowResult(number, "ok", post_id=post.id))
        except RowProblem as problem:
            result.rows.append(RowResult(number, "error", code=problem.code,
                                         message=problem.message))
        except ServiceError as exc:
            result.rows.append(RowResult(number, "error", code=exc.code, message=exc.message))
    if result.ok:
        outer.commit()
        audit(session, "posts.imported", actor_id=actor.id, entity_type="post", entity_id=None,
              now=now, details={"created": result.created,
                                "post_ids": [r.post_id for r in result.rows]})
        session.flush()
    else:
        outer.rollback()
        for row in result.rows:
            row.post_id = None  # rolled back: none of them exists
    return result
