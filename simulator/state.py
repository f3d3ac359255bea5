"""Shared, thread-safe in-memory state of the simulator, keyed by platform.

Every platform blueprint stores its posts and media here instead of keeping
its own dictionaries, so the control API (reset, listing, clock, faults,
persistence) works for all platforms without knowing any of them.

The engagement clock: each post remembers the clock offset at the moment it
was created, so ``advance_clock(N)`` ages every *existing* post by N seconds
while new posts still start at age zero. Wall-clock ``created_at`` values are
never rewritten, so reconciliation by time keeps working.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

def utc_now() -> datetime:
    """One place to read the wall clock, so everything stamps UTC the same way."""
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, the format every sandbox answer uses."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class StoredMedia:
    """An uploaded image; ``extra`` holds whatever a platform needs beyond the basics."""

    platform: str
    id: str
    mime_type: str
    data: bytes
    alt_text: str
    created_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class StoredPost:
    """A published post; ``path`` is its permalink path, joined to the public base on output."""

    platform: str
    id: str
    handle: str
    text: str
    created_at: datetime
    path: str
    media_ids: list[str] = field(default_factory=list)
    reply_to_id: str | None = None
    idempotency_key: str | None = None
    clock_at_creation: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


FAULT_KINDS = frozenset(
    {"rate_limit", "server_error", "slow", "drop_after_accept", "revoke_token", "duplicate"}
)


#: Request kinds that only read; a fault reaches them only when it names them.
READ_KINDS = frozenset({"lookup", "metrics"})  # metrics: issue 9 engagement poll faults


@dataclass
class Fault:
    """A queued failure, consumed by the next ``count`` matching write requests of a platform.

    ``request_kind`` (e.g. "post", "media") and ``path_contains`` narrow the match so a
    test can fail the media upload but not the post that follows it. ``probability`` below 1
    makes it fire on that share of matching requests (chaos tests: "10% of publish calls"); a
    request it spares does not use up ``count``.
    """

    platform: str
    kind: str
    count: int = 1
    retry_after: float = 2.0
    delay: float = 1.0
    path_contains: str | None = None
    request_kind: str | None = None
    probability: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "kind": self.kind,
            "count": self.count,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "path_contains": self.path_contains,
            "request_kind": self.request_kind,
            "probability": self.probability,
        }


@dataclass
class RateWindow:
    """A fixed rate-limit window per (platform, caller): count requests, report, never block."""

    started: float
    count: int = 0


class SimState:
    """All mutable simulator data behind one re-entrant lock.

    Routes that check-then-write (idempotency, duplicate detection) hold
    ``state.lock`` across both steps so concurrent requests cannot both win.
    ``on_change`` is called (under the lock) after every durable write; the
    server uses it to persist the demo feed.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.random = random.Random()
        self.on_change: Callable[[SimState], None] | None = None
        self._clear()

    def _clear(self) -> None:
        self.posts: dict[str, dict[str, StoredPost]] = {}
        #: (platform, handle, idempotency key) -> post id: a retried publish is found in O(1)
        #: (a scan of every post made a 10,000-post burst quadratic, under the lock).
        self.idempotency_index: dict[tuple[str, str, str], str] = {}
        #: (platform, handle) -> that account's posts, and (platform, handle, text) -> its posts
        #: with that text: an account's feed and the duplicate-content check cost what that
        #: account posted, not what every account did (a scan of every post, under the lock,
        #: held a 10,000-post burst to under 50 posts/s).
        self.handle_index: dict[tuple[str, str], list[StoredPost]] = {}
        self.text_index: dict[tuple[str, str, str], list[StoredPost]] = {}
        self.media: dict[str, dict[str, StoredMedia]] = {}
        self.revoked: dict[str, set[str]] = {}
        self.clock_offset: float = 0.0
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.rate_windows: dict[tuple[str, str], RateWindow] = {}
        self.platform_scratch: dict[str, dict[str, Any]] = {}
        self.next_id: int = 100_000_001

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # -- lifecycle -----------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything in place, so holders of this object see the reset too."""
        with self.lock:
            self._clear()
            self._changed()

    def new_id(self) -> str:
        """Numeric string ids (like X and Mastodon), unique across platforms and kinds."""
        with self.lock:
            value = self.next_id
            self.next_id += 1
            return str(value)

    # -- engagement clock ------------------------------------------------------------
    def advance_clock(self, seconds: float) -> float:
        """Age every existing post by ``seconds``; returns the new offset."""
        with self.lock:
            self.clock_offset += seconds
            self._changed()
            return self.clock_offset

    def age_seconds(self, post: StoredPost, now: datetime | None = None) -> float:
        """Engagement age: wall-clock age plus clock advances since the post was made."""
        moment = now or utc_now()
        wall = (moment - post.created_at).total_seconds()
        return max(0.0, wall + self.clock_offset - post.clock_at_creation)

    # -- posts -----------------------------------------------------------------------
    def add_post(self, post: StoredPost) -> StoredPost:
        with self.lock:
            post.clock_at_creation = self.clock_offset
            self.posts.setdefault(post.platform, {})[post.id] = post
            self._index(post)
            self._changed()
            return post

    def get_post(self, platform: str, post_id: str) -> StoredPost | None:
        with self.lock:
            return self.posts.get(platform, {}).get(post_id)

    def list_posts(self, platform: str | None = None, handle: str | None = None) -> list[StoredPost]:
        """Posts oldest first (insertion order), optionally for one platform and account."""
        with self.lock:
            if platform is not None and handle is not None:
                found = list(self.handle_index.get((platform, handle), ()))
            else:
                platforms = [platform] if platform else list(self.posts)
                found = [p for name in platforms for p in self.posts.get(name, {}).values()]
                if handle is not None:
                    found = [p for p in found if p.handle == handle]
        return sorted(found, key=lambda p: (p.created_at, int(p.id) if p.id.isdigit() else 0))

    def find_by_idempotency_key(self, platform: str, handle: str, key: str) -> StoredPost | None:
        with self.lock:
            post_id = self.idempotency_index.get((platform, handle, key))
            post = self.posts.get(platform, {}).get(post_id) if post_id else None
            if post is not None and post.handle == handle and post.idempotency_key == key:
                return post
        return None

    def posts_with_text(self, platform: str, handle: str, text: str) -> list[StoredPost]:
        """The account's posts with exactly ``text`` (for the duplicate-content checks)."""
        with self.lock:
            return list(self.text_index.get((platform, handle, text), ()))

    def _index(self, post: StoredPost) -> None:
        if post.idempotency_key:
            self.idempotency_index[(post.platform, post.handle, post.idempotency_key)] = post.id
        self.handle_index.setdefault((post.platform, post.handle), []).append(post)
        self.text_index.setdefault((post.platform, post.handle, post.text), []).append(post)

    def reindex(self) -> None:
        """Rebuild the indexes after posts were loaded wholesale (persistence)."""
        with self.lock:
            self.idempotency_index, self.handle_index, self.text_index = {}, {}, {}
            for by_id in self.posts.values():
                for post in by_id.values():
                    self._index(post)

    def platform_data(self, platform: str) -> dict[str, Any]:
        """A platform's own scratch space (OAuth apps and codes, per-instance settings).

        Cleared by ``reset``, never persisted; use it under ``state.lock``.
        """
        with self.lock:
            return self.platform_scratch.setdefault(platform, {})

    # -- media -----------------------------------------------------------------------
    def add_media(self, media: StoredMedia) -> StoredMedia:
        with self.lock:
            self.media.setdefault(media.platform, {})[media.id] = media
            self._changed()
            return media

    def get_media(self, platform: str, media_id: str) -> StoredMedia | None:
        with self.lock:
            return self.media.get(platform, {}).get(media_id)

    # -- tokens ----------------------------------------------------------------------
    def revoke(self, platform: str, token: str) -> None:
        with self.lock:
            self.revoked.setdefault(platform, set()).add(token)
            self._changed()

    def is_revoked(self, platform: str, token: str) -> bool:
        with self.lock:
            return token in self.revoked.get(platform, set())

    # -- request log -----------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)

    def logged_requests(self, platform: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.requests if platform in (None, e["platform"])]

    # -- faults ----------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, platform: str, request_kind: str, path: str) -> Fault | None:
        """Consume one use of the oldest matching fault (FIFO), or return None."""
        with self.lock:
            for fault in self.faults:
                if fault.platform != platform:
                    continue
                if fault.request_kind not in (None, request_kind):
                    continue
                if fault.request_kind is None and request_kind in READ_KINDS:
                    continue  # an unqualified fault is for writes only
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.probability < 1.0 and self.random.random() >= fault.probability:
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- rate-limit accounting -------------------------------------------------------
    def count_request(self, platform: str, caller: str, limit: int, window: int, now: float) -> tuple[int, int]:
        """Count one request; returns (remaining, reset epoch seconds) for the headers."""
        with self.lock:
            current = self.rate_windows.get((platform, caller))
            if current is None or now >= current.started + window:
                current = RateWindow(started=now)
                self.rate_windows[(platform, caller)] = current
            current.count += 1
            return max(0, limit - current.count), int(current.started + window)
