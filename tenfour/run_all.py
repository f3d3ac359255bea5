"""``tenfour run``: the whole stack on one machine from a fresh clone, with nothing installed but Python.

Order: instance folder, embedded Redis (unless REDIS_URL points elsewhere), migrations, the demo
bootstrap (it prints the admin's password, so its output goes straight to the terminal), then the
web app, worker, scheduler and simulator under one Supervisor, which starts a part that dies again
(with backoff) and gives up only when one keeps crashing. Every child gets the same
environment, pinned to the same instance folder, so they all agree on the database and secrets.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Mapping

from simulator import oidc
from tenfour.config import Settings, make_private_dir
from tenfour.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from tenfour.supervisor import RestartPolicy, Supervisor

SERVICES = ("web", "worker", "scheduler", "simulator")
DEMO_PLATFORMS = (
    ("X_API_BASE_URL", "/x", {"X_CLIENT_ID": "tenfour-demo"}),
    ("FACEBOOK_API_BASE_URL", "/graph",
     {"FACEBOOK_APP_ID": "tenfour-demo", "FACEBOOK_APP_SECRET": "demo-secret"}),
    ("INSTAGRAM_API_BASE_URL", "/graph", {}),
    ("MASTODON_API_BASE_URL", "/mastodon", {}),
    ("BLUESKY_API_BASE_URL", "/bluesky", {}),
)
SETUP_STEPS = (("db", "upgrade"), ("demo", "bootstrap"))
#: The engagement poll schedule `tenfour run` uses unless ENGAGEMENT_POLL_AFTER is set.
RUN_POLL_AFTER = "2m,15m,1h,24h,7d,30d"
#: The simulator's OpenID Connect provider (simulator.oidc), with its one client.
DEMO_OIDC_DISCOVERY_PATH = "/oidc/.well-known/openid-configuration"


def tenfour_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tenfour", *args]


def child_env(settings: Settings, redis_url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every child of ``tenfour run`` shares."""
    env = dict(os.environ if base is None else base)
    env["TENFOUR_INSTANCE_DIR"] = str(settings.instance_dir)
    env["REDIS_URL"] = redis_url
    if not env.get("SANDBOX_API_BASE_URL"):
        env["SANDBOX_API_BASE_URL"] = settings.simulator_url + "/sandbox"
    # On one machine the simulator stands in for every platform nobody configured: a platform
    # with neither its API host nor its app credentials set is pointed at the simulator, with
    # demo app credentials, so accounts can be connected and posted to without the internet.
    for base_var, path, client_vars in DEMO_PLATFORMS:
        if env.get(base_var) or any(env.get(var) for var in client_vars):
            continue
        env[base_var] = settings.simulator_url + path
        for var, value in client_vars.items():
            env[var] = value
    # issue 9: on one machine the demo posts' engagement is polled within minutes (2 and 15
    # minutes after publishing, then the product's schedule), so the dashboard charts growth in
    # the first quarter hour; ENGAGEMENT_POLL_AFTER set in the environment wins.
    env.setdefault("ENGAGEMENT_POLL_AFTER", RUN_POLL_AFTER)
    # issue 11: single sign-on through the simulator's loopback OpenID Connect provider, unless
    # the environment names a real one.
    if not env.get("OIDC_DISCOVERY_URL"):
        env["OIDC_DISCOVERY_URL"] = settings.simulator_url + DEMO_OIDC_DISCOVERY_PATH
        env["OIDC_CLIENT_ID"] = oidc.CLIENT_ID
        env["OIDC_CLIENT_SECRET"] = oidc.CLIENT_SECRET
        env["OIDC_PROVIDER_NAME"] = "the sandbox identity provider"
    # One machine, one agency: its own mail server or webhook may be on this machine or the
    # local network (a test mail catcher); an installation hosting agencies keeps the default.
    env.setdefault("AGENCY_DELIVERY_ALLOWED_HOSTS", "*")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_all(settings: Settings) -> int:
    """Run everything until Ctrl-C or until a part dies; return the exit code for the shell."""
    make_private_dir(settings.instance_dir)
    busy = _busy_ports(settings)
    if busy:
        for what, host, port in busy:
            print(f"tenfour run: port {port} on {host} ({what}) is already in use.", file=sys.stderr)
        print("Stop whatever holds it, or choose another with PORT=... / SIMULATOR_PORT=...", file=sys.stderr)
        return 2

    redis: EmbeddedRedis | None = None
    try:
        if settings.redis_url:
            redis_url = settings.redis_url
        else:
            redis = EmbeddedRedis(settings.instance_dir / "redis")
            try:
                redis.start()
            except EmbeddedRedisError as exc:
                print(f"tenfour run: could not start the embedded Redis: {exc}", file=sys.stderr)
                return 1
            redis_url = redis.url
        env = child_env(settings, redis_url)

        for step in SETUP_STEPS:
            code = subprocess.call(tenfour_argv(*step), env=env)
            if code != 0:
                print(f"tenfour run: `tenfour {' '.join(step)}` failed with exit code {code}", file=sys.stderr)
                return code if code > 0 else 1

        supervisor = Supervisor(restart_policy=RestartPolicy())
        if redis is not None:
            supervisor.watch("redis", redis, restart=redis.restart)
        for name in SERVICES:
            supervisor.add(name, tenfour_argv(name), env=env)
        supervisor.start()
        threading.Thread(
            target=_announce_when_listening, args=(supervisor, settings, redis_url, redis is not None), daemon=True
        ).start()
        return supervisor.wait()
    except KeyboardInterrupt:  # Ctrl-C during the setup steps, before the supervisor owns the signal
        return 130
    finally:
        if redis is not None:
            redis.stop()


def banner(settings: Settings, redis_url: str, embedded: bool) -> list[str]:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return [
        "Tenfour is running.",
        f"  Admin:          http://{host}:{settings.port}/",
        f"  Sandbox feed:   {settings.simulator_url}/sandbox/feed",
        f"  Redis:          {redis_url}{' (embedded)' if embedded else ''}",
        f"  Data:           {settings.instance_dir}",
        "  Ctrl-C stops everything.",
    ]


def _announce_when_listening(supervisor: Supervisor, settings: Settings, redis_url: str, embedded: bool) -> None:
    """Print the banner once the web app accepts connections, so it is not buried in start-up logs."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    deadline = time.monotonic() + 60
    while not supervisor.stopping:
        try:
            with socket.create_connection((host, settings.port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                supervisor.say(f"the web app is still not answering on {host}:{settings.port}; see its lines above")
                return
            time.sleep(0.25)
    else:
        return
    for line in banner(settings, redis_url, embedded):
        supervisor.say(line)


def _busy_ports(settings: Settings) -> list[tuple[str, str, int]]:
    wanted = [("web", settings.host, settings.port), ("simulator", settings.simulator_host, settings.simulator_port)]
    return [(what, host, port) for what, host, port in wanted if not _can_bind(host, port)]


def _can_bind(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is fine
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno not in (errno.EADDRINUSE, errno.EACCES)
    return True

