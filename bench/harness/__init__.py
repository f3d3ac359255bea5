"""What every bench shares: start the real product (`tenfour run`) in a temporary instance,
seed rows straight into its database, describe the machine, and record figures in
``docs/benchmarks.md``.

Backends: SQLite + the embedded Redis by default; ``--database-url postgresql+psycopg://…``
(a scratch database is created and dropped) and ``--redis-url redis://…`` for the other pair.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "benchmarks.md"


def add_backend_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server URL (a scratch database is made on it); "
                             "default: SQLite in a temporary folder")
    parser.add_argument("--redis-url", default=None,
                        help="a Redis server (default: the embedded one `tenfour run` starts)")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; do not write docs/benchmarks.md")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def machine() -> str:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), {mem} memory, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{platform.system()} {platform.release()}; load average at the end "
            f"{os.getloadavg()[0]:.1f} (other work on the machine skews figures)")


def backend_name(database_url: str | None, redis_url: str | None) -> str:
    db = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
    return f"{db} + {'Redis ' + redis_url.split('@')[-1] if redis_url else 'embedded Redis'}"


def record(bench: str, backend: str, lines: list[str], *, enabled: bool = True) -> None:
    """Print the figures and replace this bench's section for this backend in the doc."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"## {bench} — {backend}"
    body = [title, "", f"Measured {stamp} on {machine()}.", "", *lines, ""]
    print("\n".join(body))
    if not enabled:
        return
    DOC.parent.mkdir(exist_ok=True)
    text = DOC.read_text() if DOC.exists() else (
        "# Benchmarks\n\nWritten by `make bench` (bench/*.py). Each section is replaced when "
        "its bench runs again on the same backend; every figure comes with the baseline "
        "measured in the same run.\n\n")
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = "\n".join(body) + "\n"
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up in {timeout}s")


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tenfour_bench_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Stack:
    base: str
    sim: str
    env: dict[str, str]
    instance: Path
    database_url: str
    log_path: Path

    def tenfour(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "tenfour", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, check=True)
        return out.stdout

    def token(self) -> str:
        return self.tenfour("tokens", "create", "--email", "admin@tenfour.local"
                            ).strip().splitlines()[-1]

    def settings(self):
        from tenfour.config import load_settings
        return load_settings(self.env)

    def broker_env(self) -> dict[str, str]:
        """The stack's environment with the broker `tenfour run` uses (the embedded Redis has
        its URL only in the run's banner), for more processes beside the ones it started."""
        deadline = time.monotonic() + 20  # the banner follows the web app's first answer
        while not (found := re.findall(r"Redis: +(redis://\S+)", self.log_path.read_text(),
                                       re.MULTILINE)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not found:
            raise RuntimeError(f"no Redis URL in {self.log_path}'s banner")
        return {**self.env, "REDIS_URL": found[-1]}

    def demo_password(self) -> str:
        """The demo admin's password, which `tenfour run` prints once (and no longer stores)."""
        found = re.findall(r"^Password: (\S+)  \(shown this once", self.log_path.read_text(),
                           re.MULTILINE)
        if not found:
            raise RuntimeError(f"no demo password in {self.log_path}: was the instance new?")
        return found[-1]


@contextmanager
def platform_simulator() -> Iterator[str]:
    """A simulator without a data file, standing in for the platforms.

    The one `tenfour run` starts saves its whole feed (JSON, fsynced) after every post, so the
    thousandth post costs a thousand times the first: fine for a demo, but a burst bench
    against it measures the demo's persistence, not Tenfour.
    """
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/_sim/health")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def running_stack(args: argparse.Namespace, *, own_simulator: bool = True,
                  **env_extra: str) -> Iterator[Stack]:
    """`tenfour run` on free ports in a temporary instance folder, stopped afterwards; the
    sandbox platform is :func:`platform_simulator` unless ``own_simulator`` is false."""
    with _database(args.database_url) as database_url, \
            (platform_simulator() if own_simulator else _no_simulator()) as platform_sim:
        instance = Path(tempfile.mkdtemp(prefix="tenfour-bench-"))
        port, sim_port = free_port(), free_port()
        env = {**os.environ, "TENFOUR_INSTANCE_DIR": str(instance), "PORT": str(port),
               "SIMULATOR_PORT": str(sim_port), "PYTHONUNBUFFERED": "1"}
        for key in ("DATABASE_URL", "REDIS_URL", "SIMULATOR_URL", "SANDBOX_API_BASE_URL"):
            env.pop(key, None)
        if database_url:
            env["DATABASE_URL"] = database_url
        if platform_sim:
            env["SANDBOX_API_BASE_URL"] = f"{platform_sim}/sandbox"
        if args.redis_url:
            env["REDIS_URL"] = args.redis_url
            _flush_redis(args.redis_url)
        env.update(env_extra)
        log_path = instance / "run.log"
        log = open(log_path, "w")
        run = subprocess.Popen([sys.executable, "-m", "tenfour", "run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
        try:
            base, sim = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sim_port}"
            wait_http(f"{base}/healthz")
            wait_http(f"{sim}/_sim/health")
            from tenfour.config import load_settings
            stack = Stack(base, platform_sim or sim, env, instance,
                          load_settings(env).database_url, log_path)
            yield stack
        finally:
            run.terminate()
            try:
                run.wait(timeout=30)
            except subprocess.TimeoutExpired:
                run.kill()
            log.close()


def _flush_redis(url: str) -> None:
    """Benches on a shared Redis use their own database number; empty it first."""
    import redis
    redis.Redis.from_url(url).flushdb()


@contextmanager
def _no_simulator() -> Iterator[None]:
    yield None


@contextmanager
def _database(database_url: str | None) -> Iterator[str | None]:
    if database_url and database_url.startswith("postgres"):
        with scratch_postgres(database_url) as url:
            yield url
    else:
        yield database_url


def seed_posts(database_url: str, times: list[datetime], *, account_ids: list[int],
               status: str = "scheduled", text: str = "Bench post {i}: thank you, dispatchers.",
               published: bool = False, chunk: int = 5000) -> list[int]:
    """Insert one post with one target per entry of ``times`` (accounts round-robin), straight
    into the database: the API would take minutes for 100,000. Returns the target ids."""
    from sqlalchemy import insert, select

    from content_queue.db import Database
    from content_queue.models import Post, PostTarget, SocialAccount, User

    db = Database(database_url)
    target_ids: list[int] = []
    now = datetime.now(timezone.utc)
    try:
        with db.session_scope() as s:
            author = s.scalars(select(User).where(User.role == "admin").order_by(User.id)).first()
            agency_id = s.get(SocialAccount, account_ids[0]).agency_id
            author_id = author.id
        for start in range(0, len(times), chunk):
            part = times[start:start + chunk]
            with db.session_scope() as s:
                post_ids = list(s.scalars(insert(Post).returning(Post.id, sort_by_parameter_order=True), [
                    {"agency_id": agency_id, "author_id": author_id,
                     "text": text.format(i=start + i), "first_scheduled_at": when,
                     "approved_by_id": author_id, "approved_at": now,
                     "created_at": now, "updated_at": now}
                    for i, when in enumerate(part)]))
                rows = [{"post_id": pid, "account_id": account_ids[(start + i) % len(account_ids)],
                         "status": status, "scheduled_at": when, "next_attempt_at": when,
                         "attempts": 1 if published else 0,
                         "published_at": when if published else None,
                         "platform_post_id": f"seed{start + i}" if published else None,
                         "created_at": now, "updated_at": now}
                        for i, (pid, when) in enumerate(zip(post_ids, part))]
                target_ids += list(s.scalars(
                    insert(PostTarget).returning(PostTarget.id, sort_by_parameter_order=True),
                    rows))
    finally:
        db.engine.dispose()
    return target_ids


def gather_statistics(database_url: str) -> bool:
    """On PostgreSQL, ``ANALYZE`` the tables just seeded, as autovacuum does within a minute or
    so of a bulk insert: a database that has stored 100,000 posts has planner statistics, and
    a page measured before autovacuum came round measures plans made without them (the
    dashboard's "Recently published" took 78 ms instead of 2.7 ms, the post list 82 instead of
    14). SQLite keeps no statistics unless asked (``ANALYZE``), and Tenfour does not ask, so
    it is left as a real one is. Returns whether it analysed."""
    if not database_url.startswith("postgres"):
        return False
    from sqlalchemy import text

    from content_queue.db import Database
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        db.engine.dispose()
    return True


def make_sandbox_accounts(stack: "Stack", count: int, *, token: str = "bench-token") -> list[tuple[int, str]]:
    """``count`` sandbox accounts (sandbox accounts have no posting budget); (id, handle)."""
    from sqlalchemy import select

    from content_queue.accounts import add_account
    from content_queue.crypto import CredentialCipher
    from content_queue.db import Database
    from content_queue.models import User

    settings = stack.settings()
    cipher = CredentialCipher(settings.encryption_keys)
    db = Database(stack.database_url)
    made = []
    now = datetime.now(timezone.utc)
    try:
        with db.session_scope() as s:
            admin = s.scalars(select(User).where(User.role == "admin").order_by(User.id)).first()
            for i in range(count):
                handle = f"bench{secrets.token_hex(3)}_{i}"
                account = add_account(s, cipher, actor=admin, platform="sandbox", handle=handle,
                                      display_name=f"Bench {i}",
                                      credentials={"access_token": token}, now=now)
                s.flush()
                made.append((account.id, handle))
    finally:
        db.engine.dispose()
    return made


def wait_finished(database_url: str, target_ids: list[int], timeout: float) -> dict[str, int]:
    """Poll until every target is published or failed (or ``timeout``); counts by status."""
    from sqlalchemy import func, select

    from content_queue.db import Database
    from content_queue.models import PostTarget

    db = Database(database_url)
    lo, hi = min(target_ids), max(target_ids)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with db.session_scope(write=False) as s:
                counts = dict(s.execute(
                    select(PostTarget.status, func.count()).where(PostTarget.id.between(lo, hi))
                    .group_by(PostTarget.status)).all())
            done = counts.get("published", 0) + counts.get("failed", 0)
            if done >= len(target_ids) or time.monotonic() > deadline:
                return counts
            time.sleep(0.5)
    finally:
        db.engine.dispose()


def lateness(database_url: str, target_ids: list[int]) -> tuple[list[float], list]:
    """(published_at - scheduled_at) in seconds for each published target, and the rows."""
    from sqlalchemy import select

    from content_queue.db import Database
    from content_queue.models import PostTarget

    db = Database(database_url)
    lo, hi = min(target_ids), max(target_ids)
    try:
        with db.session_scope(write=False) as s:
            rows = s.execute(select(PostTarget.scheduled_at, PostTarget.published_at)
                             .where(PostTarget.id.between(lo, hi),
                                    PostTarget.status == "published")).all()
    finally:
        db.engine.dispose()
    return [(p - d).total_seconds() for d, p in rows], rows


def claim_spread(database_url: str, target_ids: list[int]) -> tuple[float, float]:
    """Seconds after the due instant at which the first and the last of these targets were
    claimed: a burst claimed over most of its length means the scheduler is what limits it."""
    from sqlalchemy import func, select

    from content_queue.db import Database
    from content_queue.models import PostTarget

    db = Database(database_url)
    try:
        with db.session_scope(write=False) as s:
            due, first, last = s.execute(
                select(func.min(PostTarget.scheduled_at), func.min(PostTarget.claimed_at),
                       func.max(PostTarget.claimed_at))
                .where(PostTarget.id.between(min(target_ids), max(target_ids)))).one()
    finally:
        db.engine.dispose()
    return (first - due).total_seconds(), (last - due).total_seconds()


def simulator_texts(sim: str, prefix: str) -> list[str]:
    posts = requests.get(f"{sim}/_sim/posts", params={"platform": "sandbox"},
                         timeout=60).json()["posts"]
    return [p["text"] for p in posts if p["text"].startswith(prefix)]


#: Which part of the stack a process is, by its command line (first match wins).
ROLES = (("tenfour worker", "worker"), ("tenfour scheduler", "scheduler"),
         ("tenfour web", "web"), ("gunicorn", "web"), ("-m simulator", "simulator"),
         ("tenfour simulator", "simulator"), ("redis-server", "redis"), ("postgres", "postgres"))


def _cpu_by_role() -> dict[str, float]:
    """CPU seconds used so far by each role's processes on this machine (from /proc), with
    this bench process as ``bench`` (where the ceiling's client runs)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        role = "bench" if int(entry.name) == os.getpid() else \
            next((r for key, r in ROLES if key in cmdline), None)
        if role:
            out[role] = out.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


class CpuShares:
    """Cores each part of the stack used while the block ran: ``with CpuShares() as cpu: …``,
    then ``cpu.line()``. Where a burst's time goes on a small machine is mostly a question of
    who had the CPUs."""

    def __enter__(self) -> "CpuShares":
        self.start, self.t0 = _cpu_by_role(), time.monotonic()
        return self

    def __exit__(self, *_exc) -> None:
        end, wall = _cpu_by_role(), time.monotonic() - self.t0
        self.cores = {role: max(0.0, end.get(role, 0.0) - self.start.get(role, 0.0)) / wall
                      for role in end}

    def line(self) -> str:
        parts = [f"{role} {cores:.2f}" for role, cores in
                 sorted(self.cores.items(), key=lambda kv: -kv[1]) if cores >= 0.01]
        return ", ".join(parts) + f" (of {os.cpu_count()})"
