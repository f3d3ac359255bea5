"""The supervisor runs as a real subprocess here, with real children: output, signals, failures."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tenfour.supervisor import Supervisor
from tests.integration.helpers import pid_gone

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable

# A child that announces its pid, says something on stderr, then sleeps until signalled.
SLEEPER = textwrap.dedent("""
    import os, signal, sys, time
    name = sys.argv[1]
    def bye(signum, frame):
        print(f"{name} got SIGTERM", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    print(f"{name} pid={os.getpid()}", flush=True)
    print(f"{name} on stderr", file=sys.stderr, flush=True)
    time.sleep(120)
""")
STUBBORN = textwrap.dedent("""
    import os, signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"stubborn pid={os.getpid()}", flush=True)
    time.sleep(120)
""")
QUITTER = "import sys, time; time.sleep(0.5); print('quitting with 3', flush=True); sys.exit(3)"


class SupervisorProcess:
    """A supervisor in its own Python process, built from ``children``; collects its output lines."""

    def __init__(self, tmp_path: Path, children: dict[str, str], grace: float = 5.0) -> None:
        scripts = {}
        for name, source in children.items():
            path = tmp_path / f"{name}.py"
            path.write_text(source)
            scripts[name] = str(path)
        driver = tmp_path / "driver.py"
        driver.write_text(textwrap.dedent(f"""
            import sys
            from tenfour.supervisor import Supervisor
            sup = Supervisor(grace_seconds={grace!r})
            for name, script in {scripts!r}.items():
                sup.add(name, [sys.executable, script, name])
            sup.start()
            sys.exit(sup.wait())
        """))
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [PY, str(driver)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def pid_of(self, name: str) -> int:
        return int(self.wait_for(rf"^\[{name}\]\s+{name} pid=(\d+)$").group(1))

    def finish(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()


@pytest.fixture
def spawn(tmp_path: Path):
    started: list[SupervisorProcess] = []

    def make(children: dict[str, str], grace: float = 5.0) -> SupervisorProcess:
        sup = SupervisorProcess(tmp_path, children, grace)
        started.append(sup)
        return sup

    yield make
    for sup in started:
        sup.kill()


def test_children_output_is_prefixed_with_their_name() -> None:
    out = io.StringIO()
    sup = Supervisor(output=out, grace_seconds=5)
    web = "import sys, time; print('hello from web'); print('oops', file=sys.stderr); time.sleep(1)"
    sup.add("web", [PY, "-c", web])
    sup.add("scheduler", [PY, "-c", "import time; print('tick'); time.sleep(30)"])
    sup.start()
    code = sup.wait()  # web's exit is unexpected, so this returns non-zero and stops the scheduler
    text = out.getvalue()
    assert re.search(r"^\[web\]\s+hello from web$", text, re.M)
    assert re.search(r"^\[web\]\s+oops$", text, re.M)
    assert re.search(r"^\[scheduler\]\s+tick$", text, re.M)
    assert "web exited unexpectedly with code 0" in text
    assert code != 0


def test_sigterm_to_the_supervisor_stops_every_child(spawn) -> None:
    sup = spawn({"web": SLEEPER, "worker": SLEEPER, "scheduler": SLEEPER})
    pids = {name: sup.pid_of(name) for name in ("web", "worker", "scheduler")}
    sup.wait_for(r"^\[web\]\s+web on stderr$")
    sup.proc.send_signal(signal.SIGTERM)
    assert sup.finish() == 0
    for name, pid in pids.items():
        assert pid_gone(pid), f"{name} (pid {pid}) survived its supervisor"
    # Stopped in reverse order of registration, each after the previous one is gone.
    said = [line.split()[1] for line in sup.lines if line.endswith("got SIGTERM")]
    assert said == ["scheduler", "worker", "web"]


def test_a_child_that_exits_3_stops_the_others_and_fails_the_supervisor(spawn) -> None:
    sup = spawn({"web": SLEEPER, "worker": SLEEPER, "flaky": QUITTER})
    pids = [sup.pid_of("web"), sup.pid_of("worker")]
    code = sup.finish()
    assert code == 3
    assert any("flaky exited unexpectedly with code 3" in line for line in sup.lines)
    for pid in pids:
        assert pid_gone(pid)


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(spawn) -> None:
    sup = spawn({"web": SLEEPER, "stubborn": STUBBORN}, grace=1.0)
    pid = sup.pid_of("stubborn")
    started = time.monotonic()
    sup.proc.send_signal(signal.SIGINT)
    assert sup.finish() == 0
    assert pid_gone(pid)
    assert time.monotonic() - started < 10
    assert any("stubborn ignored SIGTERM" in line for line in sup.lines)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_children_die_when_the_supervisor_is_sigkilled(spawn) -> None:
    sup = spawn({"web": SLEEPER, "worker": SLEEPER})
    pids = [sup.pid_of("web"), sup.pid_of("worker")]
    sup.proc.kill()
    sup.finish()
    for pid in pids:
        assert pid_gone(pid), f"pid {pid} outlived a SIGKILLed supervisor"
