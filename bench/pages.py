"""Do pages stay fast with a big queue and a burst going out? (issue 7, goal 4)

Stores N posts (default 100,000: most published, some scheduled, some failed), starts
`tenfour run`, and has 20 concurrent clients load the dashboard, the queue page, a post page
and ``GET /api/v1/posts?per_page=50`` for a while, as a burst of due targets publishes.
Goal: p95 <= 50 ms for each, zero errors. Baseline, same run: ``/healthz`` (no database work).
On PostgreSQL the seeded tables are analysed first, as autovacuum does within a minute or so
of a bulk insert (harness.gather_statistics).

    .venv/bin/python bench/pages.py [--quick] [--posts 100000] [--clients 20] [--seconds 30]
                                    [--think 0]

With ``--think 0`` (the default) each client sends its next request the moment the last one
is answered: 20 clients then keep the server saturated, and a request's time is mostly its
wait in the queue (the /healthz baseline shows how much). ``--think S`` has each client pause
a random time (exponential, mean S seconds) between requests, as people at a browser do: the
figures are then what one request costs while 20 people use the app during a burst.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import requests

from harness import (add_backend_args, backend_name, gather_statistics, make_sandbox_accounts,
                     pct, record, running_stack, seed_posts, wait_finished)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def browser(base: str, password: str) -> requests.Session:
    s = requests.Session()
    token = CSRF_RE.search(s.get(f"{base}/login", timeout=30).text).group(1)
    r = s.post(f"{base}/login", data={"email": "admin@tenfour.local", "password": password,
                                      "csrf_token": token}, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.status_code
    return s


def one_client(base: str, web: requests.Session, token: str, posts: list[int],
               rounds: int = 15) -> dict[str, float]:
    """Median per page with one client and no burst: what a page costs the server itself."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    paths = {"dashboard": (web, "/"), "queue page": (web, "/posts"),
             "post page": (web, None), "GET /api/v1/posts": (api, "/api/v1/posts?per_page=50"),
             "/healthz (baseline)": (api, "/healthz")}
    out = {}
    for name, (session, path) in paths.items():
        took = []
        for i in range(rounds):
            t = time.perf_counter()
            session.get(base + (path or f"/posts/{posts[i % len(posts)]}"), timeout=60)
            took.append(time.perf_counter() - t)
        out[name] = statistics.median(took[2:]) * 1000
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst", type=int, default=2000,
                        help="targets due when the load starts (0: no burst)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between a client's requests, seconds (0: none)")
    parser.add_argument("--quick", action="store_true", help="20,000 posts, 15 s, burst 500")
    add_backend_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.posts, args.seconds, args.burst = min(args.posts, 20_000), 15.0, min(args.burst, 500)
    backend = backend_name(args.database_url, args.redis_url)
    env = {"WORKER_POOL": "threads", "WORKER_CONCURRENCY": "16"}
    with running_stack(args, **env) as stack:
        accounts = make_sandbox_accounts(stack, 10)
        account_ids = [a for a, _ in accounts]
        now = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        published = int(args.posts * 0.7)
        failed = int(args.posts * 0.05)
        post_ids_from = seed_posts(stack.database_url,
                                   [now - timedelta(minutes=5 + i) for i in range(published)],
                                   account_ids=account_ids, status="published", published=True)
        seed_posts(stack.database_url, [now - timedelta(minutes=3 + i) for i in range(failed)],
                   account_ids=account_ids, status="failed")
        seed_posts(stack.database_url,
                   [now + timedelta(days=1, minutes=i) for i in range(args.posts - published - failed)],
                   account_ids=account_ids, status="scheduled")
        seeded_note = (" (then ANALYZE, as autovacuum does soon after a bulk insert)"
                       if gather_statistics(stack.database_url) else "")
        print(f"stored {args.posts:,} posts in {time.perf_counter() - t0:.0f} s{seeded_note}",
              flush=True)
        password = stack.demo_password()
        token = stack.token()
        from sqlalchemy import select
        from content_queue.db import Database
        from content_queue.models import PostTarget
        db = Database(stack.database_url)
        with db.session_scope(write=False) as s:
            lo, hi = min(post_ids_from), max(post_ids_from)
            sample_posts = list(s.scalars(select(PostTarget.post_id)
                                          .where(PostTarget.id.between(lo, hi)).limit(2000)))
        db.engine.dispose()

        serial = one_client(stack.base, browser(stack.base, password), token, sample_posts)
        burst_ids = []
        if args.burst:
            due = datetime.now(timezone.utc) + timedelta(seconds=3)
            burst_ids = seed_posts(stack.database_url, [due] * args.burst,
                                   account_ids=account_ids, text="Pages burst {i}")
        timings: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        #: what each error was (the status, or the exception's name), for the table's note
        error_kinds: dict[str, set[str]] = defaultdict(set)
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(n: int) -> None:
            web = browser(stack.base, password)
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {token}"
            rnd = random.Random(n)
            routes = [("dashboard", web, "/"), ("queue page", web, "/posts"),
                      ("post page", web, None), ("GET /api/v1/posts", api,
                                                 "/api/v1/posts?per_page=50"),
                      ("/healthz (baseline)", api, "/healthz")]
            i = n
            while time.monotonic() < stop:
                name, session, path = routes[i % len(routes)]
                i += 1
                path = path or f"/posts/{rnd.choice(sample_posts)}"
                t = time.perf_counter()
                try:
                    r = session.get(stack.base + path, timeout=60)
                    bad = f"HTTP {r.status_code}" if r.status_code >= 400 else ""
                except requests.RequestException as exc:
                    bad = type(exc).__name__
                took = time.perf_counter() - t
                with lock:
                    timings[name].append(took)
                    if bad:
                        errors[name] += 1
                        error_kinds[name].add(bad)
                if args.think:
                    time.sleep(min(rnd.expovariate(1 / args.think), max(0.0, stop - time.monotonic())))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        burst_counts = wait_finished(stack.database_url, burst_ids, timeout=120) if burst_ids else {}

    pacing = (f", each pausing {args.think:g} s on average between requests" if args.think
              else ", each sending its next request as soon as the last is answered")
    lines = [f"{args.posts:,} posts stored{seeded_note}; {args.clients} concurrent clients{pacing}, for "
             f"{args.seconds:.0f} s; a burst of {args.burst:,} targets due as the load starts "
             f"(published by the end: {burst_counts.get('published', 0):,}).", "",
             "| page | one client, no burst: p50 | requests | p50 | p95 | errors | goal p95 <= 50 ms |",
             "|---|---:|---:|---:|---:|---:|---|"]
    ok = True
    for name, values in timings.items():
        p95 = pct(values, 0.95) * 1000
        goal = "" if "baseline" in name else ("met" if p95 <= 50 and not errors[name] else "MISSED")
        ok = ok and goal != "MISSED"
        kinds = f" ({', '.join(sorted(error_kinds[name]))})" if error_kinds[name] else ""
        lines.append(f"| {name} | {serial[name]:.0f} ms | {len(values):,} | {statistics.median(values) * 1000:.0f} ms | "
                     f"{p95:.0f} ms | {errors[name]}{kinds} | {goal} |")
    title = (f"Pages under load, clients pausing {args.think:g} s (bench/pages.py)" if args.think
             else "Pages under load (bench/pages.py)")
    record(title, backend, lines, enabled=not args.no_record)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
