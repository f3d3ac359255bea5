"""A small process supervisor for ``tenfour run``: start children, merge their output, stop them together.

Why not honcho/supervisord: one more dependency for forty lines of policy we want to be exact about.
The policy is: every child runs in its own session (so a Ctrl-C in the terminal reaches only us, and
we stop the children in a known order). With a :class:`RestartPolicy` (what ``tenfour run`` uses), a
child that dies is started again after a backoff of 1 s doubling to 30 s, and the rest keep running:
one crashed worker must not take the web app and the scheduler down with it. A child that keeps
crashing (more than ``max_restarts`` times within ``window_seconds``) makes the supervisor give up,
say which part and why, and stop everything, because a Tenfour without its worker or scheduler
silently stops publishing, which is worse than a loud stop. Without a policy any exit stops the
whole stack at once. On Linux each child also asks the kernel for SIGTERM when we die, so even a
SIGKILLed supervisor leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Callable, Mapping, Protocol, Sequence

_PR_SET_PDEATHSIG = 1
_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _load_prctl() -> Callable[..., int] | None:
    # Resolved in the parent at import time: the code between fork and exec must not import,
    # load libraries or take locks another thread might hold.
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_prctl = _load_prctl()


def child_preexec(parent_pid: int) -> Callable[[], None]:
    """Return a ``preexec_fn`` that makes the child get SIGTERM when its parent dies (Linux only).

    SIGTERM rather than SIGKILL so a gunicorn master or Celery worker can still take its own
    workers down. The getppid check closes the race where the parent died before prctl ran.
    Note: the death signal follows the *thread* that forked, so start children from a thread
    that lives as long as the supervisor (the main thread).
    """

    def preexec() -> None:
        if _prctl is None:
            return
        if _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0 and os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class _Pollable(Protocol):
    def poll(self) -> int | None: ...


@dataclass(frozen=True)
class RestartPolicy:
    """When and how often a dead child is started again."""

    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    max_restarts: int = 5
    window_seconds: float = 120.0
    #: a child that ran this long before dying starts again from the shortest backoff
    stable_after: float = 60.0

    def backoff(self, consecutive: int) -> float:
        return min(self.backoff_max, self.backoff_initial * 2 ** max(0, consecutive - 1))


@dataclass
class _Restarts:
    """One part's crash history, for the backoff and the give-up rule."""

    crashes: list[float] = field(default_factory=list)
    consecutive: int = 0
    started_at: float = 0.0
    due_at: float | None = None  # when a dead part is to be started again


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None
    proc: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    restarts: _Restarts = field(default_factory=_Restarts)


@dataclass
class _Watched:
    name: str
    target: _Pollable
    restart: Callable[[], object] | None = None
    restarts: _Restarts = field(default_factory=_Restarts)


@dataclass
class Supervisor:
    """Run named child processes as one unit. Call :meth:`start`, then :meth:`wait` from the main thread."""

    grace_seconds: float = 10.0
    output: IO[str] = field(default_factory=lambda: sys.stdout)
    poll_interval: float = 0.1
    restart_policy: RestartPolicy | None = None
    _children: list[_Child] = field(default_factory=list, init=False)
    _watched: list[_Watched] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _stop_signal: int | None = field(default=None, init=False)
    _previous_handlers: dict[int, object] = field(default_factory=dict, init=False)
    _stopped: bool = field(default=False, init=False)

    def add(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        """Register a child. ``env`` is its whole environment (``None``: inherit ours)."""
        if any(c.name == name for c in self._children):
            raise ValueError(f"a child named {name!r} is already registered")
        self._children.append(_Child(name, list(argv), dict(env) if env is not None else None))

    def watch(self, name: str, target: _Pollable, restart: Callable[[], object] | None = None) -> None:
        """Also watch ``target`` (anything with ``poll()``, e.g. an EmbeddedRedis).

        When it exits, ``restart`` (if given, and under a restart policy) brings it back; otherwise
        the whole stack goes down. Watched processes belong to their owner, who stops them after
        :meth:`wait` returns.
        """
        self._watched.append(_Watched(name, target, restart))

    def start(self) -> None:
        """Install signal handlers, then launch every child in registration order."""
        self._install_signal_handlers()
        try:
            for child in self._children:
                self._launch(child)
            now = time.monotonic()
            for watched in self._watched:
                watched.restarts.started_at = now
        except BaseException:
            self.stop()
            self._restore_signal_handlers()
            raise

    def wait(self) -> int:
        """Block until a signal asks us to stop (returns 0), or a child exits without a restart
        policy, or keeps crashing under one (returns its code, never 0)."""
        try:
            while True:
                if self._stop_signal is not None:
                    name = signal.Signals(self._stop_signal).name
                    self.say(f"received {name}, stopping everything (again to kill at once)")
                    self.stop()
                    return 0
                for name, code, part in self._newly_exited():
                    if self.restart_policy is None or not self._restartable(part):
                        self.say(f"{name} exited unexpectedly with code {code}; stopping the rest")
                        self.stop()
                        return _exit_status(code)
                    if not self._schedule_restart(name, code, part.restarts):
                        self.stop()
                        return _exit_status(code)
                if not self._restart_due():
                    self.stop()
                    return 1
                time.sleep(self.poll_interval)
        finally:
            self._restore_signal_handlers()

    def stop(self) -> None:
        """Stop children in reverse order: SIGTERM, then SIGKILL to the whole group after the grace period."""
        if self._stopped:
            return
        self._stopped = True
        for child in reversed(self._children):
            proc = child.proc
            if proc is None:
                continue
            if proc.poll() is None:
                self.say(f"stopping {child.name} (pid {proc.pid})")
                _signal_pid(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=self.grace_seconds)
                except subprocess.TimeoutExpired:
                    self.say(f"{child.name} ignored SIGTERM for {self.grace_seconds:g}s; killing it")
            # Whatever is left in the child's group (orphaned grandchildren) goes too.
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
            if child.reader is not None:
                child.reader.join(timeout=2)

    def request_stop(self) -> None:
        """Ask :meth:`wait` (running in another thread) to stop everything, as a SIGTERM would."""
        if self._stop_signal is None:
            self._stop_signal = signal.SIGTERM

    @property
    def stopping(self) -> bool:
        return self._stopped

    @property
    def pids(self) -> dict[str, int]:
        return {c.name: c.proc.pid for c in self._children if c.proc is not None}

    def say(self, message: str) -> None:
        """Print one supervisor line, never interleaved with a child's line."""
        self._emit("supervisor", message)

    def _launch(self, child: _Child) -> None:
        env = dict(os.environ if child.env is None else child.env)
        env.setdefault("PYTHONUNBUFFERED", "1")  # so Python children's lines arrive as they happen
        child.restarts.started_at = time.monotonic()
        child.proc = subprocess.Popen(
            child.argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one pipe keeps a traceback in order with the log lines around it
            start_new_session=True,
            preexec_fn=child_preexec(os.getpid()),
        )
        assert child.proc.stdout is not None
        child.reader = threading.Thread(
            target=self._pump, args=(child.name, child.proc.stdout), name=f"pump-{child.name}", daemon=True
        )
        child.reader.start()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        try:
            for raw in iter(stream.readline, b""):
                self._emit(name, raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass  # the pipe closed under us during shutdown
        finally:
            stream.close()

    def _emit(self, name: str, line: str) -> None:
        width = max([len(c.name) for c in self._children] + [len("supervisor")])
        with self._lock:
            try:
                self.output.write(f"[{name}]{' ' * (width - len(name))} {line}\n")
                self.output.flush()
            except (OSError, ValueError):
                pass  # our own stdout went away; keep supervising

    def _newly_exited(self) -> list[tuple[str, int, "_Child | _Watched"]]:
        """Parts that died since the last look (those already waiting for a restart excluded)."""
        found: list[tuple[str, int, _Child | _Watched]] = []
        for child in self._children:
            code = child.proc.poll() if child.proc is not None else None
            if code is not None and child.restarts.due_at is None:
                found.append((child.name, code, child))
        for watched in self._watched:
            code = watched.target.poll()
            if code is not None and watched.restarts.due_at is None:
                found.append((watched.name, code, watched))
        return found

    @staticmethod
    def _restartable(part: "_Child | _Watched") -> bool:
        return isinstance(part, _Child) or part.restart is not None

    def _schedule_restart(self, name: str, code: int, history: _Restarts) -> bool:
        """Plan the next start of a dead part; False (after saying why) when it crashes too often."""
        policy = self.restart_policy
        assert policy is not None
        now = time.monotonic()
        history.crashes = [t for t in history.crashes if now - t <= policy.window_seconds]
        history.crashes.append(now)
        if len(history.crashes) > policy.max_restarts:
            self.say(f"{name} exited with code {code} and has crashed {len(history.crashes)} times "
                     f"in {policy.window_seconds:g}s; giving up and stopping everything. "
                     f"See the [{name}] lines above for why it fails.")
            return False
        ran = now - history.started_at
        history.consecutive = 1 if ran >= policy.stable_after else history.consecutive + 1
        delay = policy.backoff(history.consecutive)
        history.due_at = now + delay
        self.say(f"{name} exited unexpectedly with code {code} after {ran:.1f}s; restarting it in "
                 f"{delay:g}s (crash {len(history.crashes)} of at most {policy.max_restarts} "
                 f"in {policy.window_seconds:g}s); the other parts keep running")
        return True

    def _restart_due(self) -> bool:
        """Start the parts whose backoff has passed; False when one could not be started again."""
        now = time.monotonic()
        for part in [*self._children, *self._watched]:
            history = part.restarts
            if history.due_at is None or now < history.due_at:
                continue
            history.due_at = None
            history.started_at = now
            try:
                if isinstance(part, _Child):
                    if part.reader is not None:
                        part.reader.join(timeout=2)
                    self._launch(part)
                else:
                    assert part.restart is not None
                    part.restart()
            except Exception as exc:  # a failed start counts as one more crash
                self.say(f"could not restart {part.name}: {exc}")
                if not self._schedule_restart(part.name, 1, history):
                    return False
                continue
            pid = part.proc.pid if isinstance(part, _Child) and part.proc else None
            self.say(f"{part.name} restarted" + (f" (pid {pid})" if pid else ""))
        return True

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _HANDLED_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _restore_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may touch handlers; it restores them when it stops us
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous_handlers.clear()

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._stop_signal is None and not self._stopped:
            self._stop_signal = signum
            return
        # A second Ctrl-C means "now": kill every group; stop() then reaps them at once.
        for child in self._children:
            if child.proc is not None and child.proc.returncode is None:
                _signal_group(child.proc.pid, signal.SIGKILL)


def _exit_status(code: int) -> int:
    if code < 0:
        return 128 - code  # killed by a signal: the shell's convention
    return code or 1  # a child that quits "successfully" still took the stack down


def _signal_pid(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)  # the child is its session's leader, so its pgid is its pid
    except (ProcessLookupError, PermissionError):
        pass
