"""How close to its time does each post go out? (issue 7, goal 2)

N targets (default 10,000) spread evenly over a window (default 2 minutes) on sandbox
accounts, published by `tenfour run` (worker on a thread pool; the scheduler claims
``CLAIM_AHEAD_SECONDS`` ahead and the worker waits the last fraction). Lateness =
``published_at`` (the platform's stamp) - ``scheduled_at``. Goal: p99 <= 100 ms, never negative.
Baseline, same run: one publish call straight to the simulator (what the platform itself costs).

    .venv/bin/python bench/precision.py [--quick] [--targets 10000] [--window 120]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

from harness import (add_backend_args, backend_name, lateness, make_sandbox_accounts, pct,
                     record, running_stack, seed_posts, simulator_texts, wait_finished)

from connectors.sandbox import SandboxConnector
from content_queue.ports import PublishRequest


def direct_call_ms(sim: str, handle: str, n: int = 50) -> float:
    client = SandboxConnector(handle=handle, credentials={"access_token": "bench-token"},
                              api_base_url=f"{sim}/sandbox")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        client.publish(PublishRequest(text=f"Direct call {i}", idempotency_key=f"direct-{i}"))
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def phases(database_url: str, target_ids: list[int], over: float) -> list[str]:
    """Where the late ones lost their time: for each published target later than ``over`` s,
    claimed-at minus due (negative: claimed ahead), attempt start minus due, and the platform's
    stamp minus the attempt start. Lines for the record, p50/p90/max of each phase."""
    from sqlalchemy import select

    from content_queue.db import Database
    from content_queue.models import PostTarget

    db = Database(database_url)
    try:
        with db.session_scope(write=False) as s:
            rows = s.execute(select(PostTarget.scheduled_at, PostTarget.claimed_at,
                                    PostTarget.attempt_started_at, PostTarget.published_at)
                             .where(PostTarget.id.between(min(target_ids), max(target_ids)),
                                    PostTarget.status == "published")).all()
    finally:
        db.engine.dispose()
    late = [r for r in rows if (r.published_at - r.scheduled_at).total_seconds() > over
            and r.claimed_at and r.attempt_started_at]
    if not late:
        return [f"| late by more than {over * 1000:.0f} ms | none |"]

    def spread(values: list[float]) -> str:
        return (f"{statistics.median(values) * 1000:.0f} / {pct(values, 0.9) * 1000:.0f} / "
                f"{max(values) * 1000:.0f} ms")

    claimed = [(r.claimed_at - r.scheduled_at).total_seconds() for r in late]
    started = [(r.attempt_started_at - r.scheduled_at).total_seconds() for r in late]
    call = [(r.published_at - r.attempt_started_at).total_seconds() for r in late]
    return [
        f"| late by more than {over * 1000:.0f} ms | {len(late):,} |",
        f"| of those, claimed minus due, p50 / p90 / max | {spread(claimed)} |",
        f"| of those, attempt start minus due, p50 / p90 / max | {spread(started)} |",
        f"| of those, platform stamp minus attempt start, p50 / p90 / max | {spread(call)} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=120.0, help="seconds")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--claim-ahead", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="1,000 targets over 60 s")
    add_backend_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.targets, args.window = min(args.targets, 1000), min(args.window, 60.0)
    backend = backend_name(args.database_url, args.redis_url)
    env = {"WORKER_POOL": "threads", "WORKER_CONCURRENCY": str(args.concurrency),
           "CLAIM_AHEAD_SECONDS": str(args.claim_ahead)}
    with running_stack(args, **env) as stack:
        accounts = make_sandbox_accounts(stack, args.accounts)
        direct = direct_call_ms(stack.sim, accounts[0][1])
        start = (datetime.now(timezone.utc) + timedelta(seconds=10 + args.targets / 1000)
                 ).replace(microsecond=0)
        step = args.window / args.targets
        times = [start + timedelta(milliseconds=round(i * step * 1000))
                 for i in range(args.targets)]
        ids = seed_posts(stack.database_url, times, account_ids=[a for a, _ in accounts],
                         text="Precision post {i}: thank you, dispatchers.")
        wait_s = (times[-1] - datetime.now(timezone.utc)).total_seconds()
        print(f"{len(ids)} targets from {start:%H:%M:%S} over {args.window:.0f} s", flush=True)
        counts = wait_finished(stack.database_url, ids, timeout=wait_s + 120)
        late, _rows = lateness(stack.database_url, ids)
        tail = phases(stack.database_url, ids, over=0.100)
        texts = simulator_texts(stack.sim, "Precision post")

    once = len(texts) == len(set(texts)) == args.targets
    p99 = pct(late, 0.99) if late else float("nan")
    negative = sum(1 for x in late if x < 0)
    ok = once and late and p99 <= 0.100 and negative == 0
    lines = [
        f"{args.targets:,} targets spread over {args.window:.0f} s "
        f"({args.targets / args.window:.0f}/s) on {args.accounts} sandbox accounts; worker "
        f"`--pool threads -c {args.concurrency}`; claim ahead {args.claim_ahead:.1f} s.",
        "",
        "| | figure |", "|---|---:|",
        f"| published / failed | {counts.get('published', 0):,} / {counts.get('failed', 0):,} |",
        f"| on the simulator (distinct) | {len(texts):,} ({len(set(texts)):,}) |",
    ]
    if late:
        lines += [
            f"| lateness p50 / p90 / p99 / max | {statistics.median(late) * 1000:.0f} / "
            f"{pct(late, 0.9) * 1000:.0f} / {p99 * 1000:.0f} / {max(late) * 1000:.0f} ms |",
            f"| lateness min (never negative) | {min(late) * 1000:.1f} ms; {negative} early |",
            f"| p99 goal <= 100 ms | {'met' if p99 <= 0.1 else 'MISSED'} |",
        ] + tail
    lines.append(f"| baseline: one direct publish call to the simulator (median) | {direct:.1f} ms |")
    record("Precision (bench/precision.py)", backend, lines, enabled=not args.no_record)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
