"""Does the public-records export stream? (issue 10 kits)

Seeds N published posts (each with 2 replies, 2 engagement snapshots and its audit events) in
a scratch SQLite database, then writes the archive zip to a file, measuring the time and the
peak Python memory (tracemalloc) of the export alone, for two sizes. Streaming means the
peak stays nearly flat while N grows 4x; loading everything would grow it about 4x.

    .venv/bin/python bench/archive_export.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from content_queue.archive import parse_range, write_archive  # noqa: E402
from content_queue.db import Database  # noqa: E402
from content_queue.models import (Agency, AuditEvent, Base, CommunityReply,  # noqa: E402
                                  EngagementSnapshot, Post, PostTarget, SocialAccount, User)

DAY = datetime(2027, 4, 14, 15, 0, tzinfo=timezone.utc)


def seed(db: Database, n: int) -> None:
    with db.session_scope() as s:
        s.add(Agency(id=1, name="Metro 911", timezone="America/Chicago", created_at=DAY))
        s.flush()
        s.add(User(id=1, agency_id=1, email="admin@metro911.gov", display_name="Admin",
                   password_hash="x", role="admin", active=True, created_at=DAY))
        s.add(SocialAccount(id=1, agency_id=1, platform="sandbox", handle="metro911",
                            credentials_encrypted="x", created_at=DAY, updated_at=DAY))
        s.flush()
        text = "Thank you, telecommunicators! " * 8
        s.execute(insert(Post), [dict(id=i, agency_id=1, author_id=1, text=f"{i} {text}",
                                      created_at=DAY, updated_at=DAY, first_scheduled_at=DAY)
                                 for i in range(1, n + 1)])
        s.execute(insert(PostTarget), [dict(
            id=i, post_id=i, account_id=1, status="published", scheduled_at=DAY,
            next_attempt_at=DAY, attempts=1, published_at=DAY + timedelta(seconds=i % 3600),
            platform_post_id=f"sb-{i}", permalink=f"https://sandbox.example/{i}",
            created_at=DAY, updated_at=DAY) for i in range(1, n + 1)])
        s.execute(insert(CommunityReply), [dict(
            target_id=i, platform_reply_id=f"r-{i}-{k}", author="@neighbor",
            text="Thank you for all you do! " * 4, created_at=DAY, fetched_at=DAY)
            for i in range(1, n + 1) for k in range(2)])
        s.execute(insert(EngagementSnapshot), [dict(
            target_id=i, taken_at=DAY + timedelta(hours=k), likes=k, reposts=k, replies=2)
            for i in range(1, n + 1) for k in range(2)])
        s.execute(insert(AuditEvent), [dict(
            actor_id=1, action=action, entity_type=kind, entity_id=i, details={"n": i},
            created_at=DAY) for i in range(1, n + 1)
            for action, kind in (("post.created", "post"), ("target.scheduled", "post_target"),
                                 ("target.published", "post_target"))])


def measure(n: int, folder: Path) -> tuple[float, float, int]:
    db = Database(f"sqlite:///{folder / f'bench-{n}.db'}")
    Base.metadata.create_all(db.engine)
    seed(db, n)
    out = folder / f"archive-{n}.zip"
    elapsed = peak = 0.0
    for traced in (False, True):  # timed without tracemalloc (it slows Python), then traced
        with db.session_scope(write=False) as s, open(out, "wb") as fh:
            agency, admin = s.get(Agency, 1), s.get(User, 1)
            span = parse_range(date(2027, 4, 11), date(2027, 4, 17), agency.timezone)
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            summary = write_archive(s, fh, agency=agency, span=span, exported_by=admin,
                                    now=DAY)
            if traced:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            else:
                elapsed = time.perf_counter() - started
    db.engine.dispose()
    assert summary.counts["posts"] == n and summary.counts["replies"] == 2 * n
    return elapsed, peak / 2**20, os.path.getsize(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 and 4,000 posts")
    args = parser.parse_args()
    sizes = (1000, 4000) if args.quick else (2500, 10000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            elapsed, peak, size = measure(n, Path(tmp))
            results.append(peak)
            print(f"archive export, {n:>6,} posts (+{2 * n:,} replies): {elapsed:6.2f} s, "
                  f"{n / elapsed:7.0f} posts/s, peak Python memory {peak:6.1f} MB, "
                  f"zip {size / 2**20:.1f} MB")
    growth = results[1] / results[0]
    print(f"peak memory grew {growth:.2f}x for 4x the posts (goal: < 2x, i.e. streaming)")
    return 0 if growth < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
