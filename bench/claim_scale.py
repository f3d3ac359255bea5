"""Does a scheduler tick cost more when more is queued for later? (issue 7, goal 3)

Builds a database with 1,000 and then 1,000,000 future targets, and times, with each queue:
an idle tick (nothing due) and a tick that claims 500 due targets. Goal: each costs the same
with 1,000,000 queued as with 1,000 (ratio <= 1.5). Baseline, same run: the issue-6 claim
statement (``UPDATE … WHERE id IN (SELECT … LIMIT 500)``) on the same rows.

    .venv/bin/python bench/claim_scale.py [--quick] [--sizes 1000 1000000] [--database-url …]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from harness import add_backend_args, backend_name, record, scratch_postgres, seed_posts

from sqlalchemy import insert, select, update

from content_queue.db import Database
from content_queue.migrate import upgrade
from content_queue.models import Agency, PostTarget, SocialAccount, User
from content_queue.states import Status
from scheduler import tick
from content_queue.transitions import audit_targets

CLAIM = 500


def issue6_claim(session, now: datetime, limit: int) -> list[int]:
    """The claim as it was before issue 7: the baseline."""
    due = (select(PostTarget.id)
           .where(PostTarget.status == Status.SCHEDULED.value, PostTarget.next_attempt_at <= now)
           .order_by(PostTarget.next_attempt_at, PostTarget.id).limit(limit)
           .with_for_update(skip_locked=True).scalar_subquery())
    ids = list(session.scalars(
        update(PostTarget).where(PostTarget.id.in_(due), PostTarget.status == "scheduled")
        .values(status="publishing", claimed_at=now, attempts=PostTarget.attempts + 1,
                updated_at=now).returning(PostTarget.id)))
    audit_targets(session, [(i, {"from": "scheduled", "to": "publishing"}) for i in ids],
                  "target.publishing", now)
    return ids


def setup(url: str) -> int:
    upgrade(url)
    db = Database(url)
    now = datetime.now(timezone.utc)
    with db.session_scope() as s:
        agency = s.scalar(insert(Agency).returning(Agency.id),
                          [{"name": "Bench", "timezone": "UTC", "created_at": now}])
        s.execute(insert(User), [{"agency_id": agency, "email": "admin@bench", "role": "admin",
                                  "password_hash": "x", "display_name": "", "active": True,
                                  "created_at": now}])
        account = s.scalar(insert(SocialAccount).returning(SocialAccount.id), [{
            "agency_id": agency, "platform": "sandbox", "handle": "bench",
            "credentials_encrypted": "x", "status": "active", "display_name": "",
            "status_detail": "", "created_at": now, "updated_at": now}])
    db.engine.dispose()
    return account


def settle(db: Database) -> None:
    """Checkpoint SQLite's WAL after seeding, so the seeding's writes are not timed as the
    claim's (a claim's own checkpoint share is small and is part of what it costs)."""
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def measure(url: str, account: int, rounds: int) -> dict[str, float]:
    db = Database(url)
    try:
        now = datetime.now(timezone.utc)
        settle(db)
        idle = []
        for _ in range(200):
            t0 = time.perf_counter()
            tick(db, now, lambda ids: None, limit=CLAIM)
            idle.append(time.perf_counter() - t0)
        claiming, baseline = [], []
        for r in range(rounds * 2):
            seed_posts(url, [now - timedelta(seconds=1)] * CLAIM, account_ids=[account],
                       text="due {i}")
            settle(db)
            t0 = time.perf_counter()
            if r % 2 == 0:
                claimed = tick(db, now, lambda ids: None, limit=CLAIM).claimed
                claiming.append(time.perf_counter() - t0)
            else:
                with db.session_scope(write=True) as s:
                    claimed = issue6_claim(s, now, CLAIM)
                baseline.append(time.perf_counter() - t0)
            assert len(claimed) == CLAIM, len(claimed)
        return {"idle": statistics.median(idle) * 1000,
                "claiming": statistics.median(claiming) * 1000,
                "baseline": statistics.median(baseline) * 1000}
    finally:
        db.engine.dispose()


def run(url: str, sizes: list[int], rounds: int) -> dict[int, dict[str, float]]:
    account = setup(url)
    results, queued = {}, 0
    far = datetime.now(timezone.utc) + timedelta(days=2)
    for size in sorted(sizes):
        add = size - queued
        t0 = time.perf_counter()
        seed_posts(url, [far + timedelta(seconds=i % 86400) for i in range(add)],
                   account_ids=[account], text="future {i}", chunk=20000)
        queued = size
        print(f"queued {size:,} future targets ({time.perf_counter() - t0:.0f} s to insert)",
              flush=True)
        results[size] = measure(url, account, rounds)
        print(f"  {results[size]}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="1,000 and 100,000, 3 rounds")
    add_backend_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.rounds = [1000, 100_000], 5
    backend = backend_name(args.database_url, None).split(" + ")[0] + " (no broker needed)"
    if args.database_url and args.database_url.startswith("postgres"):
        with scratch_postgres(args.database_url) as url:
            results = run(url, args.sizes, args.rounds)
    else:
        folder = Path(tempfile.mkdtemp(prefix="tenfour-claim-"))
        results = run(f"sqlite:///{folder / 'bench.db'}", args.sizes, args.rounds)
    small, large = min(results), max(results)
    lines = ["| future targets queued | idle tick | tick claiming 500 | baseline: issue-6 claim |",
             "|---:|---:|---:|---:|"]
    for size, r in sorted(results.items()):
        lines.append(f"| {size:,} | {r['idle']:.2f} ms | {r['claiming']:.1f} ms | "
                     f"{r['baseline']:.1f} ms |")
    idle_ratio = results[large]["idle"] / results[small]["idle"]
    claim_ratio = results[large]["claiming"] / results[small]["claiming"]
    base_ratio = results[large]["baseline"] / results[small]["baseline"]
    ok = idle_ratio <= 1.5 and claim_ratio <= 1.5
    lines += ["", f"Ratio {large:,} / {small:,} queued: idle tick {idle_ratio:.2f}, claiming tick "
              f"{claim_ratio:.2f} (goal <= 1.5: {'met' if ok else 'MISSED'}); baseline claim "
              f"{base_ratio:.2f}. A claiming tick costs {results[large]['claiming'] / results[large]['idle']:.0f}x "
              "an idle one: that is the 500 row updates and 500 audit rows, not the queue."]
    record("Claim at scale (bench/claim_scale.py)", backend, lines, enabled=not args.no_record)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
