"""A post's versions: every edit of its text, accounts or time is kept (who, when, what changed),
and two versions can be compared word by word.

Version 1 is the post as first written; it is recorded when the first edit is (so a post never
edited has no rows). :func:`snapshot` is taken before an edit and :func:`record_version` after
it; an edit that changed nothing leaves no version. The diff is computed with :mod:`difflib`
into plain ``(operation, text)`` pieces; the pages escape them like any other text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from content_queue.models import Post, PostVersion, User
from content_queue.states import Status

#: Targets that no longer count as the post's accounts.
_GONE = frozenset({Status.CANCELED.value})
_TOKENS = re.compile(r"\s+|[^\s]+")
#: A page of versions (a post edited more than this is shown newest first, paginated).
MAX_PER_PAGE = 100


def snapshot(post: Post) -> dict[str, Any]:
    """The post's text, accounts and time as they are now."""
    live = [t for t in post.targets if t.status not in _GONE]
    return {
        "text": post.text,
        "targets": [{"account_id": t.account_id, "platform": t.account.platform,
                     "handle": t.account.handle} for t in sorted(live, key=lambda t: t.account_id)],
        "scheduled_at": min((t.scheduled_at for t in live), default=None),
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    if before["text"] != after["text"]:
        out.append("text")
    if [t["account_id"] for t in before["targets"]] != [t["account_id"] for t in after["targets"]]:
        out.append("targets")
    if before["scheduled_at"] != after["scheduled_at"]:
        out.append("scheduled_at")
    return out


def _next_number(session: Session, post_id: int) -> int:
    return (session.scalar(select(func.max(PostVersion.number))
                           .where(PostVersion.post_id == post_id)) or 0) + 1


def record_version(session: Session, post: Post, before: dict[str, Any], *, editor: User,
                   now: datetime) -> PostVersion | None:
    """Keep the post as it is after an edit by ``editor`` (``before`` is its :func:`snapshot`
    from before the edit). The first edit also keeps version 1, the post as written."""
    session.flush()
    session.refresh(post)
    after = snapshot(post)
    changed = _changed(before, after)
    if not changed:
        return None
    number = _next_number(session, post.id)
    if number == 1:
        session.add(PostVersion(agency_id=post.agency_id, post_id=post.id, number=1,
                                text=before["text"], targets=before["targets"],
                                scheduled_at=before["scheduled_at"], changed=[],
                                edited_by_id=post.author_id, created_at=post.created_at))
        number = 2
    version = PostVersion(agency_id=post.agency_id, post_id=post.id, number=number,
                          text=after["text"], targets=after["targets"],
                          scheduled_at=after["scheduled_at"], changed=changed,
                          edited_by_id=editor.id, created_at=now)
    session.add(version)
    session.flush()
    return version


def list_versions(session: Session, post_id: int, *, page: int = 1,
                  per_page: int = 20) -> tuple[list[PostVersion], int]:
    """A page of the post's versions, newest first, and how many there are."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = session.scalar(select(func.count()).select_from(PostVersion)
                           .where(PostVersion.post_id == post_id)) or 0
    rows = list(session.scalars(
        select(PostVersion).where(PostVersion.post_id == post_id)
        .options(selectinload(PostVersion.edited_by))
        .order_by(PostVersion.number.desc()).offset((max(page, 1) - 1) * per_page)
        .limit(per_page)))
    return rows, total


def previous_of(session: Session, version: PostVersion) -> PostVersion | None:
    return session.scalar(select(PostVersion).where(PostVersion.post_id == version.post_id,
                                                    PostVersion.number == version.number - 1))


@dataclass(frozen=True)
class Piece:
    """One run of a diff: ``op`` is "same", "removed" or "added"."""

    op: str
    text: str


def diff_text(old: str, new: str) -> list[Piece]:
    """Word-by-word differences from ``old`` to ``new`` (whitespace kept as written)."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(b[j1:j2])))
    return pieces


def unified_diff(old: str, new: str, *, old_name: str = "before",
                 new_name: str = "after") -> str:
    """The same change as a unified diff (for the API and for people who read diffs)."""
    return "\n".join(difflib.unified_diff((old or "").splitlines(), (new or "").splitlines(),
                                         fromfile=old_name, tofile=new_name, lineterm=""))
