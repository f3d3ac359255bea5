"""How late are posts published? The issue's acceptance figure, measured on the real product.

Starts `tenfour run` (embedded Redis, web, worker, scheduler, simulator) in a temporary instance
folder on free ports, makes an API token, queues N posts through the JSON API for 10 s ahead,
and reports each post's lateness: ``published_at - scheduled_at`` as recorded by the worker,
which is when the simulator answered the publish call. As a baseline from the same run it times
direct publish calls to the simulator (what one publish costs with no queue in between), so the
queue's own overhead reads as a ratio.

    .venv/bin/python bench/lateness.py [--posts 20] [--ahead 10]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, pct, wait_http  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--ahead", type=float, default=10.0, help="seconds ahead to schedule")
    parser.add_argument("--quick", action="store_true", help="10 posts")
    args = parser.parse_args()
    if args.quick:
        args.posts = min(args.posts, 10)

    instance = Path(tempfile.mkdtemp(prefix="tenfour-bench-"))
    port, sim_port = free_port(), free_port()
    env = {**os.environ, "TENFOUR_INSTANCE_DIR": str(instance), "PORT": str(port),
           "SIMULATOR_PORT": str(sim_port), "PYTHONUNBUFFERED": "1"}
    for key in ("DATABASE_URL", "REDIS_URL", "SIMULATOR_URL", "SANDBOX_API_BASE_URL"):
        env.pop(key, None)
    tenfour = [sys.executable, "-m", "tenfour"]
    log = open(instance / "run.log", "w")
    run = subprocess.Popen([*tenfour, "run"], cwd=ROOT, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        sim = f"http://127.0.0.1:{sim_port}"
        wait_http(f"{base}/healthz")
        wait_http(f"{sim}/_sim/health")
        out = subprocess.run([*tenfour, "tokens", "create", "--email", "admin@tenfour.local"],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        token = out.stdout.strip().splitlines()[-1]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        accounts = api.get(f"{base}/api/v1/accounts", timeout=10).json()["accounts"]
        account_id = accounts[0]["id"]

        # Baseline: direct publish calls to the simulator, no Tenfour in between.
        direct = []
        for i in range(args.posts):
            t0 = time.perf_counter()
            requests.post(f"{sim}/sandbox/api/v1/accounts/bench/posts",
                          json={"text": f"baseline {i} {secrets.token_hex(4)}"},
                          headers={"Authorization": "Bearer bench"}, timeout=10).raise_for_status()
            direct.append(time.perf_counter() - t0)

        ids = []
        for i in range(args.posts):
            when = datetime.now(timezone.utc) + timedelta(seconds=args.ahead)
            r = api.post(f"{base}/api/v1/posts", json={
                "text": f"Bench post {i}: thank you, dispatchers. {secrets.token_hex(3)}",
                "account_ids": [account_id], "scheduled_at": when.isoformat()}, timeout=10)
            r.raise_for_status()
            ids.append(r.json()["id"])

        deadline = time.monotonic() + args.ahead + 60
        done: dict[int, dict] = {}
        while len(done) < len(ids) and time.monotonic() < deadline:
            for post_id in ids:
                if post_id in done:
                    continue
                target = api.get(f"{base}/api/v1/posts/{post_id}", timeout=10).json()["targets"][0]
                if target["status"] in ("published", "failed"):
                    done[post_id] = target
            time.sleep(0.5)

        published = [t for t in done.values() if t["status"] == "published"]
        late = []
        for t in published:
            sched = datetime.fromisoformat(t["scheduled_at"].replace("Z", "+00:00"))
            pub = datetime.fromisoformat(t["published_at"].replace("Z", "+00:00"))
            late.append((pub - sched).total_seconds())
        sim_posts = requests.get(f"{sim}/_sim/posts", params={"platform": "sandbox"},
                                 timeout=10).json()["posts"]
        bench_texts = [p["text"] for p in sim_posts if p["text"].startswith("Bench post")]

        print(f"posts queued: {len(ids)}, published: {len(published)}, "
              f"failed: {len(done) - len(published)}, unfinished: {len(ids) - len(done)}")
        print(f"posts on the simulator: {len(bench_texts)} "
              f"(distinct: {len(set(bench_texts))})")
        if late:
            print("lateness s (published_at - scheduled_at): "
                  f"min {min(late):.3f}  median {statistics.median(late):.3f}  "
                  f"p95 {pct(late, 0.95):.3f}  max {max(late):.3f}")
            print("each: " + " ".join(f"{x:.2f}" for x in sorted(late)))
            print(f"within 2 s: {sum(1 for x in late if 0 <= x <= 2)}/{len(late)}")
        base_med = statistics.median(direct)
        print(f"baseline: direct simulator publish median {base_med * 1000:.1f} ms")
        if late:
            print(f"ratio: median lateness / direct publish = "
                  f"{statistics.median(late) / base_med:.1f}x")
        ok = len(published) == len(ids) and len(bench_texts) == len(set(bench_texts)) == len(ids)
        return 0 if ok else 1
    finally:
        run.terminate()
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            run.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
