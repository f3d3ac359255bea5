"""Export the queue as CSV, with the queue page's filters.

The first four columns are the import's (``text,accounts,scheduled_at,campaign``), so an
exported file can be edited and imported again; the others say what happened to each post.
Rows are read a page at a time and written as they come, so a long queue never sits in memory.
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from sqlalchemy.orm import Session

from content_queue.db import Database

from content_queue.models import User
from content_queue.reading import list_posts, post_status
from content_queue.timeutil import utc_to_local

HEADER = ("text", "accounts", "scheduled_at", "campaign", "post_id", "status", "targets",
          "author", "created_at")
PAGE = 200
#: Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def export_rows(session: Session, actor: User, *, status: str | None = None) -> Iterator[str]:
    """CSV lines (header first) of the agency's posts, newest-scheduled first, like the queue."""
    tz = actor.agency.timezone
    yield _line(list(HEADER))
    page = 1
    while True:
        posts, _total = list_posts(session, actor, status=status, page=page, per_page=PAGE)
        for post in posts:
            first = post.first_scheduled_at
            when = utc_to_local(first, tz).isoformat(timespec="minutes") if first else ""
            accounts = ";".join(f"{t.account.platform}:{t.account.handle}" for t in post.targets)
            targets = "; ".join(f"{t.account.platform}:{t.account.handle}={t.status}"
                                for t in post.targets)
            yield _line([_safe(post.text), accounts, when,
                         _safe(post.campaign.name) if post.campaign else "", str(post.id),
                         post_status(post), targets,
                         _safe(post.author.display_name or post.author.email),
                         utc_to_local(post.created_at, tz).isoformat(timespec="minutes")])
        if len(posts) < PAGE:
            return
        page += 1


def export_rows_in_own_session(db: Database, user_id: int, *,
                               status: str | None = None) -> Iterator[str]:
    """:func:`export_rows` in a read session of its own: a streamed response outlives the
    request's session, so the rows are read after it is closed."""
    session = db.session(write=False)
    try:
        yield from export_rows(session, session.get(User, user_id), status=status)
    finally:
        session.rollback()
        session.close()
