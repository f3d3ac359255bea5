"""`tenfour run` (what `make run` starts) stays up when its worker is SIGKILLed: the supervisor
starts a new worker, the web app never stops answering, and a post queued afterwards publishes.
The same run also shows single sign-on as `make run` sets it up: the sandbox identity provider
on the simulator signs in its supervisor as an approver of the demo agency (issue 11)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tenfour.embedded_redis import free_port
from tests.integration.web_client import CSRF_RE
from tests.integration.helpers import pid_gone, wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _children_named(parent: int, word: str) -> list[int]:
    """Pids whose parent is ``parent`` and whose command line is ``tenfour <word>``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"tenfour" in argv and word.encode() in argv:
            found.append(int(entry))
    return found


def _sign_in_through_the_sandbox_idp(base: str) -> requests.Session:
    """What a newcomer does on the login page of `make run`: "Sign in with the sandbox
    identity provider", then "Sign in as Avery Supervisor" on the provider's page."""
    browser = requests.Session()
    assert "Sign in with the sandbox identity provider" in browser.get(f"{base}/login",
                                                                        timeout=10).text
    to_provider = browser.get(f"{base}/login/sso", allow_redirects=False, timeout=10)
    assert to_provider.status_code == 302, to_provider.text[:300]
    provider_page = browser.get(to_provider.headers["Location"], timeout=10)
    form = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                           provider_page.text.split("<article>")[1]))
    assert form["email"] == "avery.supervisor@metro911.gov"
    back = browser.post(provider_page.url.split("?")[0], data={**form, "decision": "allow"},
                        allow_redirects=False, timeout=10)
    assert back.status_code == 302 and "/login/sso/callback?" in back.headers["Location"]
    signed_in = browser.get(back.headers["Location"], timeout=10)
    assert signed_in.url == f"{base}/", signed_in.text[:500]
    assert browser.get(f"{base}/approvals", timeout=10).status_code == 200  # an approver
    assert CSRF_RE.search(signed_in.text)
    return browser


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_sigkilled_worker_is_back_and_publishing_while_the_web_app_stays_up(tmp_path: Path) -> None:
    port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SIMULATOR_URL", "SANDBOX_API_BASE_URL"}
           and not k.startswith("TENFOUR_")}
    env.update({"TENFOUR_INSTANCE_DIR": str(tmp_path / "instance"), "PORT": str(port),
                "SIMULATOR_PORT": str(sim_port), "PYTHONUNBUFFERED": "1",
                "SCHEDULER_TICK_SECONDS": "0.1"})
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        run = subprocess.Popen([sys.executable, "-m", "tenfour", "run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(healthy, timeout=90, message="the web app to answer")
        wait_until(lambda: "ready." in log_path.read_text(), timeout=60, message="worker ready")
        _sign_in_through_the_sandbox_idp(base)
        [worker] = wait_until(lambda: _children_named(run.pid, "worker"), message="worker pid")
        os.killpg(worker, signal.SIGKILL)  # the worker and its pool children, as an OOM kill would
        assert pid_gone(worker)
        wait_until(lambda: "worker restarted" in log_path.read_text(), timeout=30,
                   message="the supervisor to restart the worker")
        assert healthy(), "the web app went down with the worker"
        assert run.poll() is None
        new = wait_until(lambda: [p for p in _children_named(run.pid, "worker") if p != worker],
                         timeout=30, message="a new worker process")
        assert new
        wait_until(lambda: log_path.read_text().count("ready.") >= 2, timeout=60,
                   message="the new worker to be ready")

        token = subprocess.run([sys.executable, "-m", "tenfour", "tokens", "create", "--email",
                                "admin@tenfour.local"], cwd=ROOT, env=env, capture_output=True,
                               text=True, check=True).stdout.strip().splitlines()[-1]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        account = api.get(f"{base}/api/v1/accounts", timeout=10).json()["accounts"][0]
        when = datetime.now(timezone.utc) + timedelta(seconds=3)
        created = api.post(f"{base}/api/v1/posts", timeout=10, json={
            "text": "After the crash: thank you, dispatchers.", "account_ids": [account["id"]],
            "scheduled_at": when.isoformat()})
        assert created.status_code == 201, created.text
        post_id = created.json()["id"]

        def published() -> bool:
            target = api.get(f"{base}/api/v1/posts/{post_id}", timeout=10).json()["targets"][0]
            return target["status"] == "published"

        wait_until(published, timeout=60, message="the post to publish after the restart")
        text = log_path.read_text()
        assert "worker exited unexpectedly with code -9" in text
        assert "stopping the rest" not in text and "giving up" not in text
    finally:
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=40)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
