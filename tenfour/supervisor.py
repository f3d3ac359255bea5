"""A small process supervisor for ``tenfour run``: start children, merge their output, stop them together.

Why not honcho/supervisord: one more dependency for forty lines of policy we want to be exact about.
The policy is: every child runs in its own session (so a Ctrl-C in the terminal reaches only us, and
we stop the children in a known order); if any child exits on its own the whole stack goes down,
because a Tenfour without its worker or scheduler silently stops publishing, which is worse than a
loud stop; on Linux each child also asks the kernel for SIGTERM when we die, so even a SIGKILLed
supervisor leaves nothing behind.
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


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None
    proc: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None


@dataclass
class _Watched:
    name: str
    target: _Pollable


@dataclass
class Supervisor:
    """Run named child processes as one unit. Call :meth:`start`, then :meth:`wait` from the main thread."""

    grace_seconds: float = 10.0
    output: IO[str] = field(default_factory=lambda: sys.stdout)
    poll_interval: float = 0.1
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

    def watch(self, name: str, target: _Pollable) -> None:
        """Also go down if ``target`` (anything with ``poll()``, e.g. an EmbeddedRedis) exits.

        Watched processes belong to their owner, who stops them after :meth:`wait` returns.
        """
        self._watched.append(_Watched(name, target))

    def start(self) -> None:
        """Install signal handlers, then launch every child in registration order."""
        self._install_signal_handlers()
        try:
            for child in self._children:
                self._launch(child)
        except BaseException:
            self.stop()
            self._restore_signal_handlers()
            raise

    def wait(self) -> int:
        """Block until a signal asks us to stop (returns 0) or a child exits (returns its code, never 0)."""
        try:
            while True:
                if self._stop_signal is not None:
                    name = signal.Signals(self._stop_signal).name
                    self.say(f"received {name}, stopping everything (again to kill at once)")
                    self.stop()
                    return 0
                exited = self._first_exited()
                if exited is not None:
                    name, code = exited
                    self.say(f"{name} exited unexpectedly with code {code}; stopping the rest")
                    self.stop()
                    return _exit_status(code)
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

    def _first_exited(self) -> tuple[str, int] | None:
        for child in self._children:
            code = child.proc.poll() if child.proc is not None else None
            if code is not None:
                return child.name, code
        for watched in self._watched:
            code = watched.target.poll()
            if code is not None:
                return watched.name, code
        return None

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _HANDLED_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _restore_signal_handlers(self) -> None:
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
