"""How fast does a burst go out? (issue 7, goal 1)

N targets (default 10,000) due in the same second on sandbox accounts (no posting budget),
published by `tenfour run` with its worker on a thread pool (``--worker-processes N``: N-1
more `tenfour worker` processes on the same broker, the threads shared among them; many
workers is plain Celery). Throughput = N / (last ``published_at`` - the due second). Ceiling,
same run: the same client library (Tenfour's sandbox connector) posting the same N posts to
the same simulator in a tight loop with the same concurrency, measured before and after the
burst (the better one is the ceiling). Goal: throughput >= 80% of the ceiling; each target
exactly once on the simulator.

    .venv/bin/python bench/burst.py [--quick] [--targets 10000] [--concurrency 32]
                                    [--worker-processes 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from harness import (CpuShares, add_backend_args, backend_name, claim_spread, lateness,
                     make_sandbox_accounts, pct, record, running_stack, seed_posts,
                     simulator_texts, wait_finished)

from connectors.sandbox import SandboxConnector
from content_queue.ports import PublishRequest


def ceiling(sim: str, handles: list[str], n: int, concurrency: int, tag: str) -> float:
    """Posts per second: the connector alone, one client per thread, in a tight loop."""
    local = threading.local()

    def post(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = {h: SandboxConnector(
                handle=h, credentials={"access_token": "bench-token"},
                api_base_url=f"{sim}/sandbox") for h in handles}
        handle = handles[i % len(handles)]
        client[handle].publish(PublishRequest(text=f"Ceiling {tag} {i}: thank you, dispatchers.",
                                              idempotency_key=f"ceiling-{tag}-{i}"))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(n)))
    return n / (time.perf_counter() - t0)


@contextmanager
def extra_workers(stack, count: int):
    """``count`` more `tenfour worker` processes beside the one `tenfour run` started."""
    env = stack.broker_env() if count else stack.env
    logs = [stack.instance / f"extra-worker-{n}.log" for n in range(count)]
    files = [open(log, "w") for log in logs]
    procs = [subprocess.Popen([sys.executable, "-m", "tenfour", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=file) for file in files]
    try:
        time.sleep(5 if count else 0)  # ready before the burst is due
        for proc, log in zip(procs, logs):
            if proc.poll() is not None:
                raise SystemExit(f"an extra worker exited at start: {log.read_text()[-2000:]}")
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for file in files:
            file.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32,
                        help="worker threads, and the ceiling's threads")
    parser.add_argument("--worker-processes", type=int, default=1,
                        help="worker processes sharing the --concurrency threads (many workers "
                             "on many machines is plain Celery: this is the one-machine case)")
    parser.add_argument("--quick", action="store_true", help="2,000 targets")
    add_backend_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.targets = min(args.targets, 2000)
    backend = backend_name(args.database_url, args.redis_url)
    per_process = max(1, args.concurrency // args.worker_processes)
    env = {"WORKER_POOL": "threads", "WORKER_CONCURRENCY": str(per_process)}
    with running_stack(args, **env) as stack, extra_workers(stack, args.worker_processes - 1):
        accounts = make_sandbox_accounts(stack, args.accounts)
        handles = [h for _, h in accounts]
        with CpuShares() as ceiling_cpu:
            before = ceiling(stack.sim, handles, args.targets, args.concurrency, "a")
        print(f"ceiling before: {before:.0f} posts/s", flush=True)

        due = (datetime.now(timezone.utc) + timedelta(seconds=5 + args.targets / 2000)
               ).replace(microsecond=0)
        ids = seed_posts(stack.database_url, [due] * args.targets,
                         account_ids=[a for a, _ in accounts],
                         text="Burst post {i}: thank you, dispatchers.")
        wait_s = (due - datetime.now(timezone.utc)).total_seconds()
        print(f"{len(ids)} targets due at {due:%H:%M:%S} (in {wait_s:.1f} s)", flush=True)
        time.sleep(max(0.0, wait_s))
        with CpuShares() as burst_cpu:  # from the due second to the last one recorded
            counts = wait_finished(stack.database_url, ids, timeout=60 + args.targets / 20)
        late, rows = lateness(stack.database_url, ids)
        claims = claim_spread(stack.database_url, ids)
        texts = simulator_texts(stack.sim, "Burst post")
        after = ceiling(stack.sim, handles, args.targets, args.concurrency, "b")
        print(f"ceiling after: {after:.0f} posts/s", flush=True)

    best = max(before, after)
    makespan = max(late) if late else float("nan")
    rate = len(late) / makespan if late else 0.0
    once = len(texts) == len(set(texts)) == args.targets
    ok = once and rate >= 0.8 * best and counts.get("published", 0) == args.targets
    lines = [
        f"{args.targets:,} targets due in the same second on {args.accounts} sandbox accounts; "
        f"worker: `--pool threads -c {per_process}`, {args.worker_processes} "
        f"process{'es' if args.worker_processes > 1 else ''}.",
        "",
        "| | figure |", "|---|---:|",
        f"| published / failed / other | {counts.get('published', 0):,} / "
        f"{counts.get('failed', 0):,} / {args.targets - counts.get('published', 0) - counts.get('failed', 0):,} |",
        f"| on the simulator (distinct) | {len(texts):,} ({len(set(texts)):,}) — exactly once: "
        f"{'yes' if once else 'NO'} |",
        f"| last one out after the due second | {makespan:.2f} s |",
        f"| throughput | {rate:.0f} posts/s |",
        f"| ceiling (connector alone, {args.concurrency} threads; before / after) | "
        f"{before:.0f} / {after:.0f} posts/s |",
        f"| throughput / ceiling | {rate / best:.0%} (goal >= 80%: {'met' if rate >= 0.8 * best else 'MISSED'}) |",
        f"| lateness p50 / p99 / min | {statistics.median(late):.2f} / {pct(late, 0.99):.2f} / "
        f"{min(late):.3f} s |" if late else "| lateness | none published |",
        f"| claimed from / to (after the due second) | {claims[0]:.2f} / {claims[1]:.2f} s |",
        f"| cores used during the ceiling (before) | {ceiling_cpu.line()} |",
        f"| cores used during the burst | {burst_cpu.line()} |",
    ]
    title = (f"Burst, {args.worker_processes} worker processes (bench/burst.py)"
             if args.worker_processes > 1 else "Burst (bench/burst.py)")
    record(title, backend, lines, enabled=not args.no_record)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
