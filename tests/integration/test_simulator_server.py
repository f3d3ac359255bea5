"""Running the simulator: persistence across restarts, the CLI, the index page, import rules."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

import requests

import simulator
from simulator.server import start_in_thread

AUTH = {"Authorization": "Bearer demo"}


def test_data_file_keeps_feed_across_restart(tmp_path: Path) -> None:
    data_file = tmp_path / "sim.json"
    with start_in_thread(data_file=str(data_file)) as first:
        media = requests.post(
            f"{first.url}/sandbox/api/v1/media",
            files={"file": ("a.gif", b"GIF89a" + b"\x00" * 20, "image/gif")},
            data={"alt_text": "Open house banner"},
            headers=AUTH,
            timeout=5,
        ).json()
        created = requests.post(
            f"{first.url}/sandbox/api/v1/accounts/metro911/posts",
            json={"text": "Open house Saturday", "media_ids": [media["id"]]},
            headers={**AUTH, "Idempotency-Key": "open-house"},
            timeout=5,
        ).json()
    assert json.loads(data_file.read_text())["posts"][0]["text"] == "Open house Saturday"
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temp files behind

    with start_in_thread(data_file=str(data_file)) as second:
        posts = requests.get(f"{second.url}/_sim/posts", timeout=5).json()["posts"]
        assert [(p["id"], p["text"]) for p in posts] == [(created["id"], "Open house Saturday")]
        assert posts[0]["media"][0]["alt_text"] == "Open house banner"
        assert "Open house Saturday" in requests.get(f"{second.url}/sandbox/feed", timeout=5).text
        again = requests.post(
            f"{second.url}/sandbox/api/v1/accounts/metro911/posts",
            json={"text": "Open house Saturday"},
            headers={**AUTH, "Idempotency-Key": "open-house"},
            timeout=5,
        )
        assert again.status_code == 200 and again.json()["id"] == created["id"]
        fresh = requests.post(
            f"{second.url}/sandbox/api/v1/accounts/metro911/posts", json={"text": "New"}, headers=AUTH, timeout=5
        ).json()
        assert int(fresh["id"]) > int(created["id"])  # ids never reused after a restart


def test_index_links_to_sandbox_feed() -> None:
    with start_in_thread() as sim:
        page = requests.get(sim.url + "/", timeout=5)
        assert page.status_code == 200 and 'href="/sandbox/feed"' in page.text
        assert requests.get(sim.url + "/_sim/health", timeout=5).json() == {"ok": True}


def test_python_dash_m_simulator_serves(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--host", "127.0.0.1", "--port", "0", "--data-file", str(tmp_path / "d.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:"), line
        deadline = time.monotonic() + 5
        while True:
            try:
                assert requests.get(url + "/_sim/health", timeout=1).json() == {"ok": True}
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


def test_simulator_imports_only_stdlib_and_flask() -> None:
    # joserfc (Authlib's JOSE library): the loopback OpenID Connect provider signs its ID tokens
    # with RS256, as Entra ID, Google and Okta do, so the client's real checks run (issue 11).
    allowed_roots = {"flask", "werkzeug", "simulator", "__future__", "joserfc"} | \
        set(sys.stdlib_module_names)
    package = Path(simulator.__file__).parent
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed_roots, f"{source.name} imports {name}"
