"""Small helpers many integration modules share, kept here so each exists once: the clock,
test images, the API's error shape, a page's form, row counts, "has this process gone?" and
waiting for a condition instead of sleeping.

Fixtures live in conftest.py; these are plain functions a test calls with its own values.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Callable

from sqlalchemy import func, select

from tests.integration.harnesses.base import make_image

#: OAuth 1.0a user keys for an X account; the simulator accepts any non-empty values.
X_CREDENTIALS = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
                 "access_token_secret": "ats"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def png(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (40, 30)) -> bytes:
    """A small, valid PNG; a different ``color`` makes a different file."""
    return make_image("image/png", size=size, color=color)


def jpeg(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    """A valid JPEG (what a phone uploads, and what Instagram insists on)."""
    return make_image("image/jpeg", size=size, color=color)


def assert_api_error(response, status: int, code: str) -> dict:
    """The JSON API's one refusal shape: ``{"error": {"code", "message", "fields"}}`` with a
    machine code and words for people. Returns the ``error`` object for further checks."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


class PageForm(HTMLParser):
    """The first ``<form>`` of a page: its ``action`` and the values of its named inputs
    (hidden state tokens included), as a browser would submit them."""

    def __init__(self, page: str = "") -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        if page:
            self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""


def claimed_target(db, factory, account, text: str, **values) -> int:
    """A post for ``account`` whose target the scheduler has already claimed, written straight
    to the database (the guard would refuse some texts at queue time; the worker's last look is
    what such a test is about). ``values`` set more of the target's columns."""
    from content_queue.models import Post, PostTarget, User

    author = factory.user("pio")
    now = utcnow()
    with db.session_scope() as s:
        post = Post(agency_id=s.get(User, author.id).agency_id, author_id=author.id, text=text,
                    first_scheduled_at=now, created_at=now, updated_at=now)
        s.add(post)
        s.flush()
        target = PostTarget(post_id=post.id, account_id=account.id, status="publishing",
                            scheduled_at=now, next_attempt_at=now, attempts=1, claimed_at=now,
                            created_at=now, updated_at=now, **values)
        s.add(target)
        s.flush()
        return target.id


def date_back_publication(db, target_ids, ago) -> None:
    """As if the targets had gone out ``ago`` and the engagement schedule had not seen them
    yet (the worker schedules a target's polls when it records it; the periodic poll
    schedules the rest, late ones due at once)."""
    from sqlalchemy import delete, update

    from content_queue.models import EngagementPoll, PostTarget

    with db.session_scope() as s:
        s.execute(update(PostTarget).where(PostTarget.id.in_(list(target_ids)))
                  .values(published_at=utcnow() - ago))
        s.execute(delete(EngagementPoll).where(EngagementPoll.target_id.in_(list(target_ids))))


def count_rows(db, model) -> int:
    """How many rows ``model``'s table holds now (to prove a refusal stored nothing)."""
    with db.session_scope(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def pid_gone(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` is no longer a running process (a zombie counts as gone).

    Looks at least once, so ``timeout=0`` asks "is it gone right now?"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        except OSError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05,
               message: str = "condition") -> object:
    """Poll ``predicate`` until it answers something true, and return that; fail after
    ``timeout`` seconds. What a test waits on instead of sleeping a fixed time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
